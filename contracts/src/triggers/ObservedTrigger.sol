// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITrigger} from "../interfaces/ITrigger.sol";

/// @title ObservedTrigger
/// @notice Base for trigger kinds with no round history, whose proof is their own observations
/// recorded on-chain (paused, share price): the proof is empty, there is nothing to `advance`, and
/// a proof search is `check` itself.
abstract contract ObservedTrigger is ITrigger {
    /// @inheritdoc ITrigger
    function findProof(bytes calldata params, uint64 notBefore) external view returns (bool, bytes memory) {
        (bool tripped, uint64 since,) = this.check(params, "");
        return (tripped && since > notBefore, "");
    }

    /// @inheritdoc ITrigger
    function advance(bytes calldata, bytes calldata, uint256) external pure returns (bool) {
        return true;
    }

    /// @inheritdoc ITrigger
    function observes(bytes calldata) external pure returns (bool) {
        return true;
    }
}
