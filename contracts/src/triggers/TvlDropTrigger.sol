// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {ITrigger} from "../interfaces/ITrigger.sol";
import {IOracleErrors} from "../interfaces/IOracleErrors.sol";
import {OracleLib} from "../libraries/OracleLib.sol";
import {FeedHistory} from "../libraries/FeedHistory.sol";
import {StatelessTrigger} from "./StatelessTrigger.sol";

/// @title TvlDropTrigger
/// @notice Trips when a protocol's TVL feed fell by at least `dropBps` within `windowSeconds`.
///
/// What is proven. The feed is a step function: each round's answer is in force from its
/// `updatedAt` until the next round's (rounds in the proxy's timeline, across phases: see
/// FeedHistory). For a round k, M(k) is the highest answer in force at any moment of the window
/// [updatedAt(k) − W, updatedAt(k)] (the round in force when the window opened included). Round k
/// *trips* when answer(k) ≤ M(k) × (1 − dropBps). A fall is a maximal run of consecutive tripping
/// rounds; its tripping round j is the first of the run (the round before it does not trip).
///
/// Incident time (canonical): the `updatedAt` of the first round after the last round in force in
/// j's window from which the fall to answer(j) is at least `dropBps` (answer ≥ answer(j) / (1 −
/// dropBps)): the latest moment a qualifying fall can have begun. Cover that started after that
/// reading is not paid for the fall; cover active then is. A slow drift before a crash does not
/// move the time back (the drift's readings are not high enough to make the crash alone a fall),
/// and a partial fall that is visible before the drop level is reached does (1,000 → 700 → 400
/// for 50%: the time is the 700 reading's). The proof is (start, prev, trip):
/// `trip` must trip and `prev`, the round right before it, must not (else
/// TvlDropTripNotFirst), and `start` must be in force when prev's window opened (or be the feed's
/// first round), so the walk from start to trip sees every reading both windows contain.
///
/// Long windows: `check` walks at most MAX_CHECK_ROUNDS rounds past the stored progress;
/// `advance` walks any number in segments (anyone may call it) and stores where it got.
contract TvlDropTrigger is StatelessTrigger, IOracleErrors {
    struct Params {
        address feed;
        uint16 dropBps;
        uint32 windowSeconds;
        uint32 maxAgeSeconds;
        address sequencerFeed;
        uint32 sequencerGraceSeconds;
    }

    /// @notice Progress of one proof's walk, keyed by `scanKey`.
    struct Scan {
        uint80 cursor;
        uint40 cursorAt;
        uint40 peakNextAt;
        bool started;
        bool done;
        uint256 cursorAnswer;
        uint256 maxPrevWindow;
        uint256 maxTripWindow;
    }

    /// @dev The two rounds a proof ends with.
    struct Ends {
        FeedHistory.Round prev;
        FeedHistory.Round trip;
    }

    /// @notice Walk progress by scan key.
    mapping(bytes32 key => Scan) public scans;
    /// @notice Per (feed, drop, window): the trip round's time of the latest fall proven through
    /// `advance` (sales stop for a window after it, `conditionHolds`), and the window.
    struct Trip {
        uint40 at;
        uint32 windowSeconds;
    }

    /// @notice Proven falls by `paramsKey`.
    mapping(bytes32 paramsKey => Trip) public falls;

    uint256 private constant BPS = 10_000;
    /// @notice Rounds one `check` walks beyond the stored progress.
    uint256 public constant MAX_CHECK_ROUNDS = 1_000;
    /// @notice Rounds `findProof` looks back over.
    uint256 public constant SEARCH_ROUNDS = 64;

    /// @notice A fall's walk was advanced.
    event TvlDropScanAdvanced(bytes32 indexed key, uint80 tripRoundId, uint80 cursor, bool done);

    /// @notice `dropBps` must be in (0, 10000).
    error TvlDropBpsOutOfRange(uint16 dropBps);
    /// @notice The window and the max age must be non-zero.
    error TvlDropWindowInvalid(uint32 windowSeconds, uint32 maxAgeSeconds);
    /// @notice The start round is not in force when the previous round's window opens.
    error TvlDropStartTooLate(uint80 startRoundId);
    /// @notice `prev` is not the round right before `trip` in the feed's timeline.
    error TvlDropPrevNotAdjacent(uint80 prevRoundId, uint80 foundRoundId);
    /// @notice The walk from `start` reached the latest round without meeting `trip`.
    error TvlDropTripNotReached(uint80 tripRoundId);
    /// @notice The round before `trip` trips already: `trip` is not the first of its fall.
    error TvlDropTripNotFirst(uint80 tripRoundId, uint80 prevRoundId);
    /// @notice More rounds are left than one check walks: call `advance` first.
    error TvlDropProofIncomplete(bytes32 key, uint80 cursor);

    /// @inheritdoc ITrigger
    function validateParams(bytes calldata params) external view {
        Params memory p = abi.decode(params, (Params));
        if (p.dropBps == 0 || p.dropBps >= BPS) revert TvlDropBpsOutOfRange(p.dropBps);
        if (p.windowSeconds == 0 || p.maxAgeSeconds == 0) revert TvlDropWindowInvalid(p.windowSeconds, p.maxAgeSeconds);
        OracleLib.decimalsOf(p.feed);
        OracleLib.requireSequencerUp(p.sequencerFeed, p.sequencerGraceSeconds);
        OracleLib.latest(p.feed, p.maxAgeSeconds);
    }

    /// @inheritdoc ITrigger
    /// @dev proof = abi.encode(uint80 startRoundId, uint80 prevRoundId, uint80 tripRoundId)
    function check(bytes calldata params, bytes calldata proof) external view returns (bool, uint64, uint64) {
        Params memory p = abi.decode(params, (Params));
        (uint80 startId, uint80 prevId, uint80 tripId) = abi.decode(proof, (uint80, uint80, uint80));
        OracleLib.requireSequencerUp(p.sequencerFeed, p.sequencerGraceSeconds);
        OracleLib.Round memory head = OracleLib.latestAllowingZero(p.feed, p.maxAgeSeconds);
        Ends memory e = Ends(FeedHistory.read(p.feed, prevId), FeedHistory.read(p.feed, tripId));
        bytes32 key = scanKey(p, startId, prevId, tripId);
        (Scan memory s, bool complete) = _walk(p, startId, e, head.roundId, scans[key], MAX_CHECK_ROUNDS);
        if (!complete) revert TvlDropProofIncomplete(key, s.cursor);
        if (!_decide(p, e, s)) return (false, 0, 0);
        return (true, s.peakNextAt, s.peakNextAt);
    }

    /// @inheritdoc ITrigger
    function advance(bytes calldata params, bytes calldata proof, uint256 maxRounds) external returns (bool complete) {
        Params memory p = abi.decode(params, (Params));
        (uint80 startId, uint80 prevId, uint80 tripId) = abi.decode(proof, (uint80, uint80, uint80));
        (uint80 latestId,,,,) = AggregatorV3Interface(p.feed).latestRoundData();
        Ends memory e = Ends(FeedHistory.read(p.feed, prevId), FeedHistory.read(p.feed, tripId));
        bytes32 key = scanKey(p, startId, prevId, tripId);
        Scan memory s;
        (s, complete) = _walk(p, startId, e, latestId, scans[key], maxRounds);
        scans[key] = s;
        if (complete && _decide(p, e, s)) {
            bytes32 pk = paramsKey(p.feed, p.dropBps, p.windowSeconds);
            if (e.trip.at > falls[pk].at) falls[pk] = Trip(uint40(e.trip.at), p.windowSeconds);
        }
        emit TvlDropScanAdvanced(key, tripId, s.cursor, s.done);
    }

    /// @inheritdoc ITrigger
    /// @dev Searches the last SEARCH_ROUNDS rounds for the latest fall whose windows lie inside
    /// them; longer histories are searched off-chain by the Worker's keeper.
    function findProof(bytes calldata params, uint64 notBefore) external view returns (bool, bytes memory) {
        Params memory p = abi.decode(params, (Params));
        (bool ok, FeedHistory.Round[] memory r, bool fromStart) = _recent(p.feed);
        if (!ok) return (false, "");
        uint256 n = r.length;
        // Walk trip candidates from the newest; the first tripping round whose predecessor does not trip wins.
        for (uint256 j = n - 1; j >= 1; --j) {
            (bool coveredJ, bool tripsJ, uint64 peakNext,) = _tripsAt(p, r, j, fromStart);
            if (!coveredJ) break;
            if (!tripsJ) continue;
            (bool coveredPrev, bool tripsPrev,, uint256 startIdx) = _tripsAt(p, r, j - 1, fromStart);
            if (!coveredPrev) break;
            if (tripsPrev) continue;
            if (peakNext <= notBefore) return (false, "");
            return (true, abi.encode(r[startIdx].id, r[j - 1].id, r[j].id));
        }
        return (false, "");
    }

    /// @inheritdoc ITrigger
    /// @dev True for one window after a fall was proven through `advance` (the keeper advances a
    /// fall as soon as it finds one). A fall fired at once stops sales by the product's status.
    function conditionHolds(bytes calldata params) external view returns (bool) {
        Params memory p = abi.decode(params, (Params));
        return uint256(falls[paramsKey(p.feed, p.dropBps, p.windowSeconds)].at) + p.windowSeconds > block.timestamp;
    }

    /// @inheritdoc ITrigger
    /// @dev The key is `paramsKey`: one slot holds everything `conditionHoldsAt` reads.
    function register(bytes calldata params) external returns (bytes32 key) {
        Params memory p = abi.decode(params, (Params));
        key = paramsKey(p.feed, p.dropBps, p.windowSeconds);
        if (falls[key].windowSeconds == 0) falls[key].windowSeconds = p.windowSeconds;
    }

    /// @inheritdoc ITrigger
    function conditionHoldsAt(bytes32 key) external view returns (bool) {
        Trip memory t = falls[key];
        if (t.windowSeconds == 0) return true; // never registered
        return uint256(t.at) + t.windowSeconds > block.timestamp;
    }

    /// @notice The key a proof's walk progress is stored under.
    function scanKey(Params memory p, uint80 startId, uint80 prevId, uint80 tripId) public pure returns (bytes32) {
        return keccak256(abi.encode(p.feed, p.dropBps, p.windowSeconds, startId, prevId, tripId));
    }

    /// @notice The key of `falls` (and of `register`).
    function paramsKey(address feed, uint16 dropBps, uint32 windowSeconds) public pure returns (bytes32) {
        return keccak256(abi.encode(feed, dropBps, windowSeconds));
    }

    /// @dev Trip of `e.trip` and non-trip of `e.prev`, from a finished walk.
    function _decide(Params memory p, Ends memory e, Scan memory s) private pure returns (bool) {
        if (e.trip.answer * BPS > s.maxTripWindow * (BPS - p.dropBps)) return false;
        if (e.prev.answer * BPS <= s.maxPrevWindow * (BPS - p.dropBps)) revert TvlDropTripNotFirst(e.trip.id, e.prev.id);
        return true;
    }

    /// @dev Continues (or starts) a walk from `start` to `trip` for at most `maxRounds` rounds.
    function _walk(Params memory p, uint80 startId, Ends memory e, uint80 latestId, Scan memory s, uint256 maxRounds)
        private
        view
        returns (Scan memory, bool)
    {
        if (!s.started) {
            FeedHistory.Round memory start = FeedHistory.read(p.feed, startId);
            (bool hasPrev,) = FeedHistory.predecessor(p.feed, start);
            if (startId == e.trip.id || (hasPrev && uint256(start.at) + p.windowSeconds > e.prev.at)) revert TvlDropStartTooLate(startId);
            s.started = true;
            s.cursor = start.id;
            s.cursorAt = uint40(start.at);
            s.cursorAnswer = start.answer;
        }
        if (s.done) return (s, true);
        FeedHistory.Round memory cur = FeedHistory.Round(s.cursor, s.cursorAnswer, s.cursorAt);
        for (uint256 n; n < maxRounds; ++n) {
            (bool ok, FeedHistory.Round memory next) = FeedHistory.successor(p.feed, cur, latestId);
            if (!ok) revert TvlDropTripNotReached(e.trip.id);
            // `cur` was in force over [cur.at, next.at): it counts for a window it overlaps.
            if (uint256(next.at) + p.windowSeconds > e.prev.at && cur.answer > s.maxPrevWindow) s.maxPrevWindow = cur.answer;
            if (uint256(next.at) + p.windowSeconds > e.trip.at) {
                if (cur.answer > s.maxTripWindow) s.maxTripWindow = cur.answer;
                // High enough that the fall from it to the trip reading is the whole drop.
                if (cur.answer * (BPS - p.dropBps) >= e.trip.answer * BPS) s.peakNextAt = uint40(next.at);
            }
            if (next.id == e.trip.id) {
                if (cur.id != e.prev.id) revert TvlDropPrevNotAdjacent(e.prev.id, cur.id);
                s.done = true;
                cur = next;
                break;
            }
            if (cur.id == e.prev.id) revert TvlDropPrevNotAdjacent(e.prev.id, next.id);
            cur = next;
        }
        s.cursor = cur.id;
        s.cursorAt = uint40(cur.at);
        s.cursorAnswer = cur.answer;
        return (s, s.done);
    }

    /// @dev Whether r[k] trips, judged on the buffered rounds: `covered` is false when the buffer
    /// does not reach back to the round in force when k's window opened.
    function _tripsAt(Params memory p, FeedHistory.Round[] memory r, uint256 k, bool fromStart)
        private
        pure
        returns (bool covered, bool trips, uint64 peakNext, uint256 startIdx)
    {
        uint256 opens = r[k].at > p.windowSeconds ? r[k].at - p.windowSeconds : 0;
        uint256 i = k;
        while (i > 0 && r[i].at > opens) --i;
        covered = r[i].at <= opens || (i == 0 && fromStart);
        if (!covered) return (false, false, 0, 0);
        startIdx = i;
        for (uint256 x = i; x < k; ++x) {
            if (uint256(r[x + 1].at) + p.windowSeconds > r[k].at && r[x].answer * (BPS - p.dropBps) >= r[k].answer * BPS) {
                peakNext = r[x + 1].at;
                trips = true;
            }
        }
    }

    /// @dev Up to SEARCH_ROUNDS rounds ending at the latest, oldest first; `fromStart` when the
    /// first of them is the feed's first round.
    function _recent(address feed) private view returns (bool ok, FeedHistory.Round[] memory rounds, bool fromStart) {
        FeedHistory.Round memory cur;
        try AggregatorV3Interface(feed).latestRoundData() returns (uint80 id, int256 answer, uint256, uint256 updatedAt, uint80) {
            if (answer < 0 || updatedAt == 0 || updatedAt > block.timestamp) return (false, rounds, false);
            cur = FeedHistory.Round(id, uint256(answer), uint64(updatedAt));
        } catch {
            return (false, rounds, false);
        }
        FeedHistory.Round[] memory back = new FeedHistory.Round[](SEARCH_ROUNDS);
        uint256 n;
        back[n++] = cur;
        FeedHistory.PhaseCtx memory ctx = FeedHistory.phaseCtx(feed, FeedHistory.phaseOf(cur.id));
        while (n < SEARCH_ROUNDS) {
            if (FeedHistory.phaseOf(cur.id) != ctx.phase) ctx = FeedHistory.phaseCtx(feed, FeedHistory.phaseOf(cur.id));
            (bool has, FeedHistory.Round memory prev) = FeedHistory.predecessorIn(feed, cur, ctx);
            if (!has) {
                fromStart = true;
                break;
            }
            back[n++] = prev;
            cur = prev;
        }
        rounds = new FeedHistory.Round[](n);
        for (uint256 i; i < n; ++i) rounds[i] = back[n - 1 - i];
        return (n > 1, rounds, fromStart);
    }
}
