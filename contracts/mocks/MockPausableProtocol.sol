// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title MockPausableProtocol (local only)
/// @notice Stands in for a covered protocol whose admin can pause it, as OpenZeppelin's Pausable does.
contract MockPausableProtocol is Pausable, Ownable {
    constructor(address owner_) Ownable(owner_) {}

    /// @notice Owner only: pauses the protocol (`paused()` turns true).
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Owner only: unpauses the protocol.
    function unpause() external onlyOwner {
        _unpause();
    }
}
