// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITrigger} from "../interfaces/ITrigger.sol";
import {CappedRead} from "../libraries/CappedRead.sol";
import {ObservedTrigger} from "./ObservedTrigger.sol";
import {ITriggerRegistry} from "../interfaces/ITriggerRegistry.sol";

/// @notice The ERC-4626 views the share-price trigger reads (a lending market's exchange rate is
/// read through an adapter exposing the same two).
interface IShareVault {
    function decimals() external view returns (uint8);
    function convertToAssets(uint256 shares) external view returns (uint256);
}

/// @title SharePriceTrigger
/// @notice Trips when a covered vault's own accounting, `convertToAssets(one share)`, has stayed at
/// least `dropBps` below its high-water mark for at least `durationSeconds`. Deposits, withdrawals
/// and other assets' prices do not move a share's price; an exploit that takes the backing does
/// (a share worth 0, the backing all gone, is the deepest drop, not an unreadable vault).
///
/// Every level this trigger records is confirmed, never taken from one reading, so that a price
/// pushed for one block (a flash loan, a donation undone, a read-only reentrancy) cannot move it:
/// - the high-water mark ("peak") moves up only to a candidate seen at observations at least
///   `maxGapSeconds` apart, as the lowest price seen in between (the keeper observes while a
///   candidate is open), and never faster than `maxGrowthBpsPerYear` over at most 30 days;
///   the first peak is confirmed the same way, from the market's registration at listing;
/// - a run below the level ends only on a recovery seen at observations at least `maxGapSeconds`
///   apart with no observation below in between (one push above the level does not end a real
///   run, nor unfreeze exits);
/// - and a run proves the drop only over a stretch of at least the duration in which every
///   observation found the vault below: an observation above the level, confirmed or not, restarts
///   that stretch (so dips held for one call between honest observations never add up).
///
/// What "stayed below" means (and what the product's terms say): for at least the duration, every
/// observation found the vault at or below `peak × (1 − dropBps)`, no two of them, nor the last one
/// and the proving call, more than `maxGapSeconds` apart, and it is below now. Anyone may `observe`.
///
/// Incident time (canonical): the first observation of the current run (which an unconfirmed
/// recovery does not end) — unless pushes above the level (each restarts the stretch a proof
/// needs) put the first possible proof, the latest push plus the duration plus a day, past the
/// market's 30-day age limit counted from it; then the first observation below after the latest
/// push. It depends neither on the (empty) proof nor on when it is sent. Records are kept per
/// `recordKey(params)` (every parameter but the duration).
contract SharePriceTrigger is ObservedTrigger {
    struct Params {
        address vault;
        uint16 dropBps;
        uint32 durationSeconds;
        uint32 maxGapSeconds;
        uint32 maxGrowthBpsPerYear;
    }

    /// @notice A vault's record: the confirmed peak and an open candidate, the current run below
    /// the level, and an open recovery from it. `decimals` is the vault's, read once at registration.
    struct Record {
        uint128 peak;
        uint128 pending;
        uint40 peakAt;
        uint40 pendingAt;
        uint40 since;
        uint40 lastBelow;
        uint40 recoveredAt;
        uint40 lastAbove;
        uint8 decimals;
        /// @dev the first observation below after the latest unconfirmed recovery
        uint40 resumedAt;
    }

    uint256 private constant BPS = 10_000;
    /// @notice Bounds of the parameters: a drop of 1%–99%, growth of at most 1,000% a year.
    uint16 public constant MIN_DROP_BPS = 100;
    uint16 public constant MAX_DROP_BPS = 9_900;
    uint32 public constant MAX_GROWTH_BPS_PER_YEAR = 100_000;
    /// @notice A share price of fewer base units than this is too coarse to measure a drop (rounding alone moves it).
    uint256 public constant MIN_SHARE_PRICE = 10_000;
    /// @notice The growth allowance accrues over at most this long between two observations.
    uint256 public constant MAX_GROWTH_WINDOW_SECONDS = 30 days;
    /// @notice The gas each of a vault's reads may use (`decimals`, `convertToAssets` summing its
    /// strategies or markets); a vault that needs more cannot be read (refused at listing).
    uint256 public constant READ_GAS = 1_000_000;

    /// @notice The market: only it (or a trigger it approves, a composite's legs) registers, which records the first peak.
    ITriggerRegistry public immutable registry;
    /// @notice Records by `recordKey(params)`.
    mapping(bytes32 key => Record) public records;
    /// @notice The parameters of each registered key (what `conditionHoldsAt` reads).
    mapping(bytes32 key => Params) public paramsOf;

    /// @notice The peak was confirmed (first, or raised).
    event SharePricePeak(address indexed vault, bytes32 indexed key, uint256 peak);
    /// @notice A run below the level was observed for the first time (or again after too long a gap).
    event SharePriceDropObserved(address indexed vault, bytes32 indexed key, uint256 price, uint256 peak, uint64 since);
    /// @notice A recovery was confirmed, or a gap ran too long; the run was cleared.
    event SharePriceDropCleared(address indexed vault, bytes32 indexed key, uint64 since, uint64 clearedAt);

    /// @notice The vault does not answer `decimals()` and `convertToAssets(one share)`, or its share price is too coarse to measure.
    error SharePriceVaultUnsupported(address vault);
    /// @notice Drop, duration, gap or growth out of bounds (the gap at most the duration).
    error SharePriceParamsInvalid(uint16 dropBps, uint32 durationSeconds, uint32 maxGapSeconds, uint32 maxGrowthBpsPerYear);
    /// @notice The vault is below the level of a recorded peak, or a run is on record: listing would sell cover on a known loss.
    error SharePriceAlreadyBelow(address vault, uint256 price, uint256 level);
    /// @notice Only the market, or a trigger it approves, registers parameters.
    error SharePriceRegistrarUnauthorized(address caller);
    /// @notice Too little gas left to give the vault's read its whole allowance (READ_GAS): send
    /// the call with more gas.
    error SharePriceOutOfGas(address vault);

    constructor(ITriggerRegistry registry_) {
        registry = registry_;
    }

    /// @inheritdoc ITrigger
    function validateParams(bytes calldata params) external view {
        Params memory p = abi.decode(params, (Params));
        if (
            p.dropBps < MIN_DROP_BPS || p.dropBps > MAX_DROP_BPS || p.durationSeconds == 0 || p.maxGapSeconds == 0 || p.maxGapSeconds > p.durationSeconds
                || uint256(p.durationSeconds) + p.maxGapSeconds > MAX_RUN_SECONDS || p.maxGrowthBpsPerYear > MAX_GROWTH_BPS_PER_YEAR
        ) revert SharePriceParamsInvalid(p.dropBps, p.durationSeconds, p.maxGapSeconds, p.maxGrowthBpsPerYear);
        (bool ok, uint256 price) = sharePrice(p.vault);
        if (!ok || price < MIN_SHARE_PRICE) revert SharePriceVaultUnsupported(p.vault);
        Record memory r = records[recordKey(p)];
        if (r.since != 0 || (r.peak != 0 && price <= _level(r.peak, p.dropBps))) revert SharePriceAlreadyBelow(p.vault, price, _level(r.peak, p.dropBps));
    }

    /// @inheritdoc ITrigger
    /// @dev proof is unused (empty); the observations are the proof.
    function check(bytes calldata params, bytes calldata) external view returns (bool, uint64, uint64) {
        Params memory p = abi.decode(params, (Params));
        Record memory r = records[recordKey(p)];
        (bool ok, uint256 price) = _price(p.vault, r.decimals);
        if (!ok || r.since == 0 || price > _level(r.peak, p.dropBps)) return (false, 0, 0);
        if (block.timestamp - r.lastBelow > p.maxGapSeconds) return (false, 0, 0);
        uint256 stretch = r.lastAbove > r.since ? r.lastAbove : r.since;
        if (block.timestamp < stretch + p.durationSeconds) return (false, 0, 0);
        uint64 t = _runIncidentTime(r.since, r.lastAbove, r.resumedAt, p.durationSeconds);
        return (true, t, t);
    }

    /// @inheritdoc ITrigger
    function observe(bytes calldata params) external returns (bool) {
        Params memory p = abi.decode(params, (Params));
        bytes32 key = recordKey(p);
        Record memory r = records[key];
        (bool ok, uint256 price) = _price(p.vault, r.decimals);
        if (!ok || (r.peak == 0 && r.pending == 0)) return r.since != 0; // unreadable, or never registered
        uint40 nowTs = uint40(block.timestamp);
        _observePeak(r, p, key, price);
        if (r.peak == 0) {
            records[key] = r; // the first peak is not confirmed yet
            return false;
        }
        bool below = price <= _level(r.peak, p.dropBps);
        if (below) {
            if (r.since != 0 && block.timestamp - r.lastBelow > p.maxGapSeconds) {
                emit SharePriceDropCleared(p.vault, key, r.since, nowTs);
                r.since = 0;
                r.lastAbove = 0;
            }
            if (r.since != 0 && r.recoveredAt != 0) r.resumedAt = nowTs; // below again after a push above
            if (r.since == 0) {
                r.since = nowTs;
                r.resumedAt = 0;
                emit SharePriceDropObserved(p.vault, key, price, r.peak, nowTs);
            }
            r.lastBelow = nowTs;
            r.recoveredAt = 0;
        } else if (r.since != 0) {
            // A recovery ends the run only once seen again at least a max gap later; until then it
            // restarts the stretch a proof needs.
            r.lastAbove = nowTs;
            if (r.recoveredAt == 0) {
                r.recoveredAt = nowTs;
            } else if (block.timestamp - r.recoveredAt >= p.maxGapSeconds) {
                emit SharePriceDropCleared(p.vault, key, r.since, nowTs);
                r.since = 0;
                r.lastBelow = 0;
                r.recoveredAt = 0;
                r.lastAbove = 0;
            }
        }
        records[key] = r;
        return below;
    }

    /// @dev The peak's side of an observation: a candidate above the peak opens (or lowers to the
    /// lowest price seen since); one open for at least a max gap is confirmed, within the growth
    /// allowance (the first peak is confirmed as it stands).
    function _observePeak(Record memory r, Params memory p, bytes32 key, uint256 price) private {
        if (r.pending != 0) {
            if (price < r.pending) r.pending = uint128(price);
            if (block.timestamp - r.pendingAt >= p.maxGapSeconds) {
                uint256 candidate = r.pending;
                r.pending = 0;
                r.pendingAt = 0;
                if (r.peak == 0) {
                    r.peak = uint128(candidate);
                } else if (candidate > r.peak) {
                    uint256 dt = block.timestamp - r.peakAt;
                    if (dt > MAX_GROWTH_WINDOW_SECONDS) dt = MAX_GROWTH_WINDOW_SECONDS;
                    uint256 allowed = r.peak + (uint256(r.peak) * p.maxGrowthBpsPerYear * dt) / (BPS * 365 days);
                    r.peak = uint128(candidate < allowed ? candidate : allowed);
                } else {
                    return;
                }
                r.peakAt = uint40(block.timestamp);
                emit SharePricePeak(p.vault, key, r.peak);
            }
        } else if (r.peak != 0 && price > r.peak) {
            r.pending = uint128(price);
            r.pendingAt = uint40(block.timestamp);
        }
    }

    /// @inheritdoc ITrigger
    /// @dev Due when a run is not yet recorded; while one is, every half max gap while below (so a
    /// keeper observing when due keeps a real run continuous) and while a recovery is to be
    /// confirmed; while a peak candidate is open, every half max gap (so it is confirmed at the
    /// lowest price in between); and when the price has risen above the peak by a twentieth of the
    /// drop (so the peak follows the vault's yield without an observation every block).
    function observationDue(bytes calldata params) external view returns (bool) {
        Params memory p = abi.decode(params, (Params));
        Record memory r = records[recordKey(p)];
        (bool ok, uint256 price) = _price(p.vault, r.decimals);
        if (!ok || (r.peak == 0 && r.pending == 0)) return false;
        if (r.pending != 0 && block.timestamp - r.pendingAt >= p.maxGapSeconds / 2) return true;
        if (r.peak == 0) return false;
        bool below = price <= _level(r.peak, p.dropBps);
        if (r.since != 0) return below ? block.timestamp - r.lastBelow >= p.maxGapSeconds / 2 : r.recoveredAt == 0 || block.timestamp - r.recoveredAt >= p.maxGapSeconds;
        if (below) return true;
        return r.pending == 0 && price > r.peak + (uint256(r.peak) * p.dropBps) / (20 * BPS);
    }

    /// @inheritdoc ITrigger
    /// @dev True while the vault is unreadable, below the level of the recorded peak, or a run is on record.
    function conditionHolds(bytes calldata params) external view returns (bool) {
        Params memory p = abi.decode(params, (Params));
        return _holds(recordKey(p), p);
    }

    /// @inheritdoc ITrigger
    /// @dev The key is `recordKey`. The first registration opens the first peak's candidate at the
    /// price then (confirmed by observations a max gap later, at the lowest price seen).
    function register(bytes calldata params) external returns (bytes32 key) {
        if (msg.sender != address(registry) && !registry.triggerApproved(msg.sender)) revert SharePriceRegistrarUnauthorized(msg.sender);
        Params memory p = abi.decode(params, (Params));
        key = recordKey(p);
        paramsOf[key] = p;
        Record memory r = records[key];
        if (r.peak == 0 && r.pending == 0) {
            (bool ok, uint256 price) = sharePrice(p.vault);
            if (!ok || price < MIN_SHARE_PRICE) revert SharePriceVaultUnsupported(p.vault);
            r.decimals = IShareVault(p.vault).decimals();
            r.pending = uint128(price);
            r.pendingAt = uint40(block.timestamp);
            records[key] = r;
        }
    }

    /// @inheritdoc ITrigger
    function conditionHoldsAt(bytes32 key) external view returns (bool) {
        Params memory p = paramsOf[key];
        if (p.vault == address(0)) return true; // never registered
        return _holds(key, p);
    }

    /// @notice Where the record of `p` is kept: every parameter but the duration (products that differ
    /// only in how long the drop must last share one record, and so one incident time).
    function recordKey(Params memory p) public pure returns (bytes32) {
        return keccak256(abi.encode(p.vault, p.dropBps, p.maxGapSeconds, p.maxGrowthBpsPerYear));
    }

    /// @notice The vault's share price now: `convertToAssets(10 ** decimals())`, in asset base units
    /// (0 when the backing is gone). `ok` is false when the vault does not answer.
    function sharePrice(address vault) public view returns (bool ok, uint256 price) {
        if (vault.code.length == 0) return (false, 0);
        if (!CappedRead.canForward(READ_GAS)) revert SharePriceOutOfGas(vault);
        (bool s1, bytes memory d) = vault.staticcall{gas: READ_GAS}(abi.encodeCall(IShareVault.decimals, ()));
        if (!s1 || d.length != 32) return (false, 0);
        uint256 decimals = abi.decode(d, (uint256));
        if (decimals > 36) return (false, 0);
        return _price(vault, uint8(decimals));
    }

    /// @dev The share price at the decimals recorded at registration (a vault that changes its
    /// decimals later cannot move the price by powers of ten).
    function _price(address vault, uint8 decimals) private view returns (bool ok, uint256 price) {
        if (vault.code.length == 0 || decimals > 36) return (false, 0);
        // An unreadable vault counts for neither side, so nobody may make the read fail: it gets
        // READ_GAS, forwarded in full or not at all (CappedRead, at any call depth).
        if (!CappedRead.canForward(READ_GAS)) revert SharePriceOutOfGas(vault);
        (bool success, bytes memory a) = vault.staticcall{gas: READ_GAS}(abi.encodeCall(IShareVault.convertToAssets, (10 ** uint256(decimals))));
        if (!success || a.length != 32) return (false, 0);
        price = abi.decode(a, (uint256));
        if (price > type(uint128).max) return (false, 0);
        return (true, price);
    }

    function _holds(bytes32 key, Params memory p) private view returns (bool) {
        Record memory r = records[key];
        (bool ok, uint256 price) = _price(p.vault, r.decimals);
        return !ok || r.since != 0 || (r.peak != 0 && price <= _level(r.peak, p.dropBps));
    }

    function _level(uint256 peak, uint16 dropBps) private pure returns (uint256) {
        return (peak * (BPS - dropBps)) / BPS;
    }
}
