// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITrigger} from "../interfaces/ITrigger.sol";
import {CappedRead} from "../libraries/CappedRead.sol";
import {OracleLib} from "../libraries/OracleLib.sol";
import {ObservedTrigger} from "./ObservedTrigger.sol";

/// @title OracleDeviationTrigger
/// @notice Trips when the price a covered protocol uses (its oracle, `feed`) has stayed at least
/// `deviationBps` away from a reference feed (`referenceFeed`, e.g. Chainlink's market price of
/// the same asset) for at least `durationSeconds`: how an oracle manipulation or a broken price
/// source shows up before, or while, it is exploited. Both feeds are read through OracleLib's
/// hygiene (answer > 0, set, not in the future, not older than `maxAgeSeconds`, an L2 sequencer up
/// past its grace period), scaled to 18 decimals; the deviation is |feed − reference| / reference.
///
/// Neither feed has a history this trigger could walk in step with the other, so it keeps its
/// own observations (anyone may `observe`), as the paused and share-price triggers do:
/// - a run starts at the first observation that finds the feeds `deviationBps` or more apart;
/// - it goes on while observations keep finding them apart, no two of them (nor the last one and
///   the proving call) more than `maxGapSeconds` apart;
/// - an observation that finds them closer restarts the stretch a proof needs (so a price pushed
///   back into line for one block between honest observations never lets dips add up), and ends
///   the run only once a second observation at least `maxGapSeconds` later, with none apart in
///   between, confirms it (so one push into line does not end a real run either);
/// - an observation that cannot read both feeds sanely counts for neither side.
///
/// What "stayed apart" means (and what the product's terms say): for at least the duration, every
/// observation found the feeds at least `deviationBps` apart, observations at most `maxGapSeconds`
/// apart, and they are apart now.
///
/// Incident time (canonical): the first observation of the current run (which an unconfirmed
/// return into line does not end) — unless returns into line (each restarts the stretch a proof
/// needs) put the first moment the run can be proven, the latest return plus the duration plus a
/// day, past the market's 30-day incident age limit counted from that first observation; then the
/// first observation apart after the latest return. It does not depend on the (empty) proof nor
/// on when it is sent. Records are kept per `recordKey(params)` (every parameter but the
/// duration), so products that differ only in how long the deviation must last share one record
/// (and one incident time, where the returns into line leave both provable from the start).
contract OracleDeviationTrigger is ObservedTrigger {
    struct Params {
        address feed;
        address referenceFeed;
        uint16 deviationBps;
        uint32 durationSeconds;
        uint32 maxGapSeconds;
        uint32 maxAgeSeconds;
        address sequencerFeed;
        uint32 sequencerGraceSeconds;
    }

    /// @notice A pair's run: its first observation apart, the latest apart, an open return into
    /// line and the latest observation in line during the run.
    struct Record {
        uint40 since;
        uint40 lastApart;
        uint40 alignedAt;
        uint40 lastAligned;
        /// @dev the first observation apart after the latest return into line
        uint40 resumedAt;
    }

    uint256 private constant BPS = 10_000;
    /// @notice Bounds of the deviation: 1%–90% (two feeds of one asset differ by their deviation
    /// thresholds and heartbeats in ordinary markets; below 1% that noise would pay).
    uint16 public constant MIN_DEVIATION_BPS = 100;
    uint16 public constant MAX_DEVIATION_BPS = 9_000;
    /// @notice The gas the read of both feeds and the sequencer may use, together.
    uint256 public constant READ_GAS = 600_000;

    /// @notice Records by `recordKey(params)`.
    mapping(bytes32 key => Record) public records;
    /// @notice The parameters of each registered key (what `conditionHoldsAt` reads).
    mapping(bytes32 key => Params) public paramsOf;

    /// @notice A run apart was observed for the first time (or again after too long a gap).
    event OracleDeviationObserved(bytes32 indexed key, uint256 price, uint256 referencePrice, uint256 deviationBps, uint64 since);
    /// @notice A return into line was confirmed, or a gap ran too long; the run was cleared.
    event OracleDeviationCleared(bytes32 indexed key, uint64 since, uint64 clearedAt);

    /// @notice Deviation, duration or gap out of bounds (the gap at most the duration, the two
    /// together at most MAX_RUN_SECONDS), a zero max age, or one feed named twice.
    error OracleDeviationParamsInvalid(uint16 deviationBps, uint32 durationSeconds, uint32 maxGapSeconds, uint32 maxAgeSeconds);
    /// @notice The feeds are already apart, or a run is on record: listing would sell cover on a known loss.
    error OracleDeviationAlreadyApart(uint256 deviationBps, uint16 limitBps);
    /// @notice Too little gas left to give the feeds' read its whole allowance (READ_GAS): send the
    /// call with more gas.
    error OracleDeviationOutOfGas();
    /// @notice A feed answered more than 2^128 base units: not a price this trigger can compare.
    error OracleDeviationAnswerTooLarge(address feed, int256 answer);

    /// @inheritdoc ITrigger
    /// @dev Both feeds must read sanely now (OracleLib reverts name the problem).
    function validateParams(bytes calldata params) external view {
        Params memory p = abi.decode(params, (Params));
        if (
            p.deviationBps < MIN_DEVIATION_BPS || p.deviationBps > MAX_DEVIATION_BPS || p.durationSeconds == 0 || p.maxGapSeconds == 0
                || p.maxGapSeconds > p.durationSeconds || uint256(p.durationSeconds) + p.maxGapSeconds > MAX_RUN_SECONDS || p.maxAgeSeconds == 0
                || p.feed == p.referenceFeed
        ) revert OracleDeviationParamsInvalid(p.deviationBps, p.durationSeconds, p.maxGapSeconds, p.maxAgeSeconds);
        (,, uint256 dev) = this.readDeviation(p);
        if (dev >= p.deviationBps || records[recordKey(p)].since != 0) revert OracleDeviationAlreadyApart(dev, p.deviationBps);
    }

    /// @inheritdoc ITrigger
    /// @dev proof is unused (empty); the observations are the proof.
    function check(bytes calldata params, bytes calldata) external view returns (bool, uint64, uint64) {
        Params memory p = abi.decode(params, (Params));
        Record memory r = records[recordKey(p)];
        (bool ok, uint256 dev) = _deviation(p);
        if (!ok || r.since == 0 || dev < p.deviationBps) return (false, 0, 0);
        if (block.timestamp - r.lastApart > p.maxGapSeconds) return (false, 0, 0);
        uint256 stretch = r.lastAligned > r.since ? r.lastAligned : r.since;
        if (block.timestamp < stretch + p.durationSeconds) return (false, 0, 0);
        uint64 t = _runIncidentTime(r.since, r.lastAligned, r.resumedAt, p.durationSeconds);
        return (true, t, t);
    }

    /// @inheritdoc ITrigger
    function observe(bytes calldata params) external returns (bool) {
        Params memory p = abi.decode(params, (Params));
        bytes32 key = recordKey(p);
        Record memory r = records[key];
        (bool ok, uint256 price, uint256 ref, uint256 dev) = _read(p);
        if (!ok) return r.since != 0; // neither apart nor in line: nothing recorded
        uint40 nowTs = uint40(block.timestamp);
        bool apart = dev >= p.deviationBps;
        if (apart) {
            if (r.since != 0 && block.timestamp - r.lastApart > p.maxGapSeconds) {
                emit OracleDeviationCleared(key, r.since, nowTs);
                r.since = 0;
                r.lastAligned = 0;
            }
            if (r.since != 0 && r.alignedAt != 0) r.resumedAt = nowTs; // apart again after a return into line
            if (r.since == 0) {
                r.since = nowTs;
                r.resumedAt = 0;
                emit OracleDeviationObserved(key, price, ref, dev, nowTs);
            }
            r.lastApart = nowTs;
            r.alignedAt = 0;
        } else if (r.since != 0) {
            r.lastAligned = nowTs;
            if (r.alignedAt == 0) {
                r.alignedAt = nowTs;
            } else if (block.timestamp - r.alignedAt >= p.maxGapSeconds) {
                emit OracleDeviationCleared(key, r.since, nowTs);
                r = Record(0, 0, 0, 0, 0);
            }
        } else {
            return false; // in line, no run: nothing to record
        }
        records[key] = r;
        return apart;
    }

    /// @inheritdoc ITrigger
    /// @dev Due while the feeds are apart and no run is recorded; during a run, every half max gap
    /// while apart (a keeper observing when due keeps a real run continuous), and while a return
    /// into line is to be confirmed.
    function observationDue(bytes calldata params) external view returns (bool) {
        Params memory p = abi.decode(params, (Params));
        Record memory r = records[recordKey(p)];
        (bool ok, uint256 dev) = _deviation(p);
        if (!ok) return false;
        bool apart = dev >= p.deviationBps;
        if (r.since == 0) return apart;
        if (apart) return block.timestamp - r.lastApart >= p.maxGapSeconds / 2;
        return r.alignedAt == 0 || block.timestamp - r.alignedAt >= p.maxGapSeconds;
    }

    /// @inheritdoc ITrigger
    /// @dev True while either feed is unreadable, the feeds are apart, or a run is on record.
    function conditionHolds(bytes calldata params) external view returns (bool) {
        Params memory p = abi.decode(params, (Params));
        return _holds(recordKey(p), p);
    }

    /// @inheritdoc ITrigger
    /// @dev The key is `recordKey`. Anyone may register: it stores the parameters under their key
    /// and nothing else (no level is taken at registration).
    function register(bytes calldata params) external returns (bytes32 key) {
        Params memory p = abi.decode(params, (Params));
        key = recordKey(p);
        paramsOf[key] = p;
    }

    /// @inheritdoc ITrigger
    function conditionHoldsAt(bytes32 key) external view returns (bool) {
        Params memory p = paramsOf[key];
        if (p.feed == address(0)) return true; // never registered
        return _holds(key, p);
    }

    /// @notice Where the record of `p` is kept: every parameter but the duration.
    function recordKey(Params memory p) public pure returns (bytes32) {
        return keccak256(abi.encode(p.feed, p.referenceFeed, p.deviationBps, p.maxGapSeconds, p.maxAgeSeconds, p.sequencerFeed, p.sequencerGraceSeconds));
    }

    /// @notice Both feeds' latest answers in 18 decimals and how far apart they are (bps of the
    /// reference, rounded down). Reverts with the oracle error when either fails OracleLib's hygiene.
    function readDeviation(Params calldata p) external view returns (uint256 price, uint256 referencePrice, uint256 deviationBps) {
        OracleLib.requireSequencerUp(p.sequencerFeed, p.sequencerGraceSeconds);
        price = _scaled(p.feed, p.maxAgeSeconds);
        referencePrice = _scaled(p.referenceFeed, p.maxAgeSeconds);
        uint256 diff = price > referencePrice ? price - referencePrice : referencePrice - price;
        deviationBps = (diff * BPS) / referencePrice;
    }

    function _scaled(address feed, uint256 maxAge) private view returns (uint256) {
        uint8 d = OracleLib.decimalsOf(feed);
        OracleLib.Round memory r = OracleLib.latest(feed, maxAge);
        if (r.answer > int256(uint256(type(uint128).max))) revert OracleDeviationAnswerTooLarge(feed, r.answer);
        return uint256(r.answer) * 10 ** (18 - d);
    }

    /// @dev A feed that cannot be read sanely is a reading of neither side, so nobody may make the
    /// read fail: both feeds and the sequencer are read inside one call given READ_GAS, forwarded
    /// in full or not at all (CappedRead: a starved call one frame down, behind a proxy, is no
    /// way around it).
    function _read(Params memory p) private view returns (bool ok, uint256 price, uint256 ref, uint256 dev) {
        if (!CappedRead.canForward(READ_GAS)) revert OracleDeviationOutOfGas();
        try this.readDeviation{gas: READ_GAS}(p) returns (uint256 a, uint256 b, uint256 c) {
            return (true, a, b, c);
        } catch {
            return (false, 0, 0, 0);
        }
    }

    function _deviation(Params memory p) private view returns (bool ok, uint256 dev) {
        (ok,,, dev) = _read(p);
    }

    function _holds(bytes32 key, Params memory p) private view returns (bool) {
        (bool ok, uint256 dev) = _deviation(p);
        return !ok || records[key].since != 0 || dev >= p.deviationBps;
    }
}
