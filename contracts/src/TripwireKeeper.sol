// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AutomationCompatible} from "@chainlink/contracts/src/v0.8/automation/AutomationCompatible.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ICoverMarket} from "./interfaces/ICoverMarket.sol";
import {ITrigger} from "./interfaces/ITrigger.sol";

/// @title TripwireKeeper
/// @notice Runs the keeper's job through Chainlink Automation: `checkUpkeep` (simulation only)
/// finds the next observation, fire, confirmation or settlement batch; `performUpkeep` hands it
/// to the market, whose functions re-validate everything (a trigger is re-read, a policy is paid
/// at most once), and refuses work that has gone stale since the check.
contract TripwireKeeper is AutomationCompatible, Ownable2Step {
    enum Action {
        Observe,
        Fire,
        Confirm,
        Settle
    }

    /// @notice The market this keeper works for.
    ICoverMarket public immutable market;
    /// @notice When set, only this address (the Automation forwarder) may perform upkeep.
    address public forwarder;

    /// @notice Most policies one settlement batch pays.
    uint256 public constant MAX_BATCH = 50;
    /// @notice Most policy ids one check scans.
    uint256 public constant MAX_POLICY_SCAN = 2_000;

    /// @notice The forwarder changed.
    event ForwarderSet(address forwarder);
    /// @notice An upkeep ran `action` on `target` (product or incident id).
    event UpkeepPerformed(Action indexed action, uint256 indexed target, uint256 count);

    /// @notice Caller is not the configured forwarder.
    error KeeperOnlyForwarder(address caller);
    /// @notice The work found by `checkUpkeep` is no longer needed.
    error KeeperWorkStale(Action action, uint256 target);

    constructor(ICoverMarket market_, address owner_) Ownable(owner_) {
        market = market_;
    }

    /// @notice Owner only: restricts `performUpkeep` to the Automation forwarder (zero lifts it).
    function setForwarder(address forwarder_) external onlyOwner {
        forwarder = forwarder_;
        emit ForwarderSet(forwarder_);
    }

    /// @notice Simulation only. `checkData` = abi.encode(productFrom, productTo, policyFrom,
    /// policyTo), zeros meaning "all"; empty checkData scans everything.
    /// @return upkeepNeeded whether there is work
    /// @return performData abi.encode(Action, target, data) for `performUpkeep`
    function checkUpkeep(bytes calldata checkData) external view cannotExecute returns (bool, bytes memory) {
        (, uint256 productCount,, uint256 highestPolicyId) = market.counts();
        uint256[4] memory r;
        if (checkData.length > 0) r = abi.decode(checkData, (uint256[4]));
        uint256 productTo = r[1] == 0 || r[1] > productCount ? productCount : r[1];
        for (uint256 id = r[0] == 0 ? 1 : r[0]; id <= productTo; ++id) {
            (bool found, bytes memory work) = _productWork(id, r[2] == 0 ? 1 : r[2], r[3] == 0 || r[3] > highestPolicyId ? highestPolicyId : r[3]);
            if (found) return (true, work);
        }
        return (false, "");
    }

    /// @notice Performs what `checkUpkeep` found, after the market re-validates it.
    function performUpkeep(bytes calldata performData) external {
        if (forwarder != address(0) && msg.sender != forwarder) revert KeeperOnlyForwarder(msg.sender);
        (Action action, uint256 target, bytes memory data) = abi.decode(performData, (Action, uint256, bytes));
        uint256 count = 1;
        if (action == Action.Observe) {
            ICoverMarket.Product memory p = market.product(target);
            if (!ITrigger(p.trigger).observationDue(market.productParams(target))) revert KeeperWorkStale(action, target);
            market.observe(target);
        } else if (action == Action.Fire) {
            market.fire(target, data);
        } else if (action == Action.Confirm) {
            market.confirmIncident(target);
        } else {
            (count,) = market.settle(target, abi.decode(data, (uint256[])));
            if (count == 0) revert KeeperWorkStale(action, target);
        }
        emit UpkeepPerformed(action, target, count);
    }

    function _productWork(uint256 productId, uint256 policyFrom, uint256 policyTo) private view returns (bool, bytes memory) {
        ICoverMarket.Product memory p = market.product(productId);
        if (p.status == ICoverMarket.ProductStatus.Active) {
            bytes memory params = market.productParams(productId);
            if (ITrigger(p.trigger).observationDue(params)) return (true, abi.encode(Action.Observe, productId, ""));
            (bool tripped, bytes memory proof) = ITrigger(p.trigger).findProof(params, uint64(p.activeSince));
            if (tripped) return (true, abi.encode(Action.Fire, productId, proof));
            return (false, "");
        }
        uint256 incidentId = market.openIncidentOf(productId);
        ICoverMarket.Incident memory inc = market.incident(incidentId);
        if (inc.status == ICoverMarket.IncidentStatus.Pending) {
            if (block.timestamp >= uint256(inc.firedAt) + p.vetoWindowSeconds) {
                return (true, abi.encode(Action.Confirm, incidentId, ""));
            }
        } else if (inc.status == ICoverMarket.IncidentStatus.Confirmed && policyTo >= policyFrom) {
            uint256[] memory ids = new uint256[](MAX_BATCH);
            uint256 n;
            uint256 last = policyTo - policyFrom >= MAX_POLICY_SCAN ? policyFrom + MAX_POLICY_SCAN - 1 : policyTo;
            for (uint256 id = policyFrom; id <= last && n < MAX_BATCH; ++id) {
                if (market.payableAmount(incidentId, id) > 0) ids[n++] = id;
            }
            if (n > 0) {
                assembly ("memory-safe") {
                    mstore(ids, n)
                }
                return (true, abi.encode(Action.Settle, incidentId, abi.encode(ids)));
            }
        }
        return (false, "");
    }
}
