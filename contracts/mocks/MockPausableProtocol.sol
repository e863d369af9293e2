// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title MockPausableProtocol (local only)
/// @notice Stands in for a covered protocol whose admin can pause it, as OpenZeppelin's Pausable does.
contract MockPausableProtocol is Pausable, Ownable {
    /// @notice How many module flags `paused()` reads besides its own (a protocol paused when any of
    /// its modules is: each one a storage read, so `paused()` can be dear to call).
    uint256 public modules;
    mapping(uint256 => bool) private modulePaused;

    constructor(address owner_) Ownable(owner_) {}

    /// @notice Paused itself, or any of its modules.
    function paused() public view override returns (bool) {
        uint256 n = modules;
        bool any = super.paused();
        for (uint256 i; i < n; ++i) any = modulePaused[i] || any; // every module read, paused or not
        return any;
    }

    /// @notice Spreads the protocol over `n` modules, none paused (`paused()` then costs ~2,100 gas each).
    function setModules(uint256 n) external {
        modules = n;
    }

    /// @notice Owner only: pauses the protocol (`paused()` turns true).
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Owner only: unpauses the protocol.
    function unpause() external onlyOwner {
        _unpause();
    }
}
