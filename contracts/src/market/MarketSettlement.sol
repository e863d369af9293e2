// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ICoverMarket} from "../interfaces/ICoverMarket.sol";
import {MarketBase} from "./MarketBase.sol";

/// @title MarketSettlement
/// @notice CoverMarket's settlement: paying each covered policy its share of the reserve once, closing an incident, and claims of payouts whose transfer failed.
abstract contract MarketSettlement is MarketBase {
    using SafeERC20 for IERC20;

    /// @inheritdoc ICoverMarket
    function settle(uint256 incidentId, uint256[] calldata policyIds) external returns (uint256 paidCount, uint256 paidAmount) {
        Incident storage inc = _incidents[incidentId];
        Incident memory m = inc;
        if (m.status != IncidentStatus.Confirmed) {
            revert MarketIncidentTransitionInvalid(incidentId, m.status, IncidentStatus.Confirmed);
        }
        uint256 n = policyIds.length;
        uint256[] memory ids = new uint256[](n);
        uint256[] memory amounts = new uint256[](n);
        address[] memory recipients = new address[](n);
        for (uint256 i; i < n; ++i) {
            (bool paid, uint256 amount, address owner) = _payPolicy(incidentId, m, policyIds[i]);
            if (!paid) continue;
            ids[paidCount] = policyIds[i];
            amounts[paidCount] = amount;
            recipients[paidCount] = owner;
            ++paidCount;
            paidAmount += amount;
        }
        if (paidCount == 0) return (0, 0);
        // Trim the arrays to what was paid; memory-safe: only lengths shrink.
        assembly ("memory-safe") {
            mstore(ids, paidCount)
            mstore(amounts, paidCount)
            mstore(recipients, paidCount)
        }
        inc.paid = m.paid + paidAmount;
        emit PoliciesSettled(incidentId, ids, amounts, recipients);
    }

    /// @dev Pays one policy if it is payable for the incident; a failed transfer becomes a
    /// claimable balance so one recipient never blocks a batch.
    function _payPolicy(uint256 incidentId, Incident memory m, uint256 policyId)
        private
        returns (bool paid, uint256 amount, address owner)
    {
        Policy memory pol = _policies[policyId];
        if (!_covers(pol, m)) return (false, 0, owner);
        if (!_markPaid(policyId)) return (false, 0, owner);
        amount = _payout(pol.coverAmount, m.reserve, m.liability);
        owner = _ownerOf(policyId);
        if (amount > 0 && !asset.trySafeTransfer(owner, amount)) {
            _claimable[owner] += amount;
            emit PayoutDeferred(policyId, incidentId, owner, amount);
        }
        return (true, amount, owner);
    }

    /// @dev What a covering policy is paid: its cover, or its pro-rata share of the reserve when the
    /// pool was short at confirmation (reserve < liability). The one payout formula (settle and
    /// `payableAmount`).
    function _payout(uint256 coverAmount, uint256 reserve, uint256 liability) internal pure returns (uint256) {
        return reserve == liability ? coverAmount : Math.mulDiv(coverAmount, reserve, liability);
    }

    /// @dev Whether the incident pays the policy: same product and generation, active at its time.
    function _covers(Policy memory pol, Incident memory m) internal pure returns (bool) {
        return pol.productId == m.productId && pol.generation == m.generation && pol.start <= m.incidentTime
            && m.incidentTime < pol.end;
    }

    /// @dev Sets the policy's paid bit; false when it was set already.
    function _markPaid(uint256 policyId) internal returns (bool) {
        uint256 bit = 1 << (policyId & 0xff);
        uint256 bits = _paidBits[policyId >> 8];
        if (bits & bit != 0) return false;
        _paidBits[policyId >> 8] = bits | bit;
        return true;
    }

    /// @inheritdoc ICoverMarket
    function closeIncident(uint256 incidentId) external {
        Incident storage inc = _incidents[incidentId];
        _transition(incidentId, inc.status, IncidentStatus.Closed);
        uint256 endsAt = uint256(inc.confirmedAt) + SETTLEMENT_WINDOW_SECONDS;
        if (block.timestamp < endsAt) revert MarketSettlementWindowOpen(incidentId, endsAt);
        inc.status = IncidentStatus.Closed;
        uint256 returned = inc.reserve - inc.paid;
        if (returned > 0) {
            asset.safeTransfer(address(pool), returned);
            // Earned back over time like a premium, not as one step anyone can time a deposit to.
            pool.recordReturn(returned);
        }
        emit IncidentClosed(incidentId, returned);
    }

    /// @inheritdoc ICoverMarket
    function claim(address to) external returns (uint256 amount) {
        amount = _claimable[msg.sender];
        if (amount == 0) revert MarketNothingToClaim(msg.sender);
        delete _claimable[msg.sender];
        asset.safeTransfer(to, amount);
        emit PayoutClaimed(msg.sender, to, amount);
    }

    /// @inheritdoc ICoverMarket
    function policyPaid(uint256 policyId) public view returns (bool) {
        return _paidBits[policyId >> 8] & (1 << (policyId & 0xff)) != 0;
    }

    /// @inheritdoc ICoverMarket
    function payableAmount(uint256 incidentId, uint256 policyId) external view returns (uint256) {
        Incident memory m = _incidents[incidentId];
        Policy memory pol = _policies[policyId];
        if (m.status != IncidentStatus.Confirmed || !_covers(pol, m) || policyPaid(policyId)) return 0;
        return _payout(pol.coverAmount, m.reserve, m.liability);
    }
}
