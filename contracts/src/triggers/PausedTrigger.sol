// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITrigger} from "../interfaces/ITrigger.sol";
import {CappedRead} from "../libraries/CappedRead.sol";
import {ObservedTrigger} from "./ObservedTrigger.sol";

/// @title PausedTrigger
/// @notice Trips when a covered contract's `paused()` has been continuously true for at least
/// `durationSeconds`.
///
/// What "continuously" means (and what the product's terms say): the contract was seen paused at
/// every observation, and no two consecutive observations, nor the last observation and the
/// proving call, are more than `maxGapSeconds` apart. Anyone may `observe`. An observation that
/// finds the contract unpaused ends the pause; a gap longer than `maxGapSeconds` restarts it at
/// the next observation. An unpause shorter than the gap between two observations cannot be seen
/// and does not break continuity; that is the product's stated resolution.
///
/// Incident time (canonical): the first observation of the current continuous pause. It does not
/// depend on the (empty) proof. Observations are kept per (covered contract, max gap) and shared
/// by every product with that pair.
contract PausedTrigger is ObservedTrigger {
    /// @notice The gas a target's `paused()` may use (a proxy, a registry of modules); more is a
    /// target this trigger cannot read (refused at listing).
    uint256 public constant READ_GAS = 300_000;
    /// @notice The longest pause a product may require: its proof must come inside the market's
    /// 30-day incident age limit, counted from the pause's first observation.
    uint32 public constant MAX_DURATION_SECONDS = 29 days;

    struct Params {
        address target;
        uint32 durationSeconds;
        uint32 maxGapSeconds;
    }

    /// @notice An observed pause: when it was first seen, and when last seen.
    struct Observation {
        uint40 since;
        uint40 lastSeen;
    }

    /// @notice Observations by `observationKey(target, maxGap)`.
    mapping(bytes32 key => Observation) public observations;
    /// @notice The covered contract of each registered observation key.
    mapping(bytes32 key => address) public targetOf;

    /// @notice A pause was observed for the first time (or again after a gap longer than allowed).
    event PauseObserved(address indexed target, uint32 maxGapSeconds, uint64 since);
    /// @notice The covered contract was observed unpaused, or a gap ran too long; the pause was cleared.
    event PauseCleared(address indexed target, uint32 maxGapSeconds, uint64 since, uint64 clearedAt);

    /// @notice The target does not answer `paused()`.
    error PausedTargetUnsupported(address target);
    /// @notice Too little gas left to give the target's `paused()` its whole allowance (READ_GAS):
    /// send the call with more gas.
    error PausedOutOfGas(address target);
    /// @notice The target is paused already: listing would sell cover on a known loss.
    error PausedTargetAlreadyPaused(address target);
    /// @notice The duration and the max gap must be non-zero, the gap at most the duration.
    error PausedDurationInvalid(uint32 durationSeconds, uint32 maxGapSeconds);

    /// @inheritdoc ITrigger
    function validateParams(bytes calldata params) external view {
        Params memory p = abi.decode(params, (Params));
        if (p.durationSeconds == 0 || p.durationSeconds > MAX_DURATION_SECONDS || p.maxGapSeconds == 0 || p.maxGapSeconds > p.durationSeconds) {
            revert PausedDurationInvalid(p.durationSeconds, p.maxGapSeconds);
        }
        (bool ok, bool paused) = _paused(p.target);
        if (!ok) revert PausedTargetUnsupported(p.target);
        if (paused) revert PausedTargetAlreadyPaused(p.target);
    }

    /// @inheritdoc ITrigger
    /// @dev proof is unused (empty); the observations are the proof.
    function check(bytes calldata params, bytes calldata) external view returns (bool, uint64, uint64) {
        Params memory p = abi.decode(params, (Params));
        (bool ok, bool paused) = _paused(p.target);
        Observation memory o = observations[observationKey(p.target, p.maxGapSeconds)];
        if (!ok || !paused || o.since == 0) return (false, 0, 0);
        if (block.timestamp - o.lastSeen > p.maxGapSeconds) return (false, 0, 0);
        if (block.timestamp < uint256(o.since) + p.durationSeconds) return (false, 0, 0);
        return (true, o.since, o.since);
    }

    /// @inheritdoc ITrigger
    function observe(bytes calldata params) external returns (bool) {
        Params memory p = abi.decode(params, (Params));
        (bool ok, bool paused) = _paused(p.target);
        paused = ok && paused;
        bytes32 key = observationKey(p.target, p.maxGapSeconds);
        Observation memory o = observations[key];
        uint40 nowTs = uint40(block.timestamp);
        if (paused) {
            if (o.since != 0 && block.timestamp - o.lastSeen > p.maxGapSeconds) {
                emit PauseCleared(p.target, p.maxGapSeconds, o.since, nowTs);
                o.since = 0;
            }
            if (o.since == 0) {
                o.since = nowTs;
                emit PauseObserved(p.target, p.maxGapSeconds, nowTs);
            }
            o.lastSeen = nowTs;
            observations[key] = o;
        } else if (o.since != 0) {
            delete observations[key];
            emit PauseCleared(p.target, p.maxGapSeconds, o.since, nowTs);
        }
        return paused;
    }

    /// @inheritdoc ITrigger
    /// @dev Due when a pause is not yet recorded, when a recorded one has ended, and while paused
    /// once half the max gap has passed since the last observation (so that a keeper observing
    /// when due keeps a real pause continuous).
    function observationDue(bytes calldata params) external view returns (bool) {
        Params memory p = abi.decode(params, (Params));
        (bool ok, bool paused) = _paused(p.target);
        Observation memory o = observations[observationKey(p.target, p.maxGapSeconds)];
        if (!(ok && paused)) return o.since != 0;
        return o.since == 0 || block.timestamp - o.lastSeen >= p.maxGapSeconds / 2;
    }

    /// @inheritdoc ITrigger
    /// @dev True while the target is paused (observed or not yet) or a pause is on record.
    function conditionHolds(bytes calldata params) external view returns (bool) {
        Params memory p = abi.decode(params, (Params));
        (bool ok, bool paused) = _paused(p.target);
        return (ok && paused) || observations[observationKey(p.target, p.maxGapSeconds)].since != 0;
    }

    /// @inheritdoc ITrigger
    /// @dev The key is `observationKey`.
    function register(bytes calldata params) external returns (bytes32 key) {
        Params memory p = abi.decode(params, (Params));
        key = observationKey(p.target, p.maxGapSeconds);
        targetOf[key] = p.target;
    }

    /// @inheritdoc ITrigger
    function conditionHoldsAt(bytes32 key) external view returns (bool) {
        address target = targetOf[key];
        if (target == address(0)) return true; // never registered
        (bool ok, bool paused) = _paused(target);
        return (ok && paused) || observations[key].since != 0;
    }

    /// @notice The key observations of `target` at gap `maxGapSeconds` are kept under.
    function observationKey(address target, uint32 maxGapSeconds) public pure returns (bytes32) {
        return keccak256(abi.encode(target, maxGapSeconds));
    }

    function _paused(address target) private view returns (bool ok, bool paused) {
        if (target.code.length == 0) return (false, false);
        // A failed read counts as "not paused" (and clears a record), so nobody may make it fail:
        // it gets READ_GAS, forwarded in full or not at all (CappedRead).
        if (!CappedRead.canForward(READ_GAS)) revert PausedOutOfGas(target);
        (bool success, bytes memory ret) = target.staticcall{gas: READ_GAS}(abi.encodeWithSignature("paused()"));
        if (!success || ret.length != 32) return (false, false);
        uint256 word = abi.decode(ret, (uint256));
        if (word > 1) return (false, false);
        return (true, word == 1);
    }
}
