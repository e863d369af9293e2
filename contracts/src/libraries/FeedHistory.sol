// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IOracleErrors} from "../interfaces/IOracleErrors.sol";

/// @title FeedHistory
/// @notice Walks a Chainlink feed's history in the order its proxy reported it, across aggregator
/// phases, reading every round through the proxy's `getRoundData` (Chainlink's documented way:
/// round id = phaseId << 64 | aggregatorRoundId; plain aggregators are phase 0).
///
/// The timeline. Inside a phase, rounds follow each other by id. When the proxy moves to a new
/// aggregator (phase p → p+1), the timeline goes from the last round of phase p (the round after
/// it does not exist) to the first round of phase p+1 whose `updatedAt` is not older than that
/// last round. Rounds a new aggregator posted before the old one's last round were never what the
/// proxy reported, so they are not part of the timeline. Walking backwards across a phase needs
/// the old phase's last round, which the walk finds by searching which of its rounds exist.
///
/// Every round read is sane (answer ≥ 0, not in the future) or the walk reverts with the
/// oracle error; a round whose `updatedAt` is zero, or that the feed cannot answer, does not exist.
library FeedHistory {
    struct Round {
        uint80 id;
        uint256 answer;
        uint64 at;
    }

    /// @notice A round that must exist (or be part of the reported timeline) does not.
    error FeedRoundNotInTimeline(address feed, uint80 roundId);

    function phaseOf(uint80 id) internal pure returns (uint16) {
        return uint16(id >> 64);
    }

    /// @dev Reads one round; `exists` is false when the feed cannot answer it or it was never set.
    function tryRead(address feed, uint80 id) internal view returns (bool exists, Round memory r) {
        uint256 answer;
        uint64 at;
        (exists, answer, at) = tryReadRaw(feed, id);
        if (exists) r = Round(id, answer, at);
    }

    /// @dev `tryRead` without a struct: the inner loop of every walk (a plain staticcall into
    /// scratch memory, no try/catch, no full ABI decode, nothing allocated per round).
    function tryReadRaw(address feed, uint80 id) internal view returns (bool exists, uint256 answer, uint64 at) {
        bool ok;
        int256 a;
        uint256 updatedAt;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, shl(224, 0x9a6fc8f5)) // getRoundData(uint80)
            mstore(add(ptr, 4), id)
            ok := staticcall(gas(), feed, ptr, 36, ptr, 160)
            if lt(returndatasize(), 160) { ok := 0 }
            if ok {
                a := mload(add(ptr, 32))
                updatedAt := mload(add(ptr, 96))
            }
        }
        if (!ok || updatedAt == 0) return (false, 0, 0);
        // Zero is a reading (a TVL drained to nothing); a negative answer is not.
        if (a < 0) revert IOracleErrors.OracleAnswerNotPositive(feed, id, a);
        if (updatedAt > block.timestamp) revert IOracleErrors.OracleUpdatedInFuture(feed, id, updatedAt);
        // a ≥ 0 checked; updatedAt ≤ block.timestamp fits 64 bits.
        return (true, uint256(a), uint64(updatedAt));
    }

    /// @dev From round `id` (read at `at`), walks the rounds after it inside its phase while each
    /// exists, is sane, answers below `below` and `latestId` is not passed: at most `maxRounds`.
    /// Returns the last round walked and how many were. It stops *before* any other round (missing,
    /// insane, at or above `below`) without judging it: the caller reads that one with `tryReadRaw`,
    /// which reverts on an insane round and tells a missing one (a phase's end) from a reading.
    /// All in assembly over one scratch buffer: a round costs the feed's read and ~40 gas more.
    function walkBelow(address feed, uint80 id, uint64 at, uint80 latestId, uint256 below, uint256 maxRounds)
        internal
        view
        returns (uint80 lastId, uint64 lastAt, uint256 walked)
    {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, shl(224, 0x9a6fc8f5)) // getRoundData(uint80); the id goes at ptr + 4
            let out := add(ptr, 0x40)
            for {} and(lt(walked, maxRounds), iszero(eq(id, latestId))) {} {
                let next := add(id, 1)
                mstore(add(ptr, 4), next)
                if iszero(staticcall(gas(), feed, ptr, 36, out, 160)) { break }
                if lt(returndatasize(), 160) { break }
                let a := mload(add(out, 0x20))
                let u := mload(add(out, 0x60))
                // missing (updatedAt 0), in the future, negative, or not below: the caller's to judge
                if or(or(iszero(u), gt(u, timestamp())), or(slt(a, 0), iszero(lt(a, below)))) { break }
                id := next
                at := u
                walked := add(walked, 1)
            }
        }
        return (id, at, walked);
    }

    /// @dev Reads a round that must exist.
    function read(address feed, uint80 id) internal view returns (Round memory r) {
        bool ok;
        (ok, r) = tryRead(feed, id);
        if (!ok) revert FeedRoundNotInTimeline(feed, id);
    }

    /// @dev The round after `cur` in the timeline; `ok` is false when `cur` is the latest round.
    function successor(address feed, Round memory cur, uint80 latestId) internal view returns (bool ok, Round memory r) {
        if (cur.id == latestId) return (false, r);
        (ok, r) = tryRead(feed, cur.id + 1);
        if (ok) return (true, r);
        // cur is the last round of its phase: enter the next phase at its first round not older than cur.
        uint80 base = uint80(uint256(phaseOf(cur.id)) + 1) << 64;
        if (base > latestId) revert FeedRoundNotInTimeline(feed, cur.id + 1);
        return (true, _entry(feed, base, cur.at));
    }

    /// @notice What walking back into a phase's predecessor needs: whether an earlier phase exists
    /// and, if so, its last round.
    struct PhaseCtx {
        uint16 phase;
        bool hasPrev;
        Round prevLast;
    }

    /// @dev The context of `phase` (one search of the previous phase's last round).
    function phaseCtx(address feed, uint16 phase) internal view returns (PhaseCtx memory c) {
        c.phase = phase;
        if (phase > 0) (c.hasPrev,) = tryRead(feed, (uint80(phase - 1) << 64) | 1);
        if (c.hasPrev) c.prevLast = lastOf(feed, phase - 1);
    }

    /// @dev The round before `cur` in the timeline; `ok` is false when `cur` is the first round the
    /// feed ever reported.
    function predecessor(address feed, Round memory cur) internal view returns (bool ok, Round memory r) {
        return predecessorIn(feed, cur, phaseCtx(feed, phaseOf(cur.id)));
    }

    /// @dev As `predecessor`, with the phase context of `cur`'s phase already known.
    function predecessorIn(address feed, Round memory cur, PhaseCtx memory c) internal view returns (bool ok, Round memory r) {
        uint64 k = uint64(cur.id);
        if (!c.hasPrev) {
            if (k <= 1) return (false, r);
            return (true, read(feed, cur.id - 1));
        }
        if (cur.at < c.prevLast.at) revert FeedRoundNotInTimeline(feed, cur.id);
        if (k > 1) {
            (bool has, Round memory before) = tryRead(feed, cur.id - 1);
            if (has && before.at >= c.prevLast.at) return (true, before);
        }
        return (true, c.prevLast); // cur is the phase's entry round
    }

    /// @dev The last round of `phase` (which has at least its round 1): galloping, then bisection,
    /// over which aggregator rounds exist.
    function lastOf(address feed, uint16 phase) internal view returns (Round memory r) {
        uint80 base = uint80(phase) << 64;
        uint64 lo = 1; // exists
        uint64 hi = 2;
        while (true) {
            (bool ok,) = tryRead(feed, base + hi);
            if (!ok) break;
            lo = hi;
            hi *= 2;
        }
        // Invariant: round lo exists, round hi does not.
        while (hi - lo > 1) {
            uint64 mid = lo + (hi - lo) / 2;
            (bool ok,) = tryRead(feed, base + mid);
            if (ok) lo = mid;
            else hi = mid;
        }
        return read(feed, base + lo);
    }

    /// @dev First round of the phase starting at `base` whose updatedAt ≥ `notBefore`: a galloping
    /// then binary search over the phase's rounds (updatedAt rises with the round id in a phase).
    function _entry(address feed, uint80 base, uint64 notBefore) private view returns (Round memory) {
        (bool ok, Round memory r) = tryRead(feed, base + 1);
        if (!ok) revert FeedRoundNotInTimeline(feed, base + 1);
        if (r.at >= notBefore) return r;
        uint64 lo = 1; // known older than notBefore
        uint64 hi = 2;
        Round memory found;
        while (true) {
            (ok, found) = tryRead(feed, base + hi);
            if (!ok || found.at >= notBefore) break;
            lo = hi;
            hi *= 2;
        }
        // Invariant: round lo exists and is older; round hi is missing or not older.
        while (hi - lo > 1) {
            uint64 mid = lo + (hi - lo) / 2;
            (bool m, Round memory x) = tryRead(feed, base + mid);
            if (m && x.at < notBefore) lo = mid;
            else hi = mid;
        }
        (ok, found) = tryRead(feed, base + hi);
        if (!ok) revert FeedRoundNotInTimeline(feed, base + hi);
        return found;
    }
}
