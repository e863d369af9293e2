// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITriggerRegistry} from "./ITriggerRegistry.sol";

/// @title ICoverMarket
/// @notice Sells parametric cover as ERC-721 policies against signed quotes, opens incidents when
/// a product's trigger proves its condition, and pays every policy active at the incident time.
///
/// Incident states (one transition function validates every change):
///   None      → Pending    fire(): the trigger proved the condition
///   Pending   → Confirmed  confirmIncident(): the product's veto window has passed
///   Pending   → Vetoed     vetoIncident(): guardian, only while the veto window is open
///   Confirmed → Closed     closeIncident(): the settlement window has passed; unpaid reserve returns
/// Policy states: Active while start ≤ now < end; Expired after; Paid once settled (at most once).
interface ICoverMarket is ITriggerRegistry {
    enum ProductStatus {
        None,
        Active,
        Incident,
        Closed
    }

    enum IncidentStatus {
        None,
        Pending,
        Confirmed,
        Vetoed,
        Closed
    }

    /// @notice A quote signed by an authorised quote signer (EIP-712, domain "Tripwire CoverMarket" v1).
    /// @param productId product to cover
    /// @param amount cover amount in base units of the stablecoin
    /// @param premium premium in base units, paid at purchase
    /// @param start earliest start: the policy starts at the first step of the term grid
    /// (`termGridSeconds`, 1 hour in production) at or after max(start, purchase + coverage lag);
    /// at most purchase + MAX_START_DELAY_SECONDS
    /// @param duration seconds of cover from the start; the end is rounded up to the grid
    /// @param buyer the only account the policy may be minted to, or zero for anyone
    /// @param deadline last second the quote can be used
    /// @param quoteId unique id in [1, 2^48); each quote can be used once, and the policy takes it as its id
    /// @param termsHash hash of the product terms the buyer saw
    /// @param integrator account that sold the cover at deposit time, or zero
    /// @param integratorFeeBps integrator's share of the premium in basis points, zero when none
    struct Quote {
        uint256 productId;
        uint256 amount;
        uint256 premium;
        uint64 start;
        uint64 duration;
        address buyer;
        uint64 deadline;
        uint256 quoteId;
        bytes32 termsHash;
        address integrator;
        uint16 integratorFeeBps;
    }

    /// @notice What the owner sets when listing a product.
    struct ProductConfig {
        address trigger;
        bytes params;
        bytes32 termsHash;
        uint96 capAmount;
        uint32 coverageLagSeconds;
        uint32 vetoWindowSeconds;
    }

    /// @notice A product as the market reports it. `activeCover` is the cover of the current
    /// generation booked and not ended as of `lastHour` (`productActiveCover` brings it to now); `generation` counts reopenings:
    /// a confirmed incident closes the product and ends its generation's cover.
    struct Product {
        address trigger;
        uint96 activeCover;
        uint96 capAmount;
        uint32 lastHour;
        uint32 coverageLagSeconds;
        uint32 vetoWindowSeconds;
        uint40 activeSince;
        ProductStatus status;
        bool salesPaused;
        bool observes;
        uint32 generation;
        bytes32 termsHash;
    }

    /// @notice A policy as stored; its owner is the ERC-721 owner of the same id.
    /// Terms run on the term grid: start ≤ t < end, both multiples of `termGridSeconds`.
    /// `generation` is the product's generation at purchase; only its incident can pay it.
    struct Policy {
        uint32 productId;
        uint96 coverAmount;
        uint40 start;
        uint40 end;
        uint32 generation;
    }

    /// @notice An incident as stored.
    struct Incident {
        uint32 productId;
        uint40 incidentTime;
        uint40 firedAt;
        uint40 confirmedAt;
        IncidentStatus status;
        uint32 generation;
        uint256 liability;
        uint256 reserve;
        uint256 paid;
    }

    // ─── events ──────────────────────────────────────────────────────────────────────────────

    /// @notice A product was listed.
    event ProductListed(
        uint256 indexed productId,
        address indexed trigger,
        bytes32 termsHash,
        uint256 capAmount,
        uint32 coverageLagSeconds,
        uint32 vetoWindowSeconds,
        bytes params
    );
    /// @notice A product's capacity cap changed.
    event ProductCapSet(uint256 indexed productId, uint256 capAmount);
    /// @notice Sales of one product were paused or resumed.
    event ProductSalesPausedSet(uint256 indexed productId, bool paused);
    /// @notice A product closed by a confirmed incident was put back on sale.
    event ProductReopened(uint256 indexed productId, uint40 activeSince);
    /// @notice The owner approved or revoked a trigger contract.
    event TriggerApprovalSet(address indexed trigger, bool approved);
    /// @notice Market-wide pause flags changed (bit 0: new cover).
    event PauseFlagsSet(uint8 flags);
    /// @notice A policy was sold; its id is the quote's id.
    event CoverPurchased(
        uint256 indexed policyId,
        uint256 indexed productId,
        address indexed holder,
        address payer,
        uint256 coverAmount,
        uint256 premium,
        uint40 start,
        uint40 end,
        address integrator
    );
    /// @notice The owner set an integrator's share of the premiums it sells (basis points).
    event IntegratorFeeSet(address indexed integrator, uint16 feeBps);
    /// @notice The integrator named in a policy's quote was paid its share of the premium.
    event IntegratorFeePaid(uint256 indexed policyId, address indexed integrator, uint256 amount);
    /// @notice A trigger proved its condition; the product's policies active at `incidentTime` are
    /// payable once the incident is confirmed.
    event IncidentOpened(
        uint256 indexed incidentId, uint256 indexed productId, uint40 incidentTime, uint256 liability, bytes proof
    );
    /// @notice The veto window passed; `reserve` of `liability` is set aside (pro-rata when short).
    event IncidentConfirmed(uint256 indexed incidentId, uint256 liability, uint256 reserve);
    /// @notice A guardian vetoed an incident for oracle malfunction.
    event IncidentVetoed(uint256 indexed incidentId, address indexed guardian);
    /// @notice The settlement window passed; the unpaid reserve went back to the pool.
    event IncidentClosed(uint256 indexed incidentId, uint256 returned);
    /// @notice A batch of policies was settled for an incident; amounts in the same order.
    event PoliciesSettled(uint256 indexed incidentId, uint256[] policyIds, uint256[] amounts, address[] recipients);
    /// @notice A payout could not be transferred; it is claimable by `recipient` instead.
    event PayoutDeferred(uint256 indexed policyId, uint256 indexed incidentId, address indexed recipient, uint256 amount);
    /// @notice A product's visible condition froze LP exits (`flagged`), or the freeze was lifted.
    event ConditionFlagged(uint256 indexed productId, bool flagged);
    /// @notice Cover of an ended generation taken off the pool's books (`released`, cover units);
    /// `done` when every end of the generation is released.
    event EndedCoverReleased(uint256 indexed productId, uint256 generation, uint256 released, bool done);
    /// @notice A deferred payout was claimed.
    event PayoutClaimed(address indexed account, address indexed to, uint256 amount);

    // ─── errors ──────────────────────────────────────────────────────────────────────────────

    /// @notice The buyer's acceptance of a relayed purchase has expired.
    error MarketAcceptanceExpired(uint256 deadline);
    /// @notice The acceptance is not the buyer's signature over this quote.
    error MarketAcceptanceInvalid(address buyer);
    /// @notice New cover is paused market-wide.
    error MarketNewCoverPaused();
    /// @notice The quote's deadline has passed.
    error MarketQuoteExpired(uint256 quoteId, uint64 deadline);
    /// @notice The quote id was used before.
    error MarketQuoteAlreadyUsed(uint256 quoteId);
    /// @notice Quote ids are in [1, 2^48): they become policy ids.
    error MarketQuoteIdOutOfRange(uint256 quoteId);
    /// @notice The signature does not recover (bad length or bytes).
    error MarketQuoteSignatureInvalid();
    /// @notice The signature's s is in the upper half of the curve order (malleable).
    error MarketQuoteSignatureMalleable(bytes32 s);
    /// @notice The recovered signer is not an authorised quote signer (wrong chain, wrong
    /// contract, tampered quote or revoked signer all land here).
    error MarketQuoteSignerUnauthorized(address signer);
    /// @notice The quote names another buyer.
    error MarketQuoteWrongBuyer(address expected, address actual);
    /// @notice The quote was priced on other terms than the product's.
    error MarketQuoteTermsMismatch(uint256 productId, bytes32 expected, bytes32 actual);
    /// @notice Cover amount zero or too large, or premium zero or above the amount.
    error MarketQuoteAmountsInvalid(uint256 amount, uint256 premium);
    /// @notice Duration outside [1 day, 365 days].
    error MarketQuoteDurationOutOfRange(uint64 duration);
    /// @notice The quote's start is later than purchase + MAX_START_DELAY_SECONDS.
    error MarketQuoteStartOutOfRange(uint64 start, uint256 latest);
    /// @notice Fee without integrator, above the cap, or above the integrator's rate set by the owner.
    error MarketIntegratorFeeInvalid(address integrator, uint16 feeBps);
    /// @notice The product is unknown, in an incident or closed.
    error MarketProductNotActive(uint256 productId, ProductStatus status);
    /// @notice Sales of this product are paused.
    error MarketProductSalesPaused(uint256 productId);
    /// @notice The product's condition holds or is being observed: no cover into a known loss.
    error MarketConditionHolds(uint256 productId);
    /// @notice The product's cap would be exceeded.
    error MarketProductCapacityExceeded(uint256 productId, uint256 requested, uint256 available);
    /// @notice The trigger is not approved.
    error MarketTriggerNotApproved(address trigger);
    /// @notice Listing parameters out of range (zero cap or terms, lag or veto window).
    error MarketProductConfigInvalid(uint96 capAmount, uint32 coverageLagSeconds, uint32 vetoWindowSeconds);
    /// @notice The trigger did not trip on this proof.
    error MarketTriggerNotTripped(uint256 productId);
    /// @notice The incident began before the product was (re)listed.
    error MarketIncidentBeforeListing(uint256 productId, uint64 incidentTime, uint40 activeSince);
    /// @notice The incident began longer ago than incidents are accepted.
    error MarketIncidentTooOld(uint256 productId, uint64 incidentTime, uint256 maxAgeSeconds);
    /// @notice The incident cannot move between these states.
    error MarketIncidentTransitionInvalid(uint256 incidentId, IncidentStatus from, IncidentStatus to);
    /// @notice The veto window is still open until `endsAt`.
    error MarketVetoWindowOpen(uint256 incidentId, uint256 endsAt);
    /// @notice The veto window closed at `endedAt`.
    error MarketVetoWindowClosed(uint256 incidentId, uint256 endedAt);
    /// @notice The settlement window is open until `endsAt`.
    error MarketSettlementWindowOpen(uint256 incidentId, uint256 endsAt);
    /// @notice The product is not on sale with its condition holding (or is not flagged, to clear).
    error MarketConditionNotHolding(uint256 productId);
    /// @notice The product's condition is flagged already.
    error MarketConditionAlreadyFlagged(uint256 productId);
    /// @notice A guardian lifted this product's flag (an oracle fault): it cannot be flagged again until `until`.
    error MarketConditionFlagExempt(uint256 productId, uint256 until);
    /// @notice The flagged condition still holds and has not been fired.
    error MarketConditionStillHolds(uint256 productId);
    /// @notice Nothing is claimable for the caller.
    error MarketNothingToClaim(address account);
    /// @notice The pool's market is another contract.
    error MarketPoolMismatch(address poolMarket);
    /// @notice The term grid must divide a day and lie in [60 s, 1 day].
    error MarketTermGridInvalid(uint256 termGridSeconds);
    /// @notice `releaseEndedCover` for a generation that is still selling or paying cover.
    error MarketGenerationNotEnded(uint256 productId, uint256 generation);

    // ─── buying ──────────────────────────────────────────────────────────────────────────────

    /// @notice Buys cover for the caller: verifies the quote, takes the premium from the caller
    /// (prior approval), and mints the policy to the caller.
    /// @return policyId the ERC-721 id of the new policy (the quote id)
    function buyCover(Quote calldata quote, bytes calldata signature) external returns (uint256 policyId);

    /// @notice Buys cover paid by the caller and minted to `beneficiary` (a protocol covering its
    /// depositor). The quote's buyer, when set, must be the beneficiary.
    function buyCoverFor(Quote calldata quote, bytes calldata signature, address beneficiary)
        external
        returns (uint256 policyId);

    /// @notice As `buyCoverFor`, with an EIP-2612 permit from the caller for the premium.
    function buyCoverWithPermit(
        Quote calldata quote,
        bytes calldata signature,
        address beneficiary,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 policyId);

    /// @notice Relayed purchase: anyone (the Worker's relayer) submits it, the buyer pays the
    /// premium by EIP-2612 permit and owns the policy. The buyer's EIP-712
    /// `Acceptance(quoteId, buyer, deadline)` signature binds the relay to this quote.
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
    ) external returns (uint256 policyId);

    // ─── incidents and payouts (permissionless unless noted) ────────────────────────────────

    /// @notice Records or clears a product's trigger observations (pause kinds).
    function observe(uint256 productId) external returns (bool pending);

    /// @notice Opens an incident when the product's trigger accepts `proof`.
    function fire(uint256 productId, bytes calldata proof) external returns (uint256 incidentId);

    /// @notice Anyone: while an Active product's trigger reports its condition holding (its
    /// `conditionHolds` view, or a pending observation for kinds without it), freezes LP exits
    /// in the pool, so nobody leaves at the pre-loss price before the incident can be fired.
    function flagCondition(uint256 productId) external;

    /// @notice Anyone: lifts a product's freeze once its condition no longer holds or its
    /// incident has been fired (pending liability then prices every exit). A guardian may lift
    /// it at any time (a retired or stuck-stale feed whose condition view never clears).
    function clearCondition(uint256 productId) external;

    /// @notice Whether the product's condition currently freezes LP exits.
    function conditionFlagged(uint256 productId) external view returns (bool);

    /// @notice Confirms a pending incident once the product's veto window has passed, reserving
    /// its payouts from the pool.
    function confirmIncident(uint256 incidentId) external;

    /// @notice Guardian only: vetoes a pending incident while its veto window is open.
    function vetoIncident(uint256 incidentId) external;

    /// @notice Pays the listed policies of a confirmed incident to their current owners. Policies
    /// that are not payable (other product, not active at the incident time, already paid) are
    /// skipped, so overlapping keepers never pay twice.
    /// @return paidCount policies paid (or deferred) by this call
    /// @return paidAmount total amount paid (or deferred)
    function settle(uint256 incidentId, uint256[] calldata policyIds)
        external
        returns (uint256 paidCount, uint256 paidAmount);

    /// @notice After the settlement window, returns the unpaid reserve to the pool.
    function closeIncident(uint256 incidentId) external;

    /// @notice Transfers the caller's deferred payouts to `to`.
    function claim(address to) external returns (uint256 amount);

    // ─── owner and roles ─────────────────────────────────────────────────────────────────────

    /// @notice Owner only: lists a product after the trigger validates its parameters.
    function listProduct(ProductConfig calldata config) external returns (uint256 productId);

    /// @notice Owner only: changes a product's cap.
    function setProductCap(uint256 productId, uint96 capAmount) external;

    /// @notice Pauser only: pauses or resumes sales of one product.
    function setProductSalesPaused(uint256 productId, bool paused) external;

    /// @notice Owner only: puts a product closed by an incident back on sale; incidents must then
    /// begin after this moment.
    function reopenProduct(uint256 productId) external;

    /// @notice Owner only: approves or revokes a trigger contract for new products.
    function setTriggerApproved(address trigger, bool approved) external;

    /// @notice Pauser only: market-wide pause flags (bit 0 stops new cover). Payouts never pause.
    function setPauseFlags(uint8 flags) external;

    /// @notice Owner only: an integrator's share of the premium of cover it sells, in basis points
    /// (at most MAX_INTEGRATOR_FEE_BPS); quotes naming it may carry up to this rate, paid to it at
    /// purchase. Zero stops paying it (quotes may still name it for attribution).
    function setIntegratorFee(address integrator, uint16 feeBps) external;

    /// @notice The integrator's rate set by the owner (basis points of the premium).
    function integratorFeeBps(address integrator) external view returns (uint16);

    // ─── views ───────────────────────────────────────────────────────────────────────────────

    /// @notice EIP-712 digest of a quote, as signers must sign it.
    function quoteDigest(Quote calldata quote) external view returns (bytes32);

    /// @notice Whether a quote id has been used.
    function quoteUsed(uint256 quoteId) external view returns (bool);

    /// @notice A product as stored.
    function product(uint256 productId) external view returns (Product memory);

    /// @notice A product's trigger parameters.
    function productParams(uint256 productId) external view returns (bytes memory);

    /// @notice Cover booked for a product now (counted to the end of each policy's last day).
    function productActiveCover(uint256 productId) external view returns (uint256);

    /// @notice Anyone: brings the product's book forward over at most `maxSteps` marked grid
    /// steps (purchases and fires do it in full). A book idle for long, with many marked steps,
    /// is caught up in bounded transactions so its next fire fits a block.
    /// @return done whether the book is now at the current grid step
    function foldProduct(uint256 productId, uint256 maxSteps) external returns (bool done);

    /// @notice Anyone: takes the cover of a generation a confirmed incident ended (paid, or ended
    /// unpaid) off the pool's books, over at most `maxSteps` marked end steps, so capital held
    /// behind cover nobody can be paid for is free again for exits and new cover. Reverts
    /// `MarketGenerationNotEnded` for a generation still selling or paying cover.
    /// @return released cover taken off the pool in this call
    /// @return done whether every end of the generation is released
    function releaseEndedCover(uint256 productId, uint256 generation, uint256 maxSteps) external returns (uint256 released, bool done);

    /// @notice A policy as stored.
    function policy(uint256 policyId) external view returns (Policy memory);

    /// @notice Whether a policy has been paid (or had its payout deferred).
    function policyPaid(uint256 policyId) external view returns (bool);

    /// @notice Amount `policyId` would receive from `incidentId` now; zero when not payable.
    function payableAmount(uint256 incidentId, uint256 policyId) external view returns (uint256);

    /// @notice An incident as stored.
    function incident(uint256 incidentId) external view returns (Incident memory);

    /// @notice The incident a product is in (or was last in), zero when none.
    function openIncidentOf(uint256 productId) external view returns (uint256);

    /// @notice Deferred payouts claimable by `account`.
    function claimable(address account) external view returns (uint256);

    /// @notice The term grid: policy starts and ends are multiples of it.
    function termGridSeconds() external view returns (uint256);

    /// @notice Counters: policies sold, products listed, incidents opened, and the highest policy
    /// id (policy ids are quote ids, so they are unique but not contiguous).
    function counts() external view returns (uint256 policies, uint256 products, uint256 incidents, uint256 highestPolicyId);
}
