// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title BatchTransfer (benchmark floor, local only)
/// @notice The least a contract can do to send one token to many recipients: the floor that
/// settlement gas per policy is measured against.
contract BatchTransfer {
    /// @notice Sends `amounts[i]` of the contract's `token` balance to `to[i]`, nothing else.
    function send(IERC20 token, address[] calldata to, uint256[] calldata amounts) external {
        for (uint256 i; i < to.length; ++i) {
            token.transfer(to[i], amounts[i]);
        }
    }
}
