// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICoverMarket} from "../interfaces/ICoverMarket.sol";
import {ERC4626Like} from "../interfaces/ERC4626Like.sol";
import {CoverBook} from "../libraries/CoverBook.sol";
import {MarketBase} from "./MarketBase.sol";

/// @title MarketAdmin
/// @notice CoverMarket's administration: listing and re-capping products, pauses, reopening, trigger approvals, integrator fees.
abstract contract MarketAdmin is MarketBase {
    /// @inheritdoc ICoverMarket
    function listProduct(ProductConfig calldata c) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint256 productId) {
        if (address(this) != ERC4626Like(address(pool)).market()) revert MarketPoolMismatch(ERC4626Like(address(pool)).market());
        if (!_approvedTriggers[c.trigger]) revert MarketTriggerNotApproved(c.trigger);
        productId = ++_g.products;
        CoverBook.list(_products, _params, _salesKey, productId, c, block.timestamp / termGridSeconds);
    }

    /// @inheritdoc ICoverMarket
    function setProductCap(uint256 productId, uint96 capAmount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        CoverBook.ProductStore storage p = _existing(productId);
        if (capAmount == 0) revert MarketProductConfigInvalid(capAmount, p.coverageLagSeconds, p.vetoWindowSeconds);
        p.capAmount = capAmount;
        emit ProductCapSet(productId, capAmount);
    }

    /// @inheritdoc ICoverMarket
    function setProductSalesPaused(uint256 productId, bool paused) external onlyRole(PAUSER_ROLE) {
        _existing(productId).salesPaused = paused;
        emit ProductSalesPausedSet(productId, paused);
    }

    /// @inheritdoc ICoverMarket
    function reopenProduct(uint256 productId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        CoverBook.ProductStore storage p = _existing(productId);
        if (p.status != ProductStatus.Closed) revert MarketProductNotActive(productId, p.status);
        p.status = ProductStatus.Active;
        p.activeSince = uint40(block.timestamp);
        // The closing incident ended the old generation's cover (paid if active at its time); the
        // new generation's book starts empty.
        p.generation += 1;
        p.book = CoverBook.Book({activeCover: 0, startingSoon: 0, startingHour: 0, lastHour: uint32(block.timestamp / termGridSeconds)});
        emit ProductReopened(productId, uint40(block.timestamp));
    }

    /// @inheritdoc ICoverMarket
    function setTriggerApproved(address trigger, bool approved) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _approvedTriggers[trigger] = approved;
        emit TriggerApprovalSet(trigger, approved);
    }

    /// @inheritdoc ICoverMarket
    function setPauseFlags(uint8 flags) external onlyRole(PAUSER_ROLE) {
        _g.pauseFlags = flags;
        emit PauseFlagsSet(flags);
    }

    /// @inheritdoc ICoverMarket
    function setIntegratorFee(address integrator, uint16 feeBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (integrator == address(0) || feeBps > MAX_INTEGRATOR_FEE_BPS) revert MarketIntegratorFeeInvalid(integrator, feeBps);
        _integratorFeeBps[integrator] = feeBps;
        emit IntegratorFeeSet(integrator, feeBps);
    }

    /// @inheritdoc ICoverMarket
    function integratorFeeBps(address integrator) external view returns (uint16) {
        return _integratorFeeBps[integrator];
    }
}
