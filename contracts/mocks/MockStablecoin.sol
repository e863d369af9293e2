// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title MockStablecoin (local only, never deployed to production)
/// @notice A 6-decimal stablecoin with EIP-2612 permit, an open faucet, and a USDC-style blocklist
/// so tests can make a payout recipient's transfer revert.
contract MockStablecoin is ERC20, ERC20Permit {
    mapping(address account => bool) public blocked;

    error MockStablecoinBlocked(address account);

    constructor() ERC20("Local USD", "lUSD") ERC20Permit("Local USD") {}

    /// @notice Six decimals, like USDC.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Faucet: anyone can mint on the local chain.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Blocks or unblocks an account (transfers to or from it revert).
    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert MockStablecoinBlocked(from);
        if (blocked[to]) revert MockStablecoinBlocked(to);
        super._update(from, to, value);
    }
}
