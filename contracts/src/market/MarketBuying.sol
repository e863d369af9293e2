// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ICoverMarket} from "../interfaces/ICoverMarket.sol";
import {ITrigger} from "../interfaces/ITrigger.sol";
import {CoverBook} from "../libraries/CoverBook.sol";
import {MarketBase} from "./MarketBase.sol";

/// @title MarketBuying
/// @notice CoverMarket's buying: signed quotes checked and admitted into the product's book, cover booked on the pool, ended cover folded and released.
abstract contract MarketBuying is MarketBase {
    using SafeERC20 for IERC20;

    /// @inheritdoc ICoverMarket
    function buyCover(Quote calldata quote, bytes calldata signature) external returns (uint256) {
        return _buy(quote, signature, msg.sender, msg.sender);
    }

    /// @inheritdoc ICoverMarket
    function buyCoverFor(Quote calldata quote, bytes calldata signature, address beneficiary) external returns (uint256) {
        return _buy(quote, signature, beneficiary, msg.sender);
    }

    /// @inheritdoc ICoverMarket
    function buyCoverBySig(
        Quote calldata quote,
        bytes calldata signature,
        address buyer,
        uint256 acceptanceDeadline,
        bytes calldata acceptance,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256) {
        if (block.timestamp > acceptanceDeadline) revert MarketAcceptanceExpired(acceptanceDeadline);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(ACCEPTANCE_TYPEHASH, quote.quoteId, buyer, acceptanceDeadline)));
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, acceptance);
        if (err != ECDSA.RecoverError.NoError || signer != buyer || buyer == address(0)) revert MarketAcceptanceInvalid(buyer);
        // As in buyCoverWithPermit, a front-run permit leaves the allowance in place.
        try IERC20Permit(address(asset)).permit(buyer, address(this), quote.premium, permitDeadline, v, r, s) {} catch {}
        return _buy(quote, signature, buyer, buyer);
    }

    /// @inheritdoc ICoverMarket
    function buyCoverWithPermit(
        Quote calldata quote,
        bytes calldata signature,
        address beneficiary,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256) {
        // A permit front-run by someone else still leaves the allowance in place; the transfer
        // below is what must succeed.
        try IERC20Permit(address(asset)).permit(msg.sender, address(this), quote.premium, permitDeadline, v, r, s) {} catch {}
        return _buy(quote, signature, beneficiary, msg.sender);
    }

    function _buy(Quote calldata q, bytes calldata signature, address holder, address payer) internal returns (uint256 policyId) {
        Globals memory g = _g;
        if (g.pauseFlags & PAUSE_NEW_COVER != 0) revert MarketNewCoverPaused();
        if (block.timestamp > q.deadline) revert MarketQuoteExpired(q.quoteId, q.deadline);
        if (q.buyer != address(0) && q.buyer != holder) revert MarketQuoteWrongBuyer(q.buyer, holder);
        _checkQuoteShape(q);
        // The policy takes the quote's id: a quote is used once because a policy id exists once.
        policyId = q.quoteId;
        if (_policies[policyId].end != 0) revert MarketQuoteAlreadyUsed(policyId);
        _checkSigner(q, signature);

        CoverBook.ProductStore storage p = _products[q.productId];
        (uint40 start, uint40 end, uint32 generation) = _admit(p, q);

        ++g.policies;
        if (policyId > g.highestPolicyId) g.highestPolicyId = uint48(policyId); // < 2^48, checked in shape
        _g = g;
        _policies[policyId] = Policy(uint32(q.productId), uint96(q.amount), start, end, generation);

        uint256 toPool = q.premium;
        if (q.integratorFeeBps != 0) {
            // Shape checked: a fee names an integrator. The quote may not pay more than the owner's rate.
            if (q.integratorFeeBps > _integratorFeeBps[q.integrator]) revert MarketIntegratorFeeInvalid(q.integrator, q.integratorFeeBps);
            uint256 fee = (q.premium * q.integratorFeeBps) / BPS;
            toPool -= fee;
            asset.safeTransferFrom(payer, q.integrator, fee);
            emit IntegratorFeePaid(policyId, q.integrator, fee);
        }
        asset.safeTransferFrom(payer, address(pool), toPool);
        pool.recordCover(q.amount, toPool, end);
        _mint(holder, policyId);
        emit CoverPurchased(policyId, q.productId, holder, payer, q.amount, q.premium, start, end, q.integrator);
    }

    function _checkQuoteShape(Quote calldata q) internal pure {
        if (q.quoteId == 0 || q.quoteId > MAX_QUOTE_ID) revert MarketQuoteIdOutOfRange(q.quoteId);
        if (q.amount == 0 || q.amount > type(uint96).max || q.premium == 0 || q.premium > q.amount) {
            revert MarketQuoteAmountsInvalid(q.amount, q.premium);
        }
        if (q.duration < MIN_DURATION_SECONDS || q.duration > MAX_DURATION_SECONDS) {
            revert MarketQuoteDurationOutOfRange(q.duration);
        }
        if (q.integrator == address(0) ? q.integratorFeeBps != 0 : q.integratorFeeBps > MAX_INTEGRATOR_FEE_BPS) {
            revert MarketIntegratorFeeInvalid(q.integrator, q.integratorFeeBps);
        }
    }

    function _checkSigner(Quote calldata q, bytes calldata signature) internal view {
        (address signer, ECDSA.RecoverError err, bytes32 arg) = ECDSA.tryRecoverCalldata(_quoteDigest(q), signature);
        if (err == ECDSA.RecoverError.InvalidSignatureS) revert MarketQuoteSignatureMalleable(arg);
        if (err != ECDSA.RecoverError.NoError) revert MarketQuoteSignatureInvalid();
        if (!hasRole(QUOTE_SIGNER_ROLE, signer)) revert MarketQuoteSignerUnauthorized(signer);
    }

    /// @dev Product-side admission: status, terms, condition, cap; books the cover. Returns the
    /// term (on the hour grid) and the generation it belongs to.
    function _admit(CoverBook.ProductStore storage p, Quote calldata q) internal returns (uint40 start, uint40 end, uint32 generation) {
        CoverBook.ProductStore memory m = p;
        if (m.status != ProductStatus.Active) revert MarketProductNotActive(q.productId, m.status);
        if (m.salesPaused) revert MarketProductSalesPaused(q.productId);
        if (q.termsHash != m.termsHash) revert MarketQuoteTermsMismatch(q.productId, m.termsHash, q.termsHash);
        // Every kind says whether its condition holds (or is being observed) now: no cover is sold
        // into a loss already under way.
        if (ITrigger(m.trigger).conditionHoldsAt(_salesKey[q.productId])) revert MarketConditionHolds(q.productId);
        // No cover starts before purchase + lag: cover bought after an event's onset can never
        // be active at that onset.
        uint256 earliest = block.timestamp + m.coverageLagSeconds;
        // Bounded before the cast: a start above 2^40 would otherwise win the max and be
        // truncated into the past. Below the bound, start + duration fits a uint40 for millennia.
        uint256 latest = block.timestamp + MAX_START_DELAY_SECONDS;
        if (q.start > latest) revert MarketQuoteStartOutOfRange(q.start, latest);
        // Rounded up to the grid: later than asked, never earlier.
        uint256 startHour = _hourCeil(q.start > earliest ? q.start : earliest);
        uint256 endHour = _hourCeil(startHour * termGridSeconds + q.duration);
        start = uint40(startHour * termGridSeconds);
        end = uint40(endHour * termGridSeconds);
        generation = m.generation;

        CoverBook.Ledger storage l = _ledgers[_bookKey(q.productId, generation)];
        CoverBook.Book memory b = m.book;
        CoverBook.fold(l, b, block.timestamp / termGridSeconds, type(uint256).max);
        if (b.activeCover + q.amount > m.capAmount) {
            revert MarketProductCapacityExceeded(q.productId, q.amount, m.capAmount > b.activeCover ? m.capAmount - b.activeCover : 0);
        }
        CoverBook.add(l, b, startHour, endHour, q.amount); // startHour > lastHour: at least a lag after now
        p.book = b;
    }

    /// @inheritdoc ICoverMarket
    function foldProduct(uint256 productId, uint256 maxSteps) external returns (bool done) {
        CoverBook.ProductStore storage p = _existing(productId);
        done = CoverBook.foldBounded(_ledgers[_bookKey(productId, p.generation)], p.book, block.timestamp / termGridSeconds, maxSteps);
    }

    /// @inheritdoc ICoverMarket
    function releaseEndedCover(uint256 productId, uint256 generation, uint256 maxSteps) external returns (uint256 released, bool done) {
        CoverBook.ProductStore storage p = _existing(productId);
        if (generation > p.generation || (generation == p.generation && p.status != ProductStatus.Closed)) {
            revert MarketGenerationNotEnded(productId, generation);
        }
        uint256 grid = termGridSeconds;
        // Every end of the generation is at most MAX_START_DELAY + MAX_DURATION after its purchase.
        uint256 horizon = block.timestamp / grid + (MAX_START_DELAY_SECONDS + MAX_DURATION_SECONDS) / grid + 2;
        (released, done) = CoverBook.release(_ledgers[_bookKey(productId, generation)], pool, grid, horizon, maxSteps);
        emit EndedCoverReleased(productId, generation, released, done);
    }

    function _hourCeil(uint256 t) internal view returns (uint256) {
        return (t + termGridSeconds - 1) / termGridSeconds;
    }


    /// @inheritdoc ICoverMarket
    function quoteDigest(Quote calldata quote) external view returns (bytes32) {
        return _quoteDigest(quote);
    }

    /// @dev EIP-712 struct hash over the quote as it sits in calldata: every field is a static
    /// type, so its ABI encoding is the 11 words abi.encode would write, and they are hashed in
    /// place after the type hash. A field with dirty high bits hashes differently from what any
    /// signer signed, so such a quote only fails the signature check.
    function _quoteDigest(Quote calldata q) internal view returns (bytes32) {
        bytes32 typeHash = QUOTE_TYPEHASH;
        bytes32 structHash;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), q, 0x160)
            structHash := keccak256(ptr, 0x180)
        }
        return _hashTypedDataV4(structHash);
    }
}
