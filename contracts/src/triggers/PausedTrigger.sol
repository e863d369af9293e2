// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITrigger} from "../interfaces/ITrigger.sol";

/// @title PausedTrigger
/// @notice Trips when a covered contract's `paused()` has been true for at least
/// `durationSeconds`. Anyone may `observe`: the first observation of a pause records its time
/// (the incident time); an observation that finds the contract unpaused clears it, so a pause
/// must be continuous as seen by observations. Observations are per covered contract, shared by
/// every product that covers it.
contract PausedTrigger is ITrigger {
    struct Params {
        address target;
        uint32 durationSeconds;
    }

    /// @notice When each covered contract was first observed paused (0 = not observed).
    mapping(address target => uint64) public pausedSince;

    /// @notice A pause was observed for the first time.
    event PauseObserved(address indexed target, uint64 since);
    /// @notice The covered contract was observed unpaused; its observation was cleared.
    event PauseCleared(address indexed target, uint64 since, uint64 clearedAt);

    /// @notice The target does not answer `paused()`.
    error PausedTargetUnsupported(address target);
    /// @notice The target is paused already: listing would sell cover on a known loss.
    error PausedTargetAlreadyPaused(address target);
    /// @notice The duration must be non-zero.
    error PausedDurationZero();

    /// @inheritdoc ITrigger
    function validateParams(bytes calldata params) external view {
        Params memory p = abi.decode(params, (Params));
        if (p.durationSeconds == 0) revert PausedDurationZero();
        (bool ok, bool paused) = _paused(p.target);
        if (!ok) revert PausedTargetUnsupported(p.target);
        if (paused) revert PausedTargetAlreadyPaused(p.target);
    }

    /// @inheritdoc ITrigger
    /// @dev proof is unused (empty); the observation is the proof.
    function check(bytes calldata params, bytes calldata) external view returns (bool, uint64) {
        Params memory p = abi.decode(params, (Params));
        (bool ok, bool paused) = _paused(p.target);
        uint64 since = pausedSince[p.target];
        if (!ok || !paused || since == 0 || block.timestamp < uint256(since) + p.durationSeconds) return (false, 0);
        return (true, since);
    }

    /// @inheritdoc ITrigger
    function findProof(bytes calldata params, uint64 notBefore) external view returns (bool, bytes memory) {
        (bool tripped, uint64 since) = this.check(params, "");
        return (tripped && since > notBefore, "");
    }

    /// @inheritdoc ITrigger
    function observe(bytes calldata params) external returns (bool) {
        address target = abi.decode(params, (Params)).target;
        (bool ok, bool paused) = _paused(target);
        paused = ok && paused;
        uint64 since = pausedSince[target];
        if (paused && since == 0) {
            pausedSince[target] = uint64(block.timestamp);
            emit PauseObserved(target, uint64(block.timestamp));
        } else if (!paused && since != 0) {
            delete pausedSince[target];
            emit PauseCleared(target, since, uint64(block.timestamp));
        }
        return paused;
    }

    /// @inheritdoc ITrigger
    function observationDue(bytes calldata params) external view returns (bool) {
        address target = abi.decode(params, (Params)).target;
        (bool ok, bool paused) = _paused(target);
        return (ok && paused) != (pausedSince[target] != 0);
    }

    /// @inheritdoc ITrigger
    /// @dev True while the target is paused, observed or not yet: cover is never sold into a pause.
    function observationPending(bytes calldata params) external view returns (bool) {
        (bool ok, bool paused) = _paused(abi.decode(params, (Params)).target);
        return ok && paused;
    }

    /// @inheritdoc ITrigger
    function observes(bytes calldata) external pure returns (bool) {
        return true;
    }

    function _paused(address target) private view returns (bool ok, bool paused) {
        if (target.code.length == 0) return (false, false);
        (bool success, bytes memory ret) = target.staticcall(abi.encodeWithSignature("paused()"));
        if (!success || ret.length != 32) return (false, false);
        uint256 word = abi.decode(ret, (uint256));
        if (word > 1) return (false, false);
        return (true, word == 1);
    }
}
