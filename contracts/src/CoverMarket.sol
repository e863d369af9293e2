// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ICoverMarket} from "./interfaces/ICoverMarket.sol";
import {ICoverPool} from "./interfaces/ICoverPool.sol";
import {ERC4626Like} from "./interfaces/ERC4626Like.sol";
import {ITrigger} from "./interfaces/ITrigger.sol";
import {ITriggerRegistry} from "./interfaces/ITriggerRegistry.sol";
import {CoverBook} from "./libraries/CoverBook.sol";

/// @title CoverMarket
/// @notice Policies are ERC-721 tokens ("Tripwire Cover", TWC) so cover can move with a position;
/// a payout goes to whoever owns the policy when it is settled.
contract CoverMarket is ICoverMarket, ERC721, AccessControl, EIP712 {
    using SafeERC20 for IERC20;

    /// @notice Signs quotes (the Worker's quote key).
    bytes32 public constant QUOTE_SIGNER_ROLE = keccak256("QUOTE_SIGNER_ROLE");
    /// @notice May veto incidents during their veto window (oracle malfunction only).
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice May pause new cover, market-wide or per product.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    bytes32 public constant QUOTE_TYPEHASH = keccak256(
        "Quote(uint256 productId,uint256 amount,uint256 premium,uint64 start,uint64 duration,address buyer,uint64 deadline,uint256 quoteId,bytes32 termsHash,address integrator,uint16 integratorFeeBps)"
    );

    /// @notice What a buyer signs to let a relayer submit their purchase (the premium moves by permit).
    bytes32 public constant ACCEPTANCE_TYPEHASH = keccak256("Acceptance(uint256 quoteId,address buyer,uint256 deadline)");

    uint8 public constant PAUSE_NEW_COVER = 1;
    uint64 public constant MIN_DURATION_SECONDS = 1 days;
    uint64 public constant MAX_DURATION_SECONDS = 365 days;
    /// @notice A quote may start cover at most this long after its purchase.
    uint256 public constant MAX_START_DELAY_SECONDS = 90 days;
    uint32 public constant MIN_COVERAGE_LAG_SECONDS = CoverBook.MIN_COVERAGE_LAG_SECONDS;
    uint32 public constant MAX_COVERAGE_LAG_SECONDS = CoverBook.MAX_COVERAGE_LAG_SECONDS;
    uint32 public constant MAX_VETO_WINDOW_SECONDS = CoverBook.MAX_VETO_WINDOW_SECONDS;
    uint16 public constant MAX_INTEGRATOR_FEE_BPS = 2_000;
    uint256 private constant BPS = 10_000;
    /// @notice Quote ids (and so policy ids) are in [1, 2^48).
    uint256 public constant MAX_QUOTE_ID = 2 ** 48 - 1;
    /// @notice Incidents must be fired within this long of their onset.
    uint256 public constant MAX_INCIDENT_AGE_SECONDS = 30 days;
    /// @notice Confirmed incidents stay payable this long before their unpaid reserve returns.
    uint256 public constant SETTLEMENT_WINDOW_SECONDS = 90 days;
    /// @notice Bounds of `termGridSeconds`.
    uint256 public constant MIN_TERM_GRID_SECONDS = 60;
    uint256 public constant MAX_TERM_GRID_SECONDS = 1 days;
    /// @notice Policy terms start and end on multiples of this (1 hour in production deployments).
    /// On this grid the cover active at any moment is a sum over grid buckets, so an incident's
    /// liability is exact, not bounded; computing it reads one bucket per marked grid step between
    /// the incident time and the fire (at most MAX_INCIDENT_AGE_SECONDS / termGridSeconds + 1).
    uint256 public immutable termGridSeconds;

    IERC20 public immutable asset;
    ICoverPool public immutable pool;

    /// @dev Counters and pause flags: one slot, read and written by every purchase.
    struct Globals {
        uint8 pauseFlags;
        uint48 policies;
        uint48 highestPolicyId;
        uint48 products;
        uint48 incidents;
    }

    Globals private _g;
    mapping(uint256 productId => CoverBook.ProductStore) private _products;
    mapping(uint256 productId => bytes) private _params;
    /// @dev Keyed by `_bookKey(product, generation)`: a reopened product starts an empty book.
    mapping(uint256 bookKey => CoverBook.Ledger) private _ledgers;
    mapping(uint256 productId => uint256) private _openIncident;
    mapping(uint256 policyId => Policy) private _policies;
    mapping(uint256 word => uint256) private _paidBits;
    mapping(uint256 incidentId => Incident) private _incidents;
    mapping(address account => uint256) private _claimable;
    mapping(address trigger => bool) private _approvedTriggers;
    mapping(address integrator => uint16) private _integratorFeeBps;
    mapping(uint256 productId => bool) private _conditionFlagged;
    /// @dev The key each product's trigger registered its parameters under (`ITrigger.register`).
    mapping(uint256 productId => bytes32) private _salesKey;
    /// @dev Until when a product cannot be flagged again after a guardian lifted its flag.
    mapping(uint256 productId => uint256) private _flagExemptUntil;
    /// @notice How long a guardian's lifting of a flag holds against re-flagging.
    uint256 public constant FLAG_EXEMPTION_SECONDS = 7 days;

    /// @param pool_ the pool whose market this is (its `market` must be this contract)
    /// @param owner_ admin of every role (a multisig or timelock in production)
    /// @param termGridSeconds_ the term grid (a divisor of 1 day, 60 s … 1 day)
    constructor(ICoverPool pool_, address owner_, uint256 termGridSeconds_)
        ERC721("Tripwire Cover", "TWC")
        EIP712("Tripwire CoverMarket", "1")
    {
        if (termGridSeconds_ < MIN_TERM_GRID_SECONDS || termGridSeconds_ > MAX_TERM_GRID_SECONDS || 1 days % termGridSeconds_ != 0) {
            revert MarketTermGridInvalid(termGridSeconds_);
        }
        termGridSeconds = termGridSeconds_;
        pool = pool_;
        asset = IERC20(ERC4626Like(address(pool_)).asset());
        _grantRole(DEFAULT_ADMIN_ROLE, owner_);
    }

    // ─── buying ──────────────────────────────────────────────────────────────────────────────

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

    function _buy(Quote calldata q, bytes calldata signature, address holder, address payer) private returns (uint256 policyId) {
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

    function _checkQuoteShape(Quote calldata q) private pure {
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

    function _checkSigner(Quote calldata q, bytes calldata signature) private view {
        (address signer, ECDSA.RecoverError err, bytes32 arg) = ECDSA.tryRecoverCalldata(_quoteDigest(q), signature);
        if (err == ECDSA.RecoverError.InvalidSignatureS) revert MarketQuoteSignatureMalleable(arg);
        if (err != ECDSA.RecoverError.NoError) revert MarketQuoteSignatureInvalid();
        if (!hasRole(QUOTE_SIGNER_ROLE, signer)) revert MarketQuoteSignerUnauthorized(signer);
    }

    /// @dev Product-side admission: status, terms, condition, cap; books the cover. Returns the
    /// term (on the hour grid) and the generation it belongs to.
    function _admit(CoverBook.ProductStore storage p, Quote calldata q) private returns (uint40 start, uint40 end, uint32 generation) {
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

    function _hourCeil(uint256 t) private view returns (uint256) {
        return (t + termGridSeconds - 1) / termGridSeconds;
    }

    function _bookKey(uint256 productId, uint256 generation) private pure returns (uint256) {
        return productId | (generation << 32); // product ids are uint32
    }

    // ─── incidents ───────────────────────────────────────────────────────────────────────────

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
    function _conditionHolds(address trigger, bytes memory params) private view returns (bool) {
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
    function _payout(uint256 coverAmount, uint256 reserve, uint256 liability) private pure returns (uint256) {
        return reserve == liability ? coverAmount : Math.mulDiv(coverAmount, reserve, liability);
    }

    /// @dev Whether the incident pays the policy: same product and generation, active at its time.
    function _covers(Policy memory pol, Incident memory m) private pure returns (bool) {
        return pol.productId == m.productId && pol.generation == m.generation && pol.start <= m.incidentTime
            && m.incidentTime < pol.end;
    }

    /// @dev Sets the policy's paid bit; false when it was set already.
    function _markPaid(uint256 policyId) private returns (bool) {
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

    /// @dev The one place incident transitions are validated (table in ICoverMarket).
    function _transition(uint256 incidentId, IncidentStatus from, IncidentStatus to) private pure {
        bool ok = (from == IncidentStatus.Pending && (to == IncidentStatus.Confirmed || to == IncidentStatus.Vetoed))
            || (from == IncidentStatus.Confirmed && to == IncidentStatus.Closed);
        if (!ok) revert MarketIncidentTransitionInvalid(incidentId, from, to);
    }

    // ─── owner and roles ─────────────────────────────────────────────────────────────────────

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

    function _existing(uint256 productId) private view returns (CoverBook.ProductStore storage p) {
        p = _products[productId];
        if (p.status == ProductStatus.None) revert MarketProductNotActive(productId, ProductStatus.None);
    }

    // ─── views ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ICoverMarket
    function quoteDigest(Quote calldata quote) external view returns (bytes32) {
        return _quoteDigest(quote);
    }

    /// @dev EIP-712 struct hash over the quote as it sits in calldata: every field is a static
    /// type, so its ABI encoding is the 11 words abi.encode would write, and they are hashed in
    /// place after the type hash. A field with dirty high bits hashes differently from what any
    /// signer signed, so such a quote only fails the signature check.
    function _quoteDigest(Quote calldata q) private view returns (bytes32) {
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
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, AccessControl) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
