// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ICoverPool
/// @notice ERC-4626 pool of one stablecoin that backs every product of one market. Premiums are
/// earned linearly until the end of each policy's last day; withdrawals go through
/// request → cooldown → complete, and queued shares keep bearing incidents until burned.
interface ICoverPool {
    /// @notice A withdrawal request that has shares in escrow.
    struct WithdrawalRequest {
        address owner;
        uint64 claimableAt;
        uint256 shares;
        /// @dev what the shares were worth net of pending liability when requested (the cap)
        uint256 assets;
    }

    /// @notice An incident's liability was added to (or removed from) what the pool may owe.
    event PendingLiabilityChanged(uint256 pendingLiability);
    /// @notice The pool moved an incident's reserve to the market.
    event IncidentReserved(uint256 liability, uint256 reserve);
    /// @notice An LP queued shares for withdrawal.
    event WithdrawalRequested(uint256 indexed requestId, address indexed owner, uint256 shares, uint64 claimableAt);
    /// @notice An LP took queued shares back.
    event WithdrawalCancelled(uint256 indexed requestId, address indexed owner, uint256 shares);
    /// @notice Queued shares were burned for assets.
    event WithdrawalCompleted(uint256 indexed requestId, address indexed receiver, uint256 shares, uint256 assets);
    /// @notice A closed incident's unpaid reserve came back; it is earned back linearly until `earnedBy`.
    event ReserveReturned(uint256 amount, uint256 earnedBy);
    /// @notice The number of visible conditions freezing completions changed.
    event ExitFreezesChanged(uint256 freezes);
    /// @notice Risk settings changed.
    event RiskParamsSet(uint32 leverageBps, uint32 cooldownSeconds);
    /// @notice The market that may sell cover against this pool was set.
    event MarketSet(address market);
    /// @notice Cover ending at `endTime` left the book early: its product's close ended it.
    event CoverReleased(uint256 endTime, uint256 amount);

    /// @notice Caller is not the market.
    error PoolOnlyMarket(address caller);
    /// @notice The market can be set once.
    error PoolMarketAlreadySet(address market);
    /// @notice Cover would exceed the pool's assets times leverage.
    error PoolCapacityExceeded(uint256 requested, uint256 available);
    /// @notice Leverage must be in [1x, 10x] and the cooldown at most 90 days.
    error PoolRiskParamsInvalid(uint32 leverageBps, uint32 cooldownSeconds);
    /// @notice Unknown request, or not the caller's.
    error PoolWithdrawalNotOwner(uint256 requestId, address caller);
    /// @notice The cooldown has not passed.
    error PoolWithdrawalCoolingDown(uint256 requestId, uint64 claimableAt);
    /// @notice The request matured and was not completed within the window; cancel and request again.
    error PoolWithdrawalLapsed(uint256 requestId, uint256 lapsedAt);
    /// @notice A product's condition holds and is not fired yet (CoverMarket.flagCondition).
    error PoolExitsFrozen(uint256 freezes);
    /// @notice More shares than queued.
    error PoolWithdrawalExceedsRequest(uint256 requestId, uint256 shares, uint256 queued);
    /// @notice The assets asked for back active cover or pending incidents.
    error PoolWithdrawalExceedsFreeCapital(uint256 assets, uint256 freeCapital);
    /// @notice Zero shares or assets.
    error PoolZeroAmount();

    /// @notice Market only: books cover whose premium has already been transferred in.
    /// Reverts with PoolCapacityExceeded when active cover would pass assets × leverage.
    function recordCover(uint256 coverAmount, uint256 premium, uint256 endTime) external;

    /// @notice Market only: an incident opened with this liability.
    function addPendingLiability(uint256 liability) external;

    /// @notice Market only: an incident with this liability was vetoed.
    function removePendingLiability(uint256 liability) external;

    /// @notice Market only: confirms an incident. Every pending incident gets the same share of
    /// the pool (min(1, assets / pending liability)); this one's reserve is sent to the market.
    /// @return reserve the amount transferred to the market for this incident's payouts
    function reserveForIncident(uint256 liability) external returns (uint256 reserve);

    /// @notice Market only: one more (true) or one fewer (false) visible condition freezes
    /// completions; while any does, `completeRedeem` reverts with PoolExitsFrozen.
    function setExitFreeze(bool frozen) external;

    /// @notice Market only: a closed incident's unpaid reserve, already transferred back to the
    /// pool; it is earned back linearly over RETURN_STREAM_SECONDS, like a premium.
    function recordReturn(uint256 amount) external;

    /// @notice Market only: `amount` of cover booked to end at `endTime` was ended early by its
    /// product's close; it leaves the active cover (and its day bucket) now. A bucket already
    /// expired is left as it is.
    function releaseCover(uint256 endTime, uint256 amount) external;

    /// @notice Queues `shares` of the caller for withdrawal after the cooldown.
    function requestRedeem(uint256 shares) external returns (uint256 requestId);

    /// @notice Returns queued shares to their owner.
    function cancelRedeem(uint256 requestId) external;

    /// @notice Burns up to the queued shares once the cooldown has passed and before the request
    /// lapses (REDEEM_WINDOW_SECONDS later), for the lower of their value when requested and
    /// `exitValue` now, as long as the assets are free capital.
    function completeRedeem(uint256 requestId, uint256 shares, address receiver) external returns (uint256 assets);

    /// @notice What `shares` are worth if every pending (fired, unconfirmed) incident is paid in
    /// full: shares × (totalAssets − pending liability) / supply, with ERC-4626's virtual offset.
    function exitValue(uint256 shares) external view returns (uint256);

    /// @notice Cover currently booked (counted until the end of each policy's last day).
    function activeCover() external view returns (uint256);

    /// @notice Premium received and not yet earned.
    function unearnedPremium() external view returns (uint256);

    /// @notice Liability of incidents opened and not yet confirmed or vetoed.
    function pendingLiability() external view returns (uint256);

    /// @notice Assets that back nothing: total assets less capital for active cover at the
    /// current leverage, less pending liability.
    function freeCapital() external view returns (uint256);

    /// @notice The most cover the pool may carry: (assets − pending liability) × leverage, or 0,
    /// with the pending liability as the pool books it for capacity (rounded up to its unit:
    /// conservative, never above what `pendingLiability()` would allow).
    /// Off-chain readers take this figure rather than recomputing the formula.
    function capacity() external view returns (uint256);

    /// @notice Cover that can still be sold: (assets − pending) × leverage − active cover.
    function capacityLeft() external view returns (uint256);
}
