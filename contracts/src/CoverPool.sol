// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICoverPool} from "./interfaces/ICoverPool.sol";
import {DayBitmap} from "./libraries/DayBitmap.sol";

/// @title CoverPool
/// @notice LP capital for one market. Shares use a 6-decimal offset (virtual shares), which makes
/// a donation ("inflation") attack cost the attacker far more than it could take.
///
/// Premium accounting: a premium P paid at time p for cover ending at `end` is earned linearly
/// over [p, E) where E is the end of the policy's last day. With rate r = P·1e12 / (E − p),
/// unearned(t) = Σ r·(E − t) = (Σ r·E − t·Σ r) / 1e12 over policies whose day has not ended;
/// day buckets remove ended policies from both sums, found through a bitmap. No loop ever runs
/// over policies.
contract CoverPool is ERC4626, Ownable2Step, ICoverPool {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using DayBitmap for DayBitmap.Bitmap;

    uint256 private constant BPS = 10_000;
    uint256 private constant RATE_SCALE = 1e12;
    uint32 private constant MAX_LEVERAGE_BPS = 100_000;
    uint32 private constant MAX_COOLDOWN_SECONDS = 90 days;
    /// @notice A matured withdrawal request can be completed for this long; after that it lapses
    /// (cancel it and request again), so a request is never a standing option on later prices.
    uint256 public constant REDEEM_WINDOW_SECONDS = 3 days;
    /// @notice A reserve returned by a closed incident is earned back over this long, like a
    /// premium, so a deposit timed around `closeIncident` gains only what time held earns.
    uint256 public constant RETURN_STREAM_SECONDS = 30 days;

    /// @dev Everything a purchase updates, in one slot.
    struct Book {
        uint96 activeCover;
        uint128 rateSum;
        uint32 lastDay;
    }

    /// @dev What expires at the end of one day.
    struct Bucket {
        uint96 cover;
        uint160 rate;
    }

    Book private _book;
    uint256 private _rateEndSum;
    mapping(uint256 day => Bucket) private _buckets;
    DayBitmap.Bitmap private _days;

    /// @dev What every purchase reads besides the book, in one slot. `pendingUnits` is the pending
    /// liability in units of `_pendingUnit`, rounded up (capacity only: conservative); the exact
    /// figure is `_pending()`, read by exits, reserves and views.
    struct Config {
        address market;
        uint32 leverageBps;
        uint64 pendingUnits;
    }

    Config private _cfg;
    /// @dev Pending liability + 1, kept only when `_pendingUnit` > 1 (the packed units are exact
    /// otherwise). Never zero, so opening an incident rewrites a non-zero slot.
    uint256 private _pendingPlusOne = 1;
    /// @dev 10^(decimals − 6) for assets with more than 6 decimals, else 1: a uint64 of units
    /// then holds 1.8e13 whole tokens of an 18-decimal asset.
    uint256 private immutable _pendingUnit;
    /// @notice Seconds between a withdrawal request and its completion.
    uint32 public cooldownSeconds;
    /// @notice Products whose visible condition freezes completions (set by the market).
    uint256 public exitFreezes;
    /// @notice Id of the last withdrawal request.
    uint256 public lastRequestId;
    mapping(uint256 requestId => WithdrawalRequest) private _requests;

    modifier onlyMarket() {
        if (msg.sender != _cfg.market) revert PoolOnlyMarket(msg.sender);
        _;
    }

    /// @param asset_ the stablecoin
    /// @param owner_ the pool's owner (a multisig or timelock in production)
    /// @param leverageBps_ initial leverage, 10000 = 1×
    /// @param cooldownSeconds_ initial withdrawal cooldown
    constructor(IERC20 asset_, string memory name_, string memory symbol_, address owner_, uint32 leverageBps_, uint32 cooldownSeconds_)
        ERC4626(asset_)
        ERC20(name_, symbol_)
        Ownable(owner_)
    {
        uint8 d = decimals() - _decimalsOffset(); // the asset's decimals, as ERC4626 read them
        _pendingUnit = d > 6 ? 10 ** (d - 6) : 1;
        _setRiskParams(leverageBps_, cooldownSeconds_);
        _book.lastDay = DayBitmap.today(block.timestamp).toUint32();
    }

    // ─── owner ───────────────────────────────────────────────────────────────────────────────

    /// @notice Sets the market once; the market is the only contract that can book cover.
    function setMarket(address market_) external onlyOwner {
        if (_cfg.market != address(0)) revert PoolMarketAlreadySet(_cfg.market);
        _cfg.market = market_;
        emit MarketSet(market_);
    }

    /// @notice Sets leverage (10000 = 1×, at most 10×) and the withdrawal cooldown (≤ 90 days).
    function setRiskParams(uint32 leverageBps_, uint32 cooldownSeconds_) external onlyOwner {
        _setRiskParams(leverageBps_, cooldownSeconds_);
    }

    // ─── market ──────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ICoverPool
    function recordCover(uint256 coverAmount, uint256 premium, uint256 endTime) external {
        Config memory c = _cfg; // one read for the caller check and the capacity
        if (msg.sender != c.market) revert PoolOnlyMarket(msg.sender);
        (Book memory b, uint256 rateEnd) = _settled();
        uint256 day = DayBitmap.bucketOf(endTime);
        uint256 earnedBy = day * DayBitmap.DAY;
        uint256 rate = premium * RATE_SCALE / (earnedBy - block.timestamp);
        b.activeCover = (b.activeCover + coverAmount).toUint96();
        b.rateSum = (b.rateSum + rate).toUint128();
        rateEnd += rate * earnedBy;

        uint256 cap = _capacityOf(c, _assets(b, rateEnd));
        if (b.activeCover > cap) {
            revert PoolCapacityExceeded(coverAmount, cap > b.activeCover - coverAmount ? cap - (b.activeCover - coverAmount) : 0);
        }
        _book = b;
        _rateEndSum = rateEnd;
        Bucket memory k = _buckets[day];
        // Cover is never zero, so a bucket with cover is already marked in the bitmap.
        if (k.cover == 0) _days.mark(day);
        // Each sum is ≤ the book's total, which fit its type above.
        _buckets[day] = Bucket(uint96(k.cover + coverAmount), uint160(k.rate + rate));
        // No event here: the market's CoverPurchased is the one record of this change.
    }

    /// @inheritdoc ICoverPool
    function addPendingLiability(uint256 liability) external onlyMarket {
        _setPending(_pending() + liability);
    }

    /// @inheritdoc ICoverPool
    function removePendingLiability(uint256 liability) external onlyMarket {
        _setPending(_pending() - liability);
    }

    /// @inheritdoc ICoverPool
    function reserveForIncident(uint256 liability) external onlyMarket returns (uint256 reserve) {
        uint256 assets = totalAssets();
        uint256 pending = _pending();
        _setPending(pending - liability);
        // Every incident pending at once gets the same fraction: assets / pending. Confirming one
        // takes its share and its liability out together, so the fraction left for the others
        // stays (assets − L·a/P) / (P − L) = a/P.
        reserve = pending <= assets ? liability : Math.mulDiv(liability, assets, pending);
        if (reserve > 0) IERC20(asset()).safeTransfer(msg.sender, reserve);
        emit IncidentReserved(liability, reserve);
    }

    /// @inheritdoc ICoverPool
    function setExitFreeze(bool frozen) external onlyMarket {
        exitFreezes = frozen ? exitFreezes + 1 : exitFreezes - 1;
        emit ExitFreezesChanged(exitFreezes);
    }

    /// @inheritdoc ICoverPool
    function releaseCover(uint256 endTime, uint256 amount) external onlyMarket {
        (Book memory b, uint256 rateEnd) = _settled();
        uint256 day = DayBitmap.bucketOf(endTime);
        if (day > b.lastDay) {
            // The market releases only cover it booked to this end and has not released before.
            _buckets[day].cover -= amount.toUint96();
            b.activeCover -= amount.toUint96();
        }
        _book = b;
        _rateEndSum = rateEnd;
        emit CoverReleased(endTime, amount);
    }

    /// @inheritdoc ICoverPool
    function recordReturn(uint256 amount) external onlyMarket {
        if (amount == 0) return;
        (Book memory b, uint256 rateEnd) = _settled();
        uint256 day = DayBitmap.bucketOf(block.timestamp + RETURN_STREAM_SECONDS);
        uint256 earnedBy = day * DayBitmap.DAY;
        uint256 rate = amount * RATE_SCALE / (earnedBy - block.timestamp);
        b.rateSum = (b.rateSum + rate).toUint128();
        _book = b;
        _rateEndSum = rateEnd + rate * earnedBy;
        Bucket memory k = _buckets[day];
        _days.mark(day);
        _buckets[day] = Bucket(k.cover, (k.rate + rate).toUint160());
        emit ReserveReturned(amount, earnedBy);
    }

    // ─── LPs ─────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ICoverPool
    function requestRedeem(uint256 shares) external returns (uint256 requestId) {
        if (shares == 0) revert PoolZeroAmount();
        // Valued before the shares move: escrow changes neither supply nor assets.
        uint256 assets = _exitValue(shares);
        _transfer(msg.sender, address(this), shares);
        requestId = ++lastRequestId;
        uint64 claimableAt = uint64(block.timestamp) + cooldownSeconds;
        _requests[requestId] = WithdrawalRequest(msg.sender, claimableAt, shares, assets);
        emit WithdrawalRequested(requestId, msg.sender, shares, claimableAt);
    }

    /// @inheritdoc ICoverPool
    function cancelRedeem(uint256 requestId) external {
        WithdrawalRequest memory r = _ownRequest(requestId);
        delete _requests[requestId];
        _transfer(address(this), r.owner, r.shares);
        emit WithdrawalCancelled(requestId, r.owner, r.shares);
    }

    /// @inheritdoc ICoverPool
    function completeRedeem(uint256 requestId, uint256 shares, address receiver) external returns (uint256 assets) {
        WithdrawalRequest memory r = _ownRequest(requestId);
        if (exitFreezes != 0) revert PoolExitsFrozen(exitFreezes);
        if (block.timestamp < r.claimableAt) revert PoolWithdrawalCoolingDown(requestId, r.claimableAt);
        uint256 lapsesAt = uint256(r.claimableAt) + REDEEM_WINDOW_SECONDS;
        if (block.timestamp > lapsesAt) revert PoolWithdrawalLapsed(requestId, lapsesAt);
        if (shares > r.shares) revert PoolWithdrawalExceedsRequest(requestId, shares, r.shares);
        // The lower of the request-time value and today's value net of pending incidents: a
        // request stops earning once made and still bears every loss until it is completed.
        uint256 atRequest = shares == r.shares ? r.assets : Math.mulDiv(r.assets, shares, r.shares);
        assets = Math.min(atRequest, _exitValue(shares));
        if (assets == 0) revert PoolZeroAmount();
        uint256 free = freeCapital();
        if (assets > free) revert PoolWithdrawalExceedsFreeCapital(assets, free);
        if (shares == r.shares) {
            delete _requests[requestId];
        } else {
            _requests[requestId].shares = r.shares - shares;
            _requests[requestId].assets = r.assets - atRequest;
        }
        _burn(address(this), shares);
        IERC20(asset()).safeTransfer(receiver, assets);
        emit Withdraw(msg.sender, receiver, msg.sender, assets, shares);
        emit WithdrawalCompleted(requestId, receiver, shares, assets);
    }

    /// @inheritdoc ICoverPool
    function exitValue(uint256 shares) external view returns (uint256) {
        return _exitValue(shares);
    }

    /// @notice The market allowed to book cover and open incidents.
    function market() external view returns (address) {
        return _cfg.market;
    }

    /// @notice Active cover may reach (assets − pending liability) × leverageBps / 10000.
    function leverageBps() external view returns (uint32) {
        return _cfg.leverageBps;
    }

    /// @inheritdoc ICoverPool
    function pendingLiability() external view returns (uint256) {
        return _pending();
    }

    /// @notice A withdrawal request (zero owner once completed or cancelled).
    function withdrawalRequest(uint256 requestId) external view returns (WithdrawalRequest memory) {
        return _requests[requestId];
    }

    // ─── views ───────────────────────────────────────────────────────────────────────────────

    /// @notice Balance less premium not yet earned. Capital paid out to incidents has already left.
    function totalAssets() public view override returns (uint256) {
        (Book memory b, uint256 rateEnd) = _settled();
        return _assets(b, rateEnd);
    }

    /// @inheritdoc ICoverPool
    function activeCover() external view returns (uint256) {
        (Book memory b,) = _settled();
        return b.activeCover;
    }

    /// @inheritdoc ICoverPool
    function unearnedPremium() external view returns (uint256) {
        (Book memory b, uint256 rateEnd) = _settled();
        return _unearned(b, rateEnd);
    }

    /// @inheritdoc ICoverPool
    function freeCapital() public view returns (uint256) {
        (Book memory b, uint256 rateEnd) = _settled();
        uint256 assets = _assets(b, rateEnd);
        uint256 required = Math.mulDiv(b.activeCover, BPS, _cfg.leverageBps, Math.Rounding.Ceil) + _pending();
        return assets > required ? assets - required : 0;
    }

    /// @inheritdoc ICoverPool
    function capacity() external view returns (uint256) {
        (Book memory b, uint256 rateEnd) = _settled();
        return _capacity(_assets(b, rateEnd));
    }

    /// @inheritdoc ICoverPool
    function capacityLeft() external view returns (uint256) {
        (Book memory b, uint256 rateEnd) = _settled();
        uint256 cap = _capacity(_assets(b, rateEnd));
        return cap > b.activeCover ? cap - b.activeCover : 0;
    }

    /// @notice Withdrawals only go through the queue (requestRedeem → completeRedeem), so the
    /// ERC-4626 withdraw/redeem paths report zero, as the standard asks when they are disabled.
    function maxWithdraw(address) public pure override returns (uint256) {
        return 0;
    }

    /// @inheritdoc ERC4626
    function maxRedeem(address) public pure override returns (uint256) {
        return 0;
    }

    // ─── internals ───────────────────────────────────────────────────────────────────────────

    /// @notice No deposits while an incident is pending (fired, not yet confirmed or vetoed) or a
    /// visible condition has frozen exits. A price during a pending incident cannot be fair in
    /// both outcomes: priced gross, the newcomer absorbs the incumbents' loss; priced net, a
    /// deposit made just before a veto takes part of the restored value risk-free.
    function maxDeposit(address) public view override returns (uint256) {
        return exitFreezes != 0 || _pending() != 0 ? 0 : type(uint256).max;
    }

    /// @inheritdoc ERC4626
    function maxMint(address) public view override returns (uint256) {
        return exitFreezes != 0 || _pending() != 0 ? 0 : type(uint256).max;
    }

    /// @dev Shares are priced on assets net of pending liability, both ways: a deposit made while
    /// an incident is pending buys at the post-incident price, so it never absorbs the incumbents'
    /// loss (exits are priced the same way, `_exitValue`).
    function _convertToShares(uint256 assets, Math.Rounding rounding) internal view override returns (uint256) {
        return Math.mulDiv(assets, totalSupply() + 10 ** _decimalsOffset(), _netAssets() + 1, rounding);
    }

    /// @inheritdoc ERC4626
    function _convertToAssets(uint256 shares, Math.Rounding rounding) internal view override returns (uint256) {
        return Math.mulDiv(shares, _netAssets() + 1, totalSupply() + 10 ** _decimalsOffset(), rounding);
    }

    function _netAssets() private view returns (uint256) {
        uint256 assets = totalAssets();
        uint256 pending = _pending();
        return assets > pending ? assets - pending : 0;
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return 6;
    }

    /// @dev The book as of now: every day bucket that ended since the last write is removed.
    function _settled() private view returns (Book memory b, uint256 rateEnd) {
        b = _book;
        rateEnd = _rateEndSum;
        uint256 today = DayBitmap.today(block.timestamp);
        if (b.lastDay >= today) return (b, rateEnd);
        uint256 day = b.lastDay;
        while ((day = _days.next(day, today)) != 0) {
            Bucket memory k = _buckets[day];
            b.activeCover -= k.cover;
            b.rateSum -= uint128(k.rate); // k.rate ≤ rateSum, which is a uint128
            rateEnd -= k.rate * day * DayBitmap.DAY;
        }
        b.lastDay = uint32(today); // ≤ block.timestamp / 1 day, far below 2^32 for millennia
    }

    function _unearned(Book memory b, uint256 rateEnd) private view returns (uint256) {
        // Every remaining bucket ends after now, so rateEnd ≥ now · rateSum.
        return Math.ceilDiv(rateEnd - block.timestamp * b.rateSum, RATE_SCALE);
    }

    function _assets(Book memory b, uint256 rateEnd) private view returns (uint256) {
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        uint256 unearned = _unearned(b, rateEnd);
        return balance > unearned ? balance - unearned : 0;
    }

    /// @dev Capacity reads the packed, rounded-up pending figure: one slot on every purchase.
    function _capacity(uint256 assets) private view returns (uint256) {
        return _capacityOf(_cfg, assets);
    }

    function _capacityOf(Config memory c, uint256 assets) private view returns (uint256) {
        uint256 pending = uint256(c.pendingUnits) * _pendingUnit;
        return assets > pending ? (assets - pending) * c.leverageBps / BPS : 0;
    }

    /// @dev What `shares` are worth once every pending incident is paid in full: ERC-4626's
    /// conversion (virtual shares and assets, rounded down) over assets − pending liability.
    function _exitValue(uint256 shares) private view returns (uint256) {
        return Math.mulDiv(shares, _netAssets() + 1, totalSupply() + 10 ** _decimalsOffset());
    }

    function _pending() private view returns (uint256) {
        return _pendingUnit == 1 ? _cfg.pendingUnits : _pendingPlusOne - 1;
    }

    function _setPending(uint256 pending) private {
        if (_pendingUnit != 1) _pendingPlusOne = pending + 1;
        _cfg.pendingUnits = Math.ceilDiv(pending, _pendingUnit).toUint64();
        emit PendingLiabilityChanged(pending);
    }

    function _ownRequest(uint256 requestId) private view returns (WithdrawalRequest memory r) {
        r = _requests[requestId];
        if (r.owner != msg.sender || r.shares == 0) revert PoolWithdrawalNotOwner(requestId, msg.sender);
    }

    function _setRiskParams(uint32 leverageBps_, uint32 cooldownSeconds_) private {
        if (leverageBps_ < BPS || leverageBps_ > MAX_LEVERAGE_BPS || cooldownSeconds_ > MAX_COOLDOWN_SECONDS) {
            revert PoolRiskParamsInvalid(leverageBps_, cooldownSeconds_);
        }
        _cfg.leverageBps = leverageBps_;
        cooldownSeconds = cooldownSeconds_;
        emit RiskParamsSet(leverageBps_, cooldownSeconds_);
    }
}
