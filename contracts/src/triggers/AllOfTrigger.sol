// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITrigger} from "../interfaces/ITrigger.sol";
import {ITriggerRegistry} from "../interfaces/ITriggerRegistry.sol";

/// @title AllOfTrigger
/// @notice Composite: trips only when every listed sub-trigger trips (say, a TVL drop and a
/// pause), with the latest of their incident times as its own. Sub-triggers must be approved by
/// the same registry (the market) that approves this contract.
contract AllOfTrigger is ITrigger {
    struct Params {
        address[] triggers;
        bytes[] params;
    }

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

    constructor(ITriggerRegistry registry_) {
        registry = registry_;
    }

    /// @inheritdoc ITrigger
    function validateParams(bytes calldata params) external view {
        Params memory p = _decode(params);
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
    function check(bytes calldata params, bytes calldata proof) external view returns (bool, uint64 latest) {
        Params memory p = _decode(params);
        bytes[] memory proofs = abi.decode(proof, (bytes[]));
        if (proofs.length != p.triggers.length) revert AllOfProofArity(proofs.length, p.triggers.length);
        for (uint256 i; i < p.triggers.length; ++i) {
            (bool tripped, uint64 t) = ITrigger(p.triggers[i]).check(p.params[i], proofs[i]);
            if (!tripped) return (false, 0);
            if (t > latest) latest = t;
        }
        return (true, latest);
    }

    /// @inheritdoc ITrigger
    function findProof(bytes calldata params, uint64 notBefore) external view returns (bool, bytes memory) {
        Params memory p = _decode(params);
        bytes[] memory proofs = new bytes[](p.triggers.length);
        for (uint256 i; i < p.triggers.length; ++i) {
            bool found;
            // Sub-incidents may start before `notBefore` as long as the latest one does not;
            // `check` on the whole decides, so search each without the bound.
            (found, proofs[i]) = ITrigger(p.triggers[i]).findProof(p.params[i], 0);
            if (!found) return (false, "");
        }
        bytes memory proof = abi.encode(proofs);
        (bool tripped, uint64 t) = this.check(params, proof);
        return (tripped && t > notBefore, proof);
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
    function observationPending(bytes calldata params) external view returns (bool) {
        Params memory p = _decode(params);
        for (uint256 i; i < p.triggers.length; ++i) {
            if (ITrigger(p.triggers[i]).observationPending(p.params[i])) return true;
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
