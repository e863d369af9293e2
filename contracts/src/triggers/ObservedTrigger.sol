// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITrigger} from "../interfaces/ITrigger.sol";

/// @title ObservedTrigger
/// @notice Base for trigger kinds with no round history, whose proof is their own observations
/// recorded on-chain (paused, share price): the proof is empty, there is nothing to `advance`, and
/// a proof search is `check` itself.
abstract contract ObservedTrigger is ITrigger {
    /// @notice The most duration plus max gap may be (a proof always fits the market's age limit).
    uint32 public constant MAX_RUN_SECONDS = 15 days;
    /// @notice The market's incident age limit (`CoverMarket.MAX_INCIDENT_AGE_SECONDS`).
    uint256 public constant INCIDENT_AGE_LIMIT_SECONDS = 30 days;
    /// @notice Time allowed for a proof to be sent once it is possible.
    uint256 public constant PROOF_MARGIN_SECONDS = 1 days;

    /// @dev The incident time of a run kept open by returns (each restarts the stretch a proof
    /// needs without ending the run): its first observation `since`, unless the first possible
    /// proof (the latest return `lastReturn` plus the duration, plus a day to send it) is past the
    /// market's age limit counted from it; then `resumedAt`, the first observation after that
    /// return. A function of the observations and the duration, never of when the proof is sent.
    function _runIncidentTime(uint40 since, uint40 lastReturn, uint40 resumedAt, uint32 durationSeconds) internal pure returns (uint64) {
        if (lastReturn > since && uint256(lastReturn) + durationSeconds + PROOF_MARGIN_SECONDS > uint256(since) + INCIDENT_AGE_LIMIT_SECONDS) return resumedAt;
        return since;
    }

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
