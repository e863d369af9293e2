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
///
/// Settlement is found through incidents, not products: an incident cursor walks every incident
/// id from the lowest that may still need work, and each confirmed incident has its own policy-id
/// cursor that moves forward one bounded window per upkeep until it passes the market's highest
/// policy id. So every confirmed incident is finished whatever the product's status (reopened,
/// in a later incident) and however many policies exist, with bounded work per upkeep.
///
/// Release: once a confirmed incident's settlement is finished, the generation it ended still
/// counts against the pool's capacity until its cover is taken off the pool's books. The keeper
/// then calls `releaseEndedCover` for it, RELEASE_STEPS marked end steps per upkeep, until the
/// market says the generation is released; only then does the incident cursor pass it. Payouts
/// come first: an incident is released only after its settlement cursor passed every policy id.
contract TripwireKeeper is AutomationCompatible, Ownable2Step {
    enum Action {
        Observe,
        Fire,
        Confirm,
        Settle,
        Advance,
        Release
    }

    /// @notice The market's limit on an incident's age at `fire` (`CoverMarket.MAX_INCIDENT_AGE_SECONDS`).
    uint256 public constant MAX_INCIDENT_AGE_SECONDS = 30 days;

    /// @notice The market this keeper works for.
    ICoverMarket public immutable market;
    /// @notice When set, only this address (the Automation forwarder) may perform upkeep.
    address public forwarder;
    /// @notice The lowest incident id that may still need confirming or settling.
    uint256 public incidentCursor = 1;
    /// @dev Next policy id to settle for each incident, minus one (zero: start at id 1).
    mapping(uint256 incidentId => uint256) private _settledThrough;
    /// @dev Incidents whose ended generation the market has released in full.
    mapping(uint256 incidentId => bool) private _released;

    /// @notice Most policies one settlement batch pays.
    uint256 public constant MAX_BATCH = 50;
    /// @notice Most policy ids one settlement window covers when the forwarder performs it (the
    /// forwarder's check simulation chose the ids; the window's other ids were not payable then).
    uint256 public constant MAX_POLICY_SCAN = 2_000;
    /// @notice Most policy ids one window covers when anyone may perform: performUpkeep then
    /// verifies that no id of the window is left payable before moving the cursor past it.
    uint256 public constant MAX_VERIFIED_SCAN = 400;
    /// @notice Most incidents one check looks at from the cursor.
    uint256 public constant MAX_INCIDENT_SCAN = 20;
    /// @notice Marked end steps one release upkeep walks (`releaseEndedCover`'s `maxSteps`).
    uint256 public constant RELEASE_STEPS = 200;

    /// @notice The forwarder changed.
    event ForwarderSet(address forwarder);
    /// @notice An upkeep ran `action` on `target` (product or incident id).
    event UpkeepPerformed(Action indexed action, uint256 indexed target, uint256 count);
    /// @notice An incident's policy-id cursor moved: ids up to `settledThrough` are done.
    event SettlementCursorMoved(uint256 indexed incidentId, uint256 settledThrough);

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

    /// @notice Whether the generation `incidentId` ended has been released from the pool in full.
    function released(uint256 incidentId) external view returns (bool) {
        return _released[incidentId];
    }

    /// @notice Policy ids of `incidentId` up to this one have been settled (or were not payable).
    function settledThrough(uint256 incidentId) external view returns (uint256) {
        return _settledThrough[incidentId];
    }

    /// @notice Simulation only. `checkData` = abi.encode(uint256[4]) whose first two entries are
    /// a product range (zeros: all) for observations and fires; the last two are unused (settlement
    /// walks every policy id). Empty checkData scans everything. Incidents come first.
    /// @return upkeepNeeded whether there is work
    /// @return performData abi.encode(Action, target, data) for `performUpkeep`
    function checkUpkeep(bytes calldata checkData) external view cannotExecute returns (bool, bytes memory) {
        (, uint256 productCount, uint256 incidentCount, uint256 highestPolicyId) = market.counts();
        (bool found, bytes memory work) = _incidentWork(incidentCount, highestPolicyId);
        if (found) return (true, work);
        uint256[4] memory r;
        if (checkData.length > 0) r = abi.decode(checkData, (uint256[4]));
        uint256 productTo = r[1] == 0 || r[1] > productCount ? productCount : r[1];
        for (uint256 id = r[0] == 0 ? 1 : r[0]; id <= productTo; ++id) {
            (found, work) = _productWork(id);
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
        } else if (action == Action.Settle) {
            count = _performSettle(target, data);
        } else if (action == Action.Release) {
            count = _performRelease(target);
        } else {
            _performAdvance(target);
        }
        emit UpkeepPerformed(action, target, count);
    }

    // ─── settlement ──────────────────────────────────────────────────────────────────────────

    function _performSettle(uint256 incidentId, bytes memory data) private returns (uint256 count) {
        (uint256 from, uint256 to, uint256[] memory ids) = abi.decode(data, (uint256, uint256, uint256[]));
        uint256 through = _settledThrough[incidentId];
        (,,, uint256 highest) = market.counts();
        uint256 window = forwarder == address(0) ? MAX_VERIFIED_SCAN : MAX_POLICY_SCAN;
        if (from != through + 1 || to < from || to > highest || to - from >= window || ids.length > MAX_BATCH) {
            revert KeeperWorkStale(Action.Settle, incidentId);
        }
        if (ids.length > 0) (count,) = market.settle(incidentId, ids);
        // Anyone may perform: before the cursor passes the window, nothing in it may be left payable.
        if (forwarder == address(0)) {
            for (uint256 id = from; id <= to; ++id) {
                if (market.payableAmount(incidentId, id) > 0) revert KeeperWorkStale(Action.Settle, incidentId);
            }
        }
        if (count == 0 && ids.length > 0) revert KeeperWorkStale(Action.Settle, incidentId);
        _settledThrough[incidentId] = to;
        emit SettlementCursorMoved(incidentId, to);
    }

    /// @dev One bounded release of the generation a settled incident ended.
    function _performRelease(uint256 incidentId) private returns (uint256 releasedCover) {
        (,,, uint256 highest) = market.counts();
        ICoverMarket.Incident memory inc = market.incident(incidentId);
        if (_released[incidentId] || !_settled(inc.status, incidentId, highest)) revert KeeperWorkStale(Action.Release, incidentId);
        bool done;
        (releasedCover, done) = market.releaseEndedCover(inc.productId, inc.generation, RELEASE_STEPS);
        if (done) _released[incidentId] = true;
    }

    function _performAdvance(uint256 newCursor) private {
        (,, uint256 incidentCount, uint256 highest) = market.counts();
        uint256 cursor = incidentCursor;
        if (newCursor <= cursor || newCursor > incidentCount + 1 || newCursor - cursor > MAX_INCIDENT_SCAN) {
            revert KeeperWorkStale(Action.Advance, newCursor);
        }
        for (uint256 id = cursor; id < newCursor; ++id) {
            if (!_done(id, highest)) revert KeeperWorkStale(Action.Advance, newCursor);
        }
        incidentCursor = newCursor;
    }

    /// @dev Nothing more can be paid for the incident by this keeper (a closed incident's window
    /// is over; a confirmed one's cursor passed every policy id).
    function _settled(ICoverMarket.IncidentStatus s, uint256 incidentId, uint256 highestPolicyId) private view returns (bool) {
        return s == ICoverMarket.IncidentStatus.Closed
            || (s == ICoverMarket.IncidentStatus.Confirmed && _settledThrough[incidentId] >= highestPolicyId);
    }

    /// @dev Nothing is left for this keeper to do for the incident: vetoed, or settled and its
    /// ended generation released.
    function _done(uint256 incidentId, uint256 highestPolicyId) private view returns (bool) {
        ICoverMarket.IncidentStatus s = market.incident(incidentId).status;
        return s == ICoverMarket.IncidentStatus.Vetoed || (_released[incidentId] && _settled(s, incidentId, highestPolicyId));
    }

    function _incidentWork(uint256 incidentCount, uint256 highest) private view returns (bool, bytes memory) {
        uint256 cursor = incidentCursor;
        if (incidentCount < cursor) return (false, "");
        uint256 last = incidentCount - cursor >= MAX_INCIDENT_SCAN ? cursor + MAX_INCIDENT_SCAN - 1 : incidentCount;
        uint256 doneThrough = cursor; // the cursor may move past a leading run of finished incidents
        bool leading = true;
        for (uint256 id = cursor; id <= last; ++id) {
            ICoverMarket.Incident memory inc = market.incident(id);
            if (inc.status == ICoverMarket.IncidentStatus.Pending) {
                uint256 vetoEnds = uint256(inc.firedAt) + market.product(inc.productId).vetoWindowSeconds;
                if (block.timestamp >= vetoEnds) return (true, abi.encode(Action.Confirm, id, ""));
            } else if (inc.status == ICoverMarket.IncidentStatus.Confirmed && _settledThrough[id] < highest) {
                return (true, abi.encode(Action.Settle, id, _settleWindow(id, highest)));
            } else if (!_released[id] && _settled(inc.status, id, highest)) {
                return (true, abi.encode(Action.Release, id, ""));
            }
            if (leading && _done(id, highest)) doneThrough = id + 1;
            else leading = false;
        }
        if (doneThrough > cursor) return (true, abi.encode(Action.Advance, doneThrough, ""));
        return (false, "");
    }

    /// @dev The next window of policy ids for an incident: up to MAX_BATCH payable ids, and the
    /// last id the window covers.
    function _settleWindow(uint256 incidentId, uint256 highest) private view returns (bytes memory) {
        uint256 from = _settledThrough[incidentId] + 1;
        uint256 span = forwarder == address(0) ? MAX_VERIFIED_SCAN : MAX_POLICY_SCAN;
        uint256 to = highest - from + 1 > span ? from + span - 1 : highest;
        uint256[] memory ids = new uint256[](MAX_BATCH);
        uint256 n;
        for (uint256 id = from; id <= to; ++id) {
            if (market.payableAmount(incidentId, id) > 0) {
                ids[n++] = id;
                if (n == MAX_BATCH) {
                    to = id;
                    break;
                }
            }
        }
        assembly ("memory-safe") {
            mstore(ids, n)
        }
        return abi.encode(from, to, ids);
    }

    // ─── observations and fires ──────────────────────────────────────────────────────────────

    function _productWork(uint256 productId) private view returns (bool, bytes memory) {
        ICoverMarket.Product memory p = market.product(productId);
        if (p.status != ICoverMarket.ProductStatus.Active) return (false, "");
        bytes memory params = market.productParams(productId);
        // A trigger whose reads revert (a watched contract that burns all its gas, a read that
        // cannot be given its gas allowance here) is skipped: one such product must not stop
        // Automation for every product listed after it.
        try ITrigger(p.trigger).observationDue(params) returns (bool due) {
            if (due) return (true, abi.encode(Action.Observe, productId, ""));
        } catch {}
        try ITrigger(p.trigger).findProof(params, uint64(p.activeSince)) returns (bool tripped, bytes memory proof) {
            if (tripped && _fireable(p, params, proof)) return (true, abi.encode(Action.Fire, productId, proof));
        } catch {}
        return (false, "");
    }

    /// @dev Whether the market would accept the proof: evidence after listing and inside the age
    /// limit. A trip nobody fired in time stays tripped; offering it would revert on every upkeep
    /// and, since the first work found is returned, starve every product listed after it.
    function _fireable(ICoverMarket.Product memory p, bytes memory params, bytes memory proof) private view returns (bool) {
        try ITrigger(p.trigger).check(params, proof) returns (bool tripped, uint64 t, uint64 earliest) {
            return tripped && earliest <= t && t <= block.timestamp && earliest > p.activeSince
                && block.timestamp - earliest <= MAX_INCIDENT_AGE_SECONDS;
        } catch {
            return false;
        }
    }
}
