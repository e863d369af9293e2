// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {ITrigger} from "../interfaces/ITrigger.sol";
import {IOracleErrors} from "../interfaces/IOracleErrors.sol";
import {OracleLib} from "../libraries/OracleLib.sol";
import {FeedHistory} from "../libraries/FeedHistory.sol";
import {StatelessTrigger} from "./StatelessTrigger.sol";

/// @title DepegTrigger
/// @notice Trips when a price feed stayed below `thresholdE18` (18 decimals, scaled to the feed's
/// own decimals) for at least `durationSeconds`.
///
/// What is proven. An *episode* is a maximal run of consecutive rounds (in the proxy's timeline,
/// across phases: see FeedHistory) whose answers are below the threshold. Its onset is the first
/// round of the run: the round before it (if any) is at or above the threshold. The episode
/// lasts from the onset's `updatedAt` until the `updatedAt` of the first round at or above the
/// threshold after it, or until now while the latest round is still below (and fresh). It trips
/// when it lasted at least `durationSeconds`; a single round at or above the threshold before
/// then ends the episode and voids it.
///
/// Incident time (canonical): the onset round's `updatedAt`. The proof names the onset round; the
/// contract checks that the round before it is not below, so each episode has one onset and one
/// incident time, whatever proof is submitted.
///
/// Long episodes: `check` walks at most MAX_CHECK_ROUNDS rounds past the stored progress;
/// `advance` walks any number of rounds in segments (anyone may call it) and stores where it got.
contract DepegTrigger is StatelessTrigger, IOracleErrors {
    struct Params {
        address feed;
        uint256 thresholdE18;
        uint32 durationSeconds;
        uint32 maxAgeSeconds;
        address sequencerFeed;
        uint32 sequencerGraceSeconds;
    }

    /// @notice Progress of one episode's walk, keyed by (feed, threshold, onset round).
    struct Scan {
        uint80 cursor;
        uint40 cursorAt;
        uint40 onsetAt;
        uint40 recoveredAt;
        bool started;
    }

    /// @notice Walk progress by scan key (`scanKey`).
    mapping(bytes32 key => Scan) public scans;

    /// @notice What `conditionHoldsAt` reads for registered parameters (threshold in feed units).
    struct Registered {
        address feed;
        uint96 threshold;
        address sequencerFeed;
        uint32 maxAgeSeconds;
        uint32 sequencerGraceSeconds;
    }

    /// @notice Registered parameters by key (keccak256 of the params).
    mapping(bytes32 key => Registered) public registered;

    /// @notice Rounds one `check` walks beyond the stored progress.
    uint256 public constant MAX_CHECK_ROUNDS = 1_000;
    /// @notice Rounds `findProof` walks back from the latest round.
    uint256 public constant SEARCH_ROUNDS = 1_000;

    /// @notice An episode's walk was advanced (recoveredAt = 0 while it is still below).
    event DepegScanAdvanced(bytes32 indexed key, uint80 onsetRoundId, uint80 cursor, uint40 recoveredAt);

    /// @notice The threshold rounds to zero in the feed's decimals, or does not fit its answers.
    error DepegThresholdOutOfRange(uint256 thresholdE18, uint8 feedDecimals);
    /// @notice The feed is already below the threshold: listing would sell cover on a known loss.
    error DepegAlreadyBelowThreshold(int256 answer, uint256 threshold);
    /// @notice Duration and max age must be non-zero.
    error DepegDurationInvalid(uint32 durationSeconds, uint32 maxAgeSeconds);
    /// @notice The proof's onset round is not below the threshold.
    error DepegOnsetNotBelow(uint80 onsetRoundId);
    /// @notice The proof's onset round is not the first round below the threshold.
    error DepegOnsetNotFirst(uint80 onsetRoundId, uint80 previousRoundId);
    /// @notice More rounds are left than one check walks: call `advance` first.
    error DepegProofIncomplete(bytes32 key, uint80 cursor);

    /// @inheritdoc ITrigger
    function validateParams(bytes calldata params) external view {
        Params memory p = abi.decode(params, (Params));
        if (p.durationSeconds == 0 || p.maxAgeSeconds == 0) revert DepegDurationInvalid(p.durationSeconds, p.maxAgeSeconds);
        uint256 threshold = _threshold(p);
        OracleLib.requireSequencerUp(p.sequencerFeed, p.sequencerGraceSeconds);
        OracleLib.Round memory head = OracleLib.latest(p.feed, p.maxAgeSeconds);
        if (uint256(head.answer) < threshold) revert DepegAlreadyBelowThreshold(head.answer, threshold);
    }

    /// @inheritdoc ITrigger
    /// @dev proof = abi.encode(uint80 onsetRoundId)
    function check(bytes calldata params, bytes calldata proof) external view returns (bool, uint64, uint64) {
        Params memory p = abi.decode(params, (Params));
        uint80 onsetId = abi.decode(proof, (uint80));
        uint256 threshold = _threshold(p);
        OracleLib.requireSequencerUp(p.sequencerFeed, p.sequencerGraceSeconds);
        OracleLib.Round memory head = OracleLib.latest(p.feed, p.maxAgeSeconds);
        bytes32 key = scanKey(p.feed, threshold, onsetId);
        (Scan memory s, bool complete) = _walk(p.feed, threshold, onsetId, head.roundId, scans[key], MAX_CHECK_ROUNDS);
        if (!complete) revert DepegProofIncomplete(key, s.cursor);
        uint256 end = s.recoveredAt != 0 ? s.recoveredAt : block.timestamp;
        if (end - s.onsetAt < p.durationSeconds) return (false, 0, 0);
        return (true, s.onsetAt, s.onsetAt);
    }

    /// @inheritdoc ITrigger
    function advance(bytes calldata params, bytes calldata proof, uint256 maxRounds) external returns (bool complete) {
        Params memory p = abi.decode(params, (Params));
        uint80 onsetId = abi.decode(proof, (uint80));
        uint256 threshold = _threshold(p);
        (uint80 latestId,,,,) = AggregatorV3Interface(p.feed).latestRoundData();
        bytes32 key = scanKey(p.feed, threshold, onsetId);
        Scan memory s;
        (s, complete) = _walk(p.feed, threshold, onsetId, latestId, scans[key], maxRounds);
        scans[key] = s;
        emit DepegScanAdvanced(key, onsetId, s.cursor, s.recoveredAt);
    }

    /// @inheritdoc ITrigger
    /// @dev Walks back from the latest round while readings stay below the threshold, at most
    /// SEARCH_ROUNDS rounds; longer episodes are found off-chain by the Worker's keeper.
    function findProof(bytes calldata params, uint64 notBefore) external view returns (bool, bytes memory) {
        Params memory p = abi.decode(params, (Params));
        uint256 threshold = _threshold(p);
        FeedHistory.Round memory cur;
        try AggregatorV3Interface(p.feed).latestRoundData() returns (uint80 id, int256 answer, uint256, uint256 updatedAt, uint80) {
            if (answer <= 0 || updatedAt == 0 || updatedAt > block.timestamp) return (false, "");
            cur = FeedHistory.Round(id, uint256(answer), uint64(updatedAt));
        } catch {
            return (false, "");
        }
        if (cur.answer >= threshold) return (false, "");
        FeedHistory.PhaseCtx memory ctx = FeedHistory.phaseCtx(p.feed, FeedHistory.phaseOf(cur.id));
        for (uint256 n; n < SEARCH_ROUNDS; ++n) {
            if (FeedHistory.phaseOf(cur.id) != ctx.phase) ctx = FeedHistory.phaseCtx(p.feed, FeedHistory.phaseOf(cur.id));
            (bool ok, FeedHistory.Round memory prev) = FeedHistory.predecessorIn(p.feed, cur, ctx);
            if (!ok || prev.answer >= threshold) {
                if (cur.at <= notBefore || block.timestamp - cur.at < p.durationSeconds) return (false, "");
                return (true, abi.encode(cur.id));
            }
            cur = prev;
        }
        return (false, "");
    }

    /// @inheritdoc ITrigger
    /// @dev True while the latest reading is below the threshold, or the feed cannot be read
    /// sanely (stale, zero, future, sequencer down): cover is never sold blind or into a depeg.
    function conditionHolds(bytes calldata params) external view returns (bool) {
        Params memory p = abi.decode(params, (Params));
        try this.latestBelow(p) returns (bool below) {
            return below;
        } catch {
            return true;
        }
    }

    /// @inheritdoc ITrigger
    function register(bytes calldata params) external returns (bytes32 key) {
        Params memory p = abi.decode(params, (Params));
        uint256 threshold = _threshold(p);
        key = keccak256(params);
        // A threshold above 2^96 in feed units cannot be a stablecoin price; store it saturated.
        registered[key] = Registered(p.feed, threshold > type(uint96).max ? type(uint96).max : uint96(threshold), p.sequencerFeed, p.maxAgeSeconds, p.sequencerGraceSeconds);
    }

    /// @inheritdoc ITrigger
    /// @dev True when the key was never registered: nothing is sold against unknown parameters.
    function conditionHoldsAt(bytes32 key) external view returns (bool) {
        Registered memory r = registered[key];
        if (r.feed == address(0)) return true;
        try this.latestBelowRegistered(r) returns (bool below) {
            return below;
        } catch {
            return true;
        }
    }

    /// @notice `latestBelow` for registered parameters.
    function latestBelowRegistered(Registered calldata r) external view returns (bool) {
        OracleLib.requireSequencerUp(r.sequencerFeed, r.sequencerGraceSeconds);
        OracleLib.Round memory head = OracleLib.latest(r.feed, r.maxAgeSeconds);
        return uint256(head.answer) < r.threshold;
    }

    /// @notice Whether the latest sane, fresh reading is below the threshold (reverts when the feed
    /// cannot be read sanely). Used by `conditionHolds`.
    function latestBelow(Params calldata p) external view returns (bool) {
        OracleLib.requireSequencerUp(p.sequencerFeed, p.sequencerGraceSeconds);
        OracleLib.Round memory head = OracleLib.latest(p.feed, p.maxAgeSeconds);
        return uint256(head.answer) < _threshold(p);
    }

    /// @notice The key under which an episode's walk progress is stored.
    function scanKey(address feed, uint256 threshold, uint80 onsetRoundId) public pure returns (bytes32) {
        return keccak256(abi.encode(feed, threshold, onsetRoundId));
    }

    /// @dev Continues (or starts) an episode's walk for at most `maxRounds` rounds.
    function _walk(address feed, uint256 threshold, uint80 onsetId, uint80 latestId, Scan memory s, uint256 maxRounds)
        private
        view
        returns (Scan memory, bool complete)
    {
        FeedHistory.Round memory cur;
        if (!s.started) {
            cur = FeedHistory.read(feed, onsetId);
            if (cur.answer >= threshold) revert DepegOnsetNotBelow(onsetId);
            (bool hasPrev, FeedHistory.Round memory prev) = FeedHistory.predecessor(feed, cur);
            if (hasPrev && prev.answer < threshold) revert DepegOnsetNotFirst(onsetId, prev.id);
            s = Scan(cur.id, uint40(cur.at), uint40(cur.at), 0, true);
        } else {
            cur = FeedHistory.Round(s.cursor, 0, s.cursorAt);
        }
        if (s.recoveredAt != 0) return (s, true);
        // The walk in scalars: rounds below the threshold inside a phase go through one assembly
        // loop (a round costs the feed's read, ≈ 4.4k gas through a phased proxy, most of it the
        // round's cold slot); only the round that stops it is read and judged here.
        uint80 id = cur.id;
        uint64 at = cur.at;
        uint256 n;
        while (true) {
            uint256 walked;
            (id, at, walked) = FeedHistory.walkBelow(feed, id, at, latestId, threshold, maxRounds - n);
            n += walked;
            if (n >= maxRounds || id == latestId) break;
            uint80 nextId = id + 1;
            (bool ok, uint256 answer, uint64 nextAt) = FeedHistory.tryReadRaw(feed, nextId); // reverts if insane
            if (!ok) {
                // `id` is the last round of its phase: the timeline enters the next phase.
                (, FeedHistory.Round memory entry) = FeedHistory.successor(feed, FeedHistory.Round(id, 0, at), latestId);
                (nextId, answer, nextAt) = (entry.id, entry.answer, entry.at);
            }
            ++n;
            if (answer >= threshold) {
                s.recoveredAt = uint40(nextAt);
                s.cursor = nextId;
                s.cursorAt = uint40(nextAt);
                return (s, true);
            }
            (id, at) = (nextId, nextAt);
        }
        s.cursor = id;
        s.cursorAt = uint40(at);
        return (s, id == latestId);
    }

    /// @dev The threshold in the feed's own decimals; refuses values the feed cannot express.
    function _threshold(Params memory p) private view returns (uint256 threshold) {
        uint8 d = OracleLib.decimalsOf(p.feed);
        threshold = p.thresholdE18 / 10 ** (18 - d);
        if (threshold == 0 || threshold * 10 ** (18 - d) != p.thresholdE18 || threshold > uint256(type(int256).max)) {
            revert DepegThresholdOutOfRange(p.thresholdE18, d);
        }
    }
}
