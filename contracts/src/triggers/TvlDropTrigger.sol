// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {ITrigger} from "../interfaces/ITrigger.sol";
import {IOracleErrors} from "../interfaces/IOracleErrors.sol";
import {OracleLib} from "../libraries/OracleLib.sol";
import {StatelessTrigger} from "./StatelessTrigger.sol";

/// @title TvlDropTrigger
/// @notice Trips when a protocol's TVL feed fell by at least `dropBps` within `windowSeconds`,
/// proven by two round ids that this contract reads back with `getRoundData`. The incident time
/// is the earlier round's `updatedAt`: the last reading before the fall.
contract TvlDropTrigger is StatelessTrigger, IOracleErrors {
    struct Params {
        address feed;
        uint16 dropBps;
        uint32 windowSeconds;
        uint32 maxAgeSeconds;
        address sequencerFeed;
        uint32 sequencerGraceSeconds;
    }

    /// @notice `dropBps` must be in (0, 10000).
    error TvlDropBpsOutOfRange(uint16 dropBps);
    /// @notice The window and the max age must be non-zero.
    error TvlDropWindowInvalid(uint32 windowSeconds, uint32 maxAgeSeconds);
    /// @notice The proof's later round is newer than the feed's latest round.
    error TvlDropRoundAfterLatest(uint80 roundId, uint80 latestRoundId);

    uint256 private constant BPS = 10_000;
    /// @notice Rounds `findProof` looks back over.
    uint256 public constant SEARCH_ROUNDS = 48;

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
    /// @dev proof = abi.encode(uint80 fromRoundId, uint80 toRoundId)
    function check(bytes calldata params, bytes calldata proof) external view returns (bool, uint64) {
        Params memory p = abi.decode(params, (Params));
        (uint80 fromId, uint80 toId) = abi.decode(proof, (uint80, uint80));
        OracleLib.requireSequencerUp(p.sequencerFeed, p.sequencerGraceSeconds);
        OracleLib.Round memory head = OracleLib.latest(p.feed, p.maxAgeSeconds);
        OracleLib.samePhaseOrdered(p.feed, fromId, toId);
        if (toId > head.roundId) revert TvlDropRoundAfterLatest(toId, head.roundId);
        OracleLib.Round memory a = OracleLib.at(p.feed, fromId);
        OracleLib.Round memory b = OracleLib.at(p.feed, toId);
        if (!_dropped(p, a, b)) return (false, 0);
        return (true, uint64(a.updatedAt));
    }

    /// @inheritdoc ITrigger
    /// @dev Returns the earliest tripping round within the last SEARCH_ROUNDS, paired with the
    /// highest reading inside the window before it.
    function findProof(bytes calldata params, uint64 notBefore) external view returns (bool, bytes memory) {
        Params memory p = abi.decode(params, (Params));
        (bool ok, OracleLib.Round[] memory rounds) = _recent(p.feed);
        if (!ok) return (false, "");
        for (uint256 j = 1; j < rounds.length; ++j) {
            uint256 peak = type(uint256).max;
            for (uint256 i = j; i > 0; --i) {
                OracleLib.Round memory a = rounds[i - 1];
                if (a.updatedAt > rounds[j].updatedAt) continue; // out-of-order history proves nothing
                if (a.updatedAt <= notBefore || rounds[j].updatedAt - a.updatedAt > p.windowSeconds) break;
                if (peak == type(uint256).max || a.answer > rounds[peak].answer) peak = i - 1;
            }
            if (peak != type(uint256).max && _dropped(p, rounds[peak], rounds[j])) {
                return (true, abi.encode(rounds[peak].roundId, rounds[j].roundId));
            }
        }
        return (false, "");
    }

    function _dropped(Params memory p, OracleLib.Round memory a, OracleLib.Round memory b) private pure returns (bool) {
        if (b.updatedAt < a.updatedAt || b.updatedAt - a.updatedAt > p.windowSeconds) return false;
        // b <= a * (1 - drop): both answers are positive (checked on read), so the casts are exact.
        return uint256(b.answer) * BPS <= uint256(a.answer) * (BPS - p.dropBps);
    }

    /// @dev Up to SEARCH_ROUNDS valid rounds ending at the latest, oldest first, within one phase.
    function _recent(address feed) private view returns (bool ok, OracleLib.Round[] memory rounds) {
        uint80 latestId;
        try AggregatorV3Interface(feed).latestRoundData() returns (uint80 id, int256, uint256, uint256, uint80) {
            latestId = id;
        } catch {
            return (false, rounds);
        }
        uint80 phaseStart = (latestId >> 64) << 64;
        uint256 span = latestId - phaseStart; // rounds before latest in this phase (round 0 unused)
        if (span > SEARCH_ROUNDS - 1) span = SEARCH_ROUNDS - 1;
        OracleLib.Round[] memory buf = new OracleLib.Round[](span + 1);
        uint256 n;
        for (uint80 id = latestId - uint80(span); id <= latestId; ++id) {
            (bool good, OracleLib.Round memory r) = OracleLib.tryAt(feed, id);
            if (good) buf[n++] = r;
        }
        assembly ("memory-safe") {
            mstore(buf, n)
        }
        return (n > 1, buf);
    }
}
