// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICoverMarket} from "./interfaces/ICoverMarket.sol";
import {ICoverPool} from "./interfaces/ICoverPool.sol";
import {ITriggerRegistry} from "./interfaces/ITriggerRegistry.sol";
import {CoverBook} from "./libraries/CoverBook.sol";
import {MarketBase} from "./market/MarketBase.sol";
import {MarketBuying} from "./market/MarketBuying.sol";
import {MarketIncidents} from "./market/MarketIncidents.sol";
import {MarketSettlement} from "./market/MarketSettlement.sol";
import {MarketAdmin} from "./market/MarketAdmin.sol";

/// @title CoverMarket
/// @notice Policies are ERC-721 tokens ("Tripwire Cover", TWC) so cover can move with a position;
/// a payout goes to whoever owns the policy when it is settled. The one deployed contract, in
/// parts by concern (contracts/src/market/): MarketBase (state, roles, constants), MarketBuying,
/// MarketIncidents, MarketSettlement, MarketAdmin; this file adds the constructor and the views.
contract CoverMarket is MarketBuying, MarketIncidents, MarketSettlement, MarketAdmin {
    /// @param pool_ the pool whose market this is (its `market` must be this contract)
    /// @param owner_ admin of every role (a multisig or timelock in production)
    /// @param termGridSeconds_ the term grid (a divisor of 1 day, 60 s … 1 day)
    constructor(ICoverPool pool_, address owner_, uint256 termGridSeconds_) MarketBase(pool_, owner_, termGridSeconds_) {}

    /// @inheritdoc ICoverMarket
    function quoteUsed(uint256 quoteId) external view returns (bool) {
        return _policies[quoteId].end != 0;
    }

    /// @inheritdoc ITriggerRegistry
    function triggerApproved(address trigger) external view returns (bool) {
        return _approvedTriggers[trigger];
    }

    /// @inheritdoc ICoverMarket
    function product(uint256 productId) external view returns (Product memory) {
        CoverBook.ProductStore memory m = _products[productId];
        return Product({
            trigger: m.trigger,
            activeCover: m.book.activeCover, // as of lastHour: productActiveCover() folds to now
            capAmount: m.capAmount,
            lastHour: m.book.lastHour,
            coverageLagSeconds: m.coverageLagSeconds,
            vetoWindowSeconds: m.vetoWindowSeconds,
            activeSince: m.activeSince,
            status: m.status,
            salesPaused: m.salesPaused,
            observes: m.observes,
            generation: m.generation,
            termsHash: m.termsHash
        });
    }

    /// @inheritdoc ICoverMarket
    function productParams(uint256 productId) external view returns (bytes memory) {
        return _params[productId];
    }

    /// @inheritdoc ICoverMarket
    function productActiveCover(uint256 productId) external view returns (uint256) {
        CoverBook.ProductStore storage p = _products[productId];
        return CoverBook.activeAt(_ledgers[_bookKey(productId, p.generation)], p.book, block.timestamp / termGridSeconds);
    }

    /// @inheritdoc ICoverMarket
    function policy(uint256 policyId) external view returns (Policy memory) {
        return _policies[policyId];
    }

    /// @inheritdoc ICoverMarket
    function incident(uint256 incidentId) external view returns (Incident memory) {
        return _incidents[incidentId];
    }

    /// @inheritdoc ICoverMarket
    function openIncidentOf(uint256 productId) external view returns (uint256) {
        return _openIncident[productId];
    }

    /// @inheritdoc ICoverMarket
    function claimable(address account) external view returns (uint256) {
        return _claimable[account];
    }

    /// @inheritdoc ICoverMarket
    function counts() external view returns (uint256, uint256, uint256, uint256) {
        Globals memory g = _g;
        return (g.policies, g.products, g.incidents, g.highestPolicyId);
    }

    /// @inheritdoc ERC721
}
