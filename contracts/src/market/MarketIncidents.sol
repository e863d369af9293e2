// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICoverMarket} from "../interfaces/ICoverMarket.sol";
import {ITrigger} from "../interfaces/ITrigger.sol";
import {CoverBook} from "../libraries/CoverBook.sol";
import {MarketBase} from "./MarketBase.sol";

/// @title MarketIncidents
/// @notice CoverMarket's incidents: observations, a fire with its trigger's proof at the canonical incident time, condition flags that stop sales and exits, confirmation and veto.
abstract contract MarketIncidents is MarketBase {
    /// @inheritdoc ICoverMarket
    function observe(uint256 productId) external returns (bool) {
        CoverBook.ProductStore storage p = _products[productId];
        if (p.status == ProductStatus.None) revert MarketProductNotActive(productId, ProductStatus.None);
        return ITrigger(p.trigger).observe(_params[productId]);
    }

    /// @inheritdoc ICoverMarket
    function fire(uint256 productId, bytes calldata proof) external returns (uint256 incidentId) {
        CoverBook.ProductStore storage p = _products[productId];
        CoverBook.ProductStore memory m = p;
        if (m.status != ProductStatus.Active) revert MarketProductNotActive(productId, m.status);
        (bool tripped, uint64 t, uint64 earliest) = ITrigger(m.trigger).check(_params[productId], proof);
        if (!tripped) revert MarketTriggerNotTripped(productId);
        // Every piece of evidence (each leg of a composite) must be after listing and recent.
        if (earliest > t || t > block.timestamp) revert MarketTriggerNotTripped(productId);
        if (earliest <= m.activeSince) revert MarketIncidentBeforeListing(productId, earliest, m.activeSince);
        if (block.timestamp - earliest > MAX_INCIDENT_AGE_SECONDS) {
            revert MarketIncidentTooOld(productId, earliest, MAX_INCIDENT_AGE_SECONDS);
        }

        CoverBook.Ledger storage l = _ledgers[_bookKey(productId, m.generation)];
        CoverBook.Book memory b = m.book;
        uint256 nowHour = block.timestamp / termGridSeconds;
        CoverBook.fold(l, b, nowHour, type(uint256).max);
        p.book = b;
        p.status = ProductStatus.Incident;
        // Exactly the cover active at t; one bucket per marked hour since t (at most 721 on a
        // 1-hour grid: incidents are at most MAX_INCIDENT_AGE_SECONDS old).
        uint256 liability = CoverBook.liabilityAt(l, p.book, t, termGridSeconds, nowHour);

        incidentId = ++_g.incidents;
        _openIncident[productId] = incidentId;
        _incidents[incidentId] = Incident({
            productId: uint32(productId),
            incidentTime: uint40(t),
            firedAt: uint40(block.timestamp),
            confirmedAt: 0,
            status: IncidentStatus.Pending,
            generation: m.generation,
            liability: liability,
            reserve: 0,
            paid: 0
        });
        pool.addPendingLiability(liability);
        emit IncidentOpened(incidentId, productId, uint40(t), liability, proof);
    }

    /// @inheritdoc ICoverMarket
    function flagCondition(uint256 productId) external {
        CoverBook.ProductStore storage p = _products[productId];
        if (_conditionFlagged[productId]) revert MarketConditionAlreadyFlagged(productId);
        if (block.timestamp < _flagExemptUntil[productId]) revert MarketConditionFlagExempt(productId, _flagExemptUntil[productId]);
        if (p.status != ProductStatus.Active || !_conditionHolds(p.trigger, _params[productId])) {
            revert MarketConditionNotHolding(productId);
        }
        _conditionFlagged[productId] = true;
        pool.setExitFreeze(true);
        emit ConditionFlagged(productId, true);
    }

    /// @inheritdoc ICoverMarket
    function clearCondition(uint256 productId) external {
        CoverBook.ProductStore storage p = _products[productId];
        if (!_conditionFlagged[productId]) revert MarketConditionNotHolding(productId);
        // Once fired the incident's liability prices exits; before that the condition must be gone.
        // A guardian may clear a flag that cannot clear itself (a feed retired or stuck stale,
        // whose `conditionHolds` stays true without any loss): exits are not frozen for good.
        if (p.status == ProductStatus.Active && _conditionHolds(p.trigger, _params[productId])) {
            if (!hasRole(GUARDIAN_ROLE, msg.sender)) revert MarketConditionStillHolds(productId);
            // The guardian judged the condition an oracle fault: it cannot be re-flagged at once.
            _flagExemptUntil[productId] = block.timestamp + FLAG_EXEMPTION_SECONDS;
        }
        delete _conditionFlagged[productId];
        pool.setExitFreeze(false);
        emit ConditionFlagged(productId, false);
    }

    /// @dev Whether the product's condition holds now (every trigger kind answers it).
    function _conditionHolds(address trigger, bytes memory params) internal view returns (bool) {
        return ITrigger(trigger).conditionHolds(params);
    }

    /// @inheritdoc ICoverMarket
    function conditionFlagged(uint256 productId) external view returns (bool) {
        return _conditionFlagged[productId];
    }

    /// @inheritdoc ICoverMarket
    function confirmIncident(uint256 incidentId) external {
        Incident storage inc = _incidents[incidentId];
        _transition(incidentId, inc.status, IncidentStatus.Confirmed);
        uint256 endsAt = uint256(inc.firedAt) + _products[inc.productId].vetoWindowSeconds;
        if (block.timestamp < endsAt) revert MarketVetoWindowOpen(incidentId, endsAt);
        uint256 reserve = pool.reserveForIncident(inc.liability);
        inc.status = IncidentStatus.Confirmed;
        inc.confirmedAt = uint40(block.timestamp);
        inc.reserve = reserve;
        _products[inc.productId].status = ProductStatus.Closed;
        emit IncidentConfirmed(incidentId, inc.liability, reserve);
    }

    /// @inheritdoc ICoverMarket
    function vetoIncident(uint256 incidentId) external onlyRole(GUARDIAN_ROLE) {
        Incident storage inc = _incidents[incidentId];
        _transition(incidentId, inc.status, IncidentStatus.Vetoed);
        CoverBook.ProductStore storage p = _products[inc.productId];
        uint256 endsAt = uint256(inc.firedAt) + p.vetoWindowSeconds;
        if (block.timestamp >= endsAt) revert MarketVetoWindowClosed(incidentId, endsAt);
        inc.status = IncidentStatus.Vetoed;
        // The vetoed readings stay in oracle history: later incidents must begin after the veto.
        p.status = ProductStatus.Active;
        p.activeSince = uint40(block.timestamp);
        pool.removePendingLiability(inc.liability);
        emit IncidentVetoed(incidentId, msg.sender);
    }
}
