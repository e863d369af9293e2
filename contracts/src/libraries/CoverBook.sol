// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICoverMarket} from "../interfaces/ICoverMarket.sol";
import {ICoverPool} from "../interfaces/ICoverPool.sol";
import {ITrigger} from "../interfaces/ITrigger.sol";
import {DayBitmap} from "./DayBitmap.sol";

/// @title CoverBook
/// @notice A product as the market stores it, and its cover book on the market's term grid ("hours" below are grid steps):
/// per-step totals of cover starting and ending, a bitmap of the marked steps, and one packed
/// slot with the cover booked and not ended. The cover active at any moment is a sum over
/// buckets, so an incident's liability is exact and no loop runs over policies.
///
/// What a purchase runs is `internal` (inlined into the market). The rarely run walks — an
/// incident's liability, a bounded catch-up, the release of an ended generation, the views — are
/// `external`: the market reaches them by DELEGATECALL, so their code is not in the market's
/// (which sits near the 24,576-byte limit).
library CoverBook {
    using DayBitmap for DayBitmap.Bitmap;

    uint32 internal constant MIN_COVERAGE_LAG_SECONDS = 60;
    uint32 internal constant MAX_COVERAGE_LAG_SECONDS = 30 days;
    uint32 internal constant MAX_VETO_WINDOW_SECONDS = 7 days;

    /// @dev The one slot every purchase writes. `activeCover` is booked cover whose end hour is
    /// after `lastHour`. Starts are gathered for one hour (`startingHour`, always after
    /// `lastHour`) before they go to that hour's bucket, so most purchases write no start bucket;
    /// `Ledger.pendingStart` holds the bucketed starts after `lastHour`.
    struct Book {
        uint96 activeCover;
        uint96 startingSoon;
        uint32 startingHour;
        uint32 lastHour;
    }

    /// @dev A product as stored: what a purchase reads, in four slots.
    struct ProductStore {
        address trigger;
        uint96 capAmount;
        Book book;
        uint32 coverageLagSeconds;
        uint32 vetoWindowSeconds;
        uint40 activeSince;
        ICoverMarket.ProductStatus status;
        bool salesPaused;
        bool observes;
        uint32 generation;
        bytes32 termsHash;
    }

    /// @dev Cover of one book whose term starts, and whose term ends, at one hour.
    struct HourTotals {
        uint128 starting;
        uint128 ending;
    }

    /// @dev Everything of one book but its packed slot (which lives with the product).
    struct Ledger {
        mapping(uint256 hour => HourTotals) steps;
        DayBitmap.Bitmap bits;
        uint256 pendingStart;
        /// @dev The last end hour released from the pool once the book's generation ended.
        uint256 releasedThrough;
    }

    // ─── on the purchase path (internal) ─────────────────────────────────────────────────────

    /// @dev Books `amount` starting at `startHour` (after `lastHour`) and ending at `endHour`.
    function add(Ledger storage l, Book memory b, uint256 startHour, uint256 endHour, uint256 amount) internal {
        // The start joins the hour being gathered, or the gathered hour goes to its bucket.
        if (b.startingSoon != 0 && b.startingHour != startHour) bucketStarts(l, b);
        b.startingHour = uint32(startHour);
        b.startingSoon += uint96(amount); // ≤ activeCover + amount ≤ the product's cap, a uint96
        HourTotals storage h = l.steps[endHour];
        HourTotals memory e = h;
        h.ending = e.ending + uint128(amount);
        // A bucket is marked when it first gets an amount; amounts are never zero.
        if (e.ending == 0 && e.starting == 0) l.bits.mark(endHour);
        b.activeCover += uint96(amount);
    }

    /// @dev Brings a book to `nowHour` over at most `maxSteps` marked hours: ended cover leaves
    /// `activeCover`, started cover leaves `pendingStart`, and a gathered start hour that has
    /// begun goes to its bucket. `lastHour` stops before the first hour left unread.
    function fold(Ledger storage l, Book memory b, uint256 nowHour, uint256 maxSteps) internal returns (bool done) {
        if (b.lastHour >= nowHour) return true;
        if (b.startingSoon != 0 && b.startingHour <= nowHour) bucketStarts(l, b);
        uint256 pending = l.pendingStart;
        uint256 before = pending;
        DayBitmap.Bitmap storage bits = l.bits;
        uint256 hour = b.lastHour;
        uint256 reached = nowHour;
        while ((hour = bits.next(hour, nowHour)) != 0) {
            if (maxSteps == 0) {
                reached = hour - 1;
                break;
            }
            --maxSteps;
            HourTotals memory t = l.steps[hour];
            b.activeCover -= uint96(t.ending); // every ending was added to activeCover
            pending -= t.starting; // every bucketed start after lastHour is in pending
        }
        if (pending != before) l.pendingStart = pending;
        b.lastHour = uint32(reached);
        return reached == nowHour;
    }

    /// @dev Moves the gathered starts to their hour's bucket and into `pendingStart` (the hour is
    /// after `lastHour`; a fold passing it takes them out again).
    function bucketStarts(Ledger storage l, Book memory b) internal {
        uint256 hour = b.startingHour;
        HourTotals storage h = l.steps[hour];
        HourTotals memory t = h;
        h.starting = t.starting + b.startingSoon;
        if (t.ending == 0 && t.starting == 0) l.bits.mark(hour);
        l.pendingStart += b.startingSoon;
        b.startingSoon = 0;
        b.startingHour = 0;
    }

    // ─── rare paths (external: DELEGATECALL from the market) ─────────────────────────────────

    /// @notice Checks a listing's configuration and stores the product under `productId` (the
    /// market has checked the caller, the pool and the trigger's approval).
    function list(
        mapping(uint256 => ProductStore) storage products,
        mapping(uint256 => bytes) storage paramsOf,
        mapping(uint256 => bytes32) storage salesKeys,
        uint256 productId,
        ICoverMarket.ProductConfig calldata c,
        uint256 nowHour
    ) external {
        if (
            c.capAmount == 0 || c.termsHash == bytes32(0) || c.coverageLagSeconds < MIN_COVERAGE_LAG_SECONDS
                || c.coverageLagSeconds > MAX_COVERAGE_LAG_SECONDS || c.vetoWindowSeconds > MAX_VETO_WINDOW_SECONDS
        ) revert ICoverMarket.MarketProductConfigInvalid(c.capAmount, c.coverageLagSeconds, c.vetoWindowSeconds);
        ITrigger(c.trigger).validateParams(c.params);
        products[productId] = ProductStore({
            trigger: c.trigger,
            capAmount: c.capAmount,
            book: Book({activeCover: 0, startingSoon: 0, startingHour: 0, lastHour: uint32(nowHour)}),
            coverageLagSeconds: c.coverageLagSeconds,
            vetoWindowSeconds: c.vetoWindowSeconds,
            activeSince: uint40(block.timestamp),
            status: ICoverMarket.ProductStatus.Active,
            salesPaused: false,
            observes: ITrigger(c.trigger).observes(c.params),
            generation: 0,
            termsHash: c.termsHash
        });
        paramsOf[productId] = c.params;
        salesKeys[productId] = ITrigger(c.trigger).register(c.params);
        emit ICoverMarket.ProductListed(
            productId, c.trigger, c.termsHash, c.capAmount, c.coverageLagSeconds, c.vetoWindowSeconds, c.params
        );
    }

    /// @notice `fold` as a separate call, writing the book back: a bounded catch-up of an idle book.
    function foldBounded(Ledger storage l, Book storage stored, uint256 nowHour, uint256 maxSteps) external returns (bool done) {
        Book memory b = stored;
        done = fold(l, b, nowHour, maxSteps);
        stored.activeCover = b.activeCover;
        stored.startingSoon = b.startingSoon;
        stored.startingHour = b.startingHour;
        stored.lastHour = b.lastHour;
    }

    /// @notice Exactly the cover of the book active at `t` (start ≤ t < end), for a book folded to
    /// `nowHour` (and written back): (cover ending after t) − (cover starting after t), as cover starting after t also
    /// ends after it. Ending after t = activeCover + endings in the hours (H(t), now]; starting
    /// after t = `pendingStart` + the gathered hour + starts in those hours. One bucket read per
    /// marked hour since t.
    function liabilityAt(Ledger storage l, Book storage stored, uint256 t, uint256 grid, uint256 nowHour)
        external
        view
        returns (uint256)
    {
        Book memory b = stored;
        uint256 endsAfter = b.activeCover;
        uint256 startsAfter = l.pendingStart + b.startingSoon;
        DayBitmap.Bitmap storage bits = l.bits;
        uint256 hour = t / grid;
        while ((hour = bits.next(hour, nowHour)) != 0) {
            HourTotals memory h = l.steps[hour];
            endsAfter += h.ending;
            startsAfter += h.starting;
        }
        return endsAfter - startsAfter;
    }

    /// @notice Active cover of a book at `nowHour`, without writing.
    function activeAt(Ledger storage l, Book storage stored, uint256 nowHour) external view returns (uint256 active) {
        Book memory b = stored;
        active = b.activeCover;
        // lastHour is 0 only for a product never listed (listing sets it to now): nothing booked.
        if (b.lastHour >= nowHour || b.lastHour == 0) return active;
        DayBitmap.Bitmap storage bits = l.bits;
        uint256 hour = b.lastHour;
        while ((hour = bits.next(hour, nowHour)) != 0) {
            active -= l.steps[hour].ending;
        }
    }

    /// @notice Takes an ended book's cover that the pool still counts off the pool, over at most
    /// `maxSteps` marked end hours up to `horizon`, one pool call per end day. The pool counts an
    /// end hour h while its day bucket ceil(h·grid / 1 day) is after today, so the walk starts
    /// at today's first hour (or where it stopped last time, if later).
    function release(Ledger storage l, ICoverPool pool, uint256 grid, uint256 horizon, uint256 maxSteps)
        external
        returns (uint256 released, bool done)
    {
        uint256 hour = l.releasedThrough;
        uint256 todayFirst = (block.timestamp / 1 days) * (1 days / grid);
        if (hour < todayFirst) hour = todayFirst;
        DayBitmap.Bitmap storage bits = l.bits;
        uint256 reached = horizon;
        uint256 day;
        uint256 dayAmount;
        while ((hour = bits.next(hour, horizon)) != 0) {
            if (maxSteps == 0) {
                reached = hour - 1;
                break;
            }
            --maxSteps;
            uint256 ending = l.steps[hour].ending;
            if (ending == 0) continue; // a start-only bucket
            uint256 hourDay = DayBitmap.bucketOf(hour * grid);
            if (hourDay != day && dayAmount != 0) {
                pool.releaseCover(day * 1 days, dayAmount);
                dayAmount = 0;
            }
            day = hourDay;
            dayAmount += ending;
            released += ending;
        }
        if (dayAmount != 0) pool.releaseCover(day * 1 days, dayAmount);
        if (reached > l.releasedThrough) l.releasedThrough = reached;
        done = reached == horizon;
    }
}
