// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITrigger} from "../interfaces/ITrigger.sol";
import {ITriggerRegistry} from "../interfaces/ITriggerRegistry.sol";

/// @title AllOfTrigger
/// @notice Composite: trips only when every listed sub-trigger (leg) trips (say, a TVL drop and a
/// pause) and their incident times lie within `maxSpreadSeconds` of each other (the pause within
/// a day of the fall, say): legs proven from unrelated events do not make one incident.
///
/// Incident time (canonical): the earliest of the legs' own canonical incident times, the moment
/// the event first showed. Cover bought after any leg had tripped is never paid for the event,
/// whether or not that leg's condition still held when the cover was bought. The market requires
/// it after the product's listing and within the incident age limit, so a leg proven from history
/// before the product existed, long recovered, never counts. Sub-triggers must be approved by the
/// same registry (the market) that approves this contract.
contract AllOfTrigger is ITrigger {
    struct Params {
        address[] triggers;
        bytes[] params;
        uint32 maxSpreadSeconds;
    }

    /// @notice A registered leg: its trigger and the key it registered its parameters under.
    struct Leg {
        address trigger;
        bytes32 key;
    }

    /// @notice Registered legs by key (keccak256 of the params).
    mapping(bytes32 key => Leg[]) private _legs;

    /// @notice Registry whose approval each sub-trigger needs.
    ITriggerRegistry public immutable registry;

    /// @notice Most sub-triggers one composite may hold.
    uint256 public constant MAX_SUBTRIGGERS = 4;

    /// @notice Between 2 and MAX_SUBTRIGGERS sub-triggers, one params blob each.
    error AllOfArity(uint256 triggers, uint256 params);
    /// @notice A sub-trigger is not approved by the registry, or is this contract.
    error AllOfSubTriggerNotApproved(address trigger);
    /// @notice The proof does not hold one sub-proof per sub-trigger.
    error AllOfProofArity(uint256 proofs, uint256 triggers);
    /// @notice The legs' spread must be non-zero.
    error AllOfSpreadInvalid(uint32 maxSpreadSeconds);

    constructor(ITriggerRegistry registry_) {
        registry = registry_;
    }

    /// @inheritdoc ITrigger
    function validateParams(bytes calldata params) external view {
        Params memory p = _decode(params);
        if (p.maxSpreadSeconds == 0) revert AllOfSpreadInvalid(0);
        for (uint256 i; i < p.triggers.length; ++i) {
            if (p.triggers[i] == address(this) || !registry.triggerApproved(p.triggers[i])) {
                revert AllOfSubTriggerNotApproved(p.triggers[i]);
            }
        }
        for (uint256 i; i < p.triggers.length; ++i) {
            ITrigger(p.triggers[i]).validateParams(p.params[i]);
        }
    }

    /// @inheritdoc ITrigger
    /// @dev proof = abi.encode(bytes[] subProofs), one per sub-trigger in order.
    function check(bytes calldata params, bytes calldata proof) external view returns (bool, uint64, uint64) {
        uint64 latest;
        uint64 earliest;
        Params memory p = _decode(params);
        bytes[] memory proofs = abi.decode(proof, (bytes[]));
        if (proofs.length != p.triggers.length) revert AllOfProofArity(proofs.length, p.triggers.length);
        earliest = type(uint64).max;
        for (uint256 i; i < p.triggers.length; ++i) {
            (bool tripped, uint64 t, uint64 e) = ITrigger(p.triggers[i]).check(p.params[i], proofs[i]);
            if (!tripped) return (false, 0, 0);
            if (t > latest) latest = t;
            if (e < earliest) earliest = e;
        }
        // Every leg's own time must be close to the others': the legs are one event.
        if (latest - earliest > p.maxSpreadSeconds) return (false, 0, 0);
        return (true, earliest, earliest);
    }

    /// @inheritdoc ITrigger
    function findProof(bytes calldata params, uint64 notBefore) external view returns (bool, bytes memory) {
        Params memory p = _decode(params);
        bytes[] memory proofs = new bytes[](p.triggers.length);
        for (uint256 i; i < p.triggers.length; ++i) {
            bool found;
            // Every leg must begin after `notBefore` (the market checks the earliest).
            (found, proofs[i]) = ITrigger(p.triggers[i]).findProof(p.params[i], notBefore);
            if (!found) return (false, "");
        }
        bytes memory proof = abi.encode(proofs);
        try this.check(params, proof) returns (bool tripped, uint64, uint64 e) {
            return (tripped && e > notBefore, proof);
        } catch {
            return (false, "");
        }
    }

    /// @inheritdoc ITrigger
    function advance(bytes calldata params, bytes calldata proof, uint256 maxRounds) external returns (bool complete) {
        Params memory p = _decode(params);
        bytes[] memory proofs = abi.decode(proof, (bytes[]));
        if (proofs.length != p.triggers.length) revert AllOfProofArity(proofs.length, p.triggers.length);
        complete = true;
        for (uint256 i; i < p.triggers.length; ++i) {
            if (!ITrigger(p.triggers[i]).advance(p.params[i], proofs[i], maxRounds)) complete = false;
        }
    }

    /// @inheritdoc ITrigger
    function observe(bytes calldata params) external returns (bool pending) {
        Params memory p = _decode(params);
        for (uint256 i; i < p.triggers.length; ++i) {
            if (ITrigger(p.triggers[i]).observe(p.params[i])) pending = true;
        }
    }

    /// @inheritdoc ITrigger
    function observationDue(bytes calldata params) external view returns (bool) {
        Params memory p = _decode(params);
        for (uint256 i; i < p.triggers.length; ++i) {
            if (ITrigger(p.triggers[i]).observationDue(p.params[i])) return true;
        }
        return false;
    }

    /// @inheritdoc ITrigger
    function register(bytes calldata params) external returns (bytes32 key) {
        Params memory p = _decode(params);
        key = keccak256(params);
        if (_legs[key].length != 0) return key;
        for (uint256 i; i < p.triggers.length; ++i) {
            _legs[key].push(Leg(p.triggers[i], ITrigger(p.triggers[i]).register(p.params[i])));
        }
    }

    /// @inheritdoc ITrigger
    function conditionHoldsAt(bytes32 key) external view returns (bool) {
        Leg[] storage legs = _legs[key];
        if (legs.length == 0) return true; // never registered
        for (uint256 i; i < legs.length; ++i) {
            if (ITrigger(legs[i].trigger).conditionHoldsAt(legs[i].key)) return true;
        }
        return false;
    }

    /// @inheritdoc ITrigger
    /// @dev True when any leg's condition holds: an all-of product is never sold while one leg of
    /// it is already tripping.
    function conditionHolds(bytes calldata params) external view returns (bool) {
        Params memory p = _decode(params);
        for (uint256 i; i < p.triggers.length; ++i) {
            if (ITrigger(p.triggers[i]).conditionHolds(p.params[i])) return true;
        }
        return false;
    }

    /// @inheritdoc ITrigger
    function observes(bytes calldata params) external view returns (bool) {
        Params memory p = _decode(params);
        for (uint256 i; i < p.triggers.length; ++i) {
            if (ITrigger(p.triggers[i]).observes(p.params[i])) return true;
        }
        return false;
    }

    function _decode(bytes calldata params) private pure returns (Params memory p) {
        p = abi.decode(params, (Params));
        if (p.triggers.length < 2 || p.triggers.length > MAX_SUBTRIGGERS || p.params.length != p.triggers.length) {
            revert AllOfArity(p.triggers.length, p.params.length);
        }
    }
}
