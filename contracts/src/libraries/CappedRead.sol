// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title CappedRead
/// @notice Reads of a watched contract (a target's `paused()`, a vault's `convertToAssets`, price
/// feeds) that fail count as "cannot tell", so the caller must not be able to make one fail. With
/// the 63/64 rule a caller could starve the read, and detecting starvation after the fact does
/// not work: behind a proxy the implementation runs out of gas one frame down and the proxy
/// returns its sixty-fourth. So the read gets a fixed gas allowance, and the caller must leave
/// enough gas for the whole allowance to be forwarded; a read that fails with its allowance is
/// the watched contract's own failure, at any call depth.
library CappedRead {
    /// @dev What the call itself costs beyond the allowance (a cold account, memory, the copy back).
    uint256 private constant OVERHEAD = 10_000;

    /// @notice Whether `allowance` can be forwarded in full from here.
    function canForward(uint256 allowance) internal view returns (bool) {
        return gasleft() >= allowance + allowance / 63 + OVERHEAD;
    }
}
