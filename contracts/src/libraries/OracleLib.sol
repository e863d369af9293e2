// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IOracleErrors} from "../interfaces/IOracleErrors.sol";

/// @title OracleLib
/// @notice Every Chainlink read the triggers make goes through here, so each one gets the same
/// hygiene: answer > 0, `updatedAt` set and not in the future, the latest round not older than the
/// product's max age, and, on L2s, a sequencer that is up and past its grace period.
library OracleLib {
    struct Round {
        uint80 roundId;
        int256 answer;
        uint256 updatedAt;
    }

    /// @dev Reads the latest round and applies every check, staleness included.
    function latest(address feed, uint256 maxAgeSeconds) internal view returns (Round memory r) {
        (uint80 roundId, int256 answer,, uint256 updatedAt,) = AggregatorV3Interface(feed).latestRoundData();
        r = Round(roundId, answer, updatedAt);
        _sane(feed, r);
        if (block.timestamp - updatedAt > maxAgeSeconds) {
            revert IOracleErrors.OracleStale(feed, updatedAt, maxAgeSeconds);
        }
    }

    /// @dev As `latest`, but a zero answer is a reading (a TVL feed may report a full drain as 0).
    function latestAllowingZero(address feed, uint256 maxAgeSeconds) internal view returns (Round memory r) {
        (uint80 roundId, int256 answer,, uint256 updatedAt,) = AggregatorV3Interface(feed).latestRoundData();
        r = Round(roundId, answer, updatedAt);
        if (answer < 0) revert IOracleErrors.OracleAnswerNotPositive(feed, roundId, answer);
        if (updatedAt == 0) revert IOracleErrors.OracleRoundIncomplete(feed, roundId);
        if (updatedAt > block.timestamp) revert IOracleErrors.OracleUpdatedInFuture(feed, roundId, updatedAt);
        if (block.timestamp - updatedAt > maxAgeSeconds) revert IOracleErrors.OracleStale(feed, updatedAt, maxAgeSeconds);
    }

    /// @dev Reads a historical round. Staleness does not apply to history; the caller has checked
    /// that the feed is live through `latest`.
    function at(address feed, uint80 roundId) internal view returns (Round memory r) {
        (uint80 id, int256 answer,, uint256 updatedAt,) = AggregatorV3Interface(feed).getRoundData(roundId);
        r = Round(id, answer, updatedAt);
        _sane(feed, r);
    }

    /// @dev Same checks as `at`, reported as a boolean for keeper searches that must not revert.
    function tryAt(address feed, uint80 roundId) internal view returns (bool ok, Round memory r) {
        try AggregatorV3Interface(feed).getRoundData(roundId) returns (
            uint80 id, int256 answer, uint256, uint256 updatedAt, uint80
        ) {
            r = Round(id, answer, updatedAt);
            ok = answer > 0 && updatedAt != 0 && updatedAt <= block.timestamp;
        } catch {
            ok = false;
        }
    }

    /// @dev Reverts unless the L2 sequencer is up and has been for longer than `graceSeconds`.
    /// A zero `sequencerFeed` means the product lives on a chain without one.
    function requireSequencerUp(address sequencerFeed, uint256 graceSeconds) internal view {
        if (sequencerFeed == address(0)) return;
        (, int256 answer, uint256 startedAt,,) = AggregatorV3Interface(sequencerFeed).latestRoundData();
        // Chainlink's uptime feed answers 0 when the sequencer is up, 1 when it is down.
        if (answer != 0) revert IOracleErrors.OracleSequencerDown(sequencerFeed);
        if (startedAt == 0 || block.timestamp - startedAt <= graceSeconds) {
            revert IOracleErrors.OracleSequencerGracePeriod(sequencerFeed, startedAt, graceSeconds);
        }
    }

    /// @dev Decimals the feed declares; more than 18 cannot be scaled by the triggers.
    function decimalsOf(address feed) internal view returns (uint8 d) {
        d = AggregatorV3Interface(feed).decimals();
        if (d > 18) revert IOracleErrors.OracleDecimalsUnsupported(feed, d);
    }

    /// @dev Chainlink round ids are `phaseId << 64 | aggregatorRoundId`; rounds are only
    /// comparable and walkable inside one phase.
    function samePhaseOrdered(address feed, uint80 earlier, uint80 later) internal pure {
        if (earlier >> 64 != later >> 64 || earlier >= later) {
            revert IOracleErrors.OracleRoundOrder(feed, earlier, later);
        }
    }

    function _sane(address feed, Round memory r) private view {
        if (r.answer <= 0) revert IOracleErrors.OracleAnswerNotPositive(feed, r.roundId, r.answer);
        if (r.updatedAt == 0) revert IOracleErrors.OracleRoundIncomplete(feed, r.roundId);
        if (r.updatedAt > block.timestamp) revert IOracleErrors.OracleUpdatedInFuture(feed, r.roundId, r.updatedAt);
    }
}
