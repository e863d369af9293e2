// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITrigger} from "../interfaces/ITrigger.sol";

/// @notice The ERC-4626 views the share-price trigger reads (a lending market's exchange rate is
/// read through an adapter exposing the same two).
interface IShareVault {
    function decimals() external view returns (uint8);
    function convertToAssets(uint256 shares) external view returns (uint256);
}

/// @title SharePriceTrigger
/// @notice Trips when a covered vault's own accounting, `convertToAssets(one share)`, has stayed at
/// least `dropBps` below its high-water mark for at least `durationSeconds`. Deposits, withdrawals
/// and other assets' prices do not move a share's price; an exploit that takes the backing does.
///
/// The high-water mark ("peak") is the share price recorded at the product's registration, raised
/// by later observations that find it higher, but never faster than `maxGrowthBpsPerYear` (a
/// vault's plausible yield) per unit of time since the previous observation: a price inflated for
/// one block can lift the peak by at most that allowance, not by a drop's worth.
///
/// What "stayed below" means (and what the product's terms say): the vault was seen at or below
/// `peak × (1 − dropBps)` at every observation, no two consecutive observations, nor the last one
/// and the proving call, more than `maxGapSeconds` apart, and it is below now. Anyone may
/// `observe`. An observation at or above the level ends the run; a longer gap restarts it at the
/// next observation. A dip for one block is cleared by the next honest observation: to fake a run,
/// an attacker would have to hold the price down at every observation for `durationSeconds`.
///
/// Incident time (canonical): the first observation of the current run. It does not depend on
/// the (empty) proof. Records are kept per `recordKey(params)` and shared by every product with the
/// same parameters but the duration.
contract SharePriceTrigger is ITrigger {
    struct Params {
        address vault;
        uint16 dropBps;
        uint32 durationSeconds;
        uint32 maxGapSeconds;
        uint32 maxGrowthBpsPerYear;
    }

    /// @notice A vault's record: the high-water mark and the current below-level run.
    struct Record {
        uint128 peak;
        uint40 peakAt;
        uint40 since;
        uint40 lastBelow;
    }

    uint256 private constant BPS = 10_000;
    /// @notice Bounds of the parameters: a drop of 1%–99%, growth of at most 1,000% a year.
    uint16 public constant MIN_DROP_BPS = 100;
    uint16 public constant MAX_DROP_BPS = 9_900;
    uint32 public constant MAX_GROWTH_BPS_PER_YEAR = 100_000;

    /// @notice Records by `recordKey(params)`.
    mapping(bytes32 key => Record) public records;
    /// @notice The parameters of each registered key (what `conditionHoldsAt` reads).
    mapping(bytes32 key => Params) public paramsOf;

    /// @notice The peak was recorded or raised.
    event SharePricePeak(address indexed vault, bytes32 indexed key, uint256 peak);
    /// @notice A run below the level was observed for the first time (or again after too long a gap).
    event SharePriceDropObserved(address indexed vault, bytes32 indexed key, uint256 price, uint256 peak, uint64 since);
    /// @notice The vault was observed at or above the level, or a gap ran too long; the run was cleared.
    event SharePriceDropCleared(address indexed vault, bytes32 indexed key, uint64 since, uint64 clearedAt);

    /// @notice The vault does not answer `decimals()` and `convertToAssets(one share)` with a non-zero price.
    error SharePriceVaultUnsupported(address vault);
    /// @notice Drop, duration, gap or growth out of bounds (the gap at most the duration).
    error SharePriceParamsInvalid(uint16 dropBps, uint32 durationSeconds, uint32 maxGapSeconds, uint32 maxGrowthBpsPerYear);
    /// @notice The vault is below the level of a recorded peak already: listing would sell cover on a known loss.
    error SharePriceAlreadyBelow(address vault, uint256 price, uint256 level);

    /// @inheritdoc ITrigger
    function validateParams(bytes calldata params) external view {
        Params memory p = abi.decode(params, (Params));
        if (
            p.dropBps < MIN_DROP_BPS || p.dropBps > MAX_DROP_BPS || p.durationSeconds == 0 || p.maxGapSeconds == 0 || p.maxGapSeconds > p.durationSeconds
                || p.maxGrowthBpsPerYear > MAX_GROWTH_BPS_PER_YEAR
        ) revert SharePriceParamsInvalid(p.dropBps, p.durationSeconds, p.maxGapSeconds, p.maxGrowthBpsPerYear);
        (bool ok, uint256 price) = sharePrice(p.vault);
        if (!ok) revert SharePriceVaultUnsupported(p.vault);
        Record memory r = records[recordKey(p)];
        if (r.peak != 0 && price <= _level(r.peak, p.dropBps)) revert SharePriceAlreadyBelow(p.vault, price, _level(r.peak, p.dropBps));
    }

    /// @inheritdoc ITrigger
    /// @dev proof is unused (empty); the observations are the proof.
    function check(bytes calldata params, bytes calldata) external view returns (bool, uint64, uint64) {
        Params memory p = abi.decode(params, (Params));
        (bool ok, uint256 price) = sharePrice(p.vault);
        Record memory r = records[recordKey(p)];
        if (!ok || r.since == 0 || price > _level(r.peak, p.dropBps)) return (false, 0, 0);
        if (block.timestamp - r.lastBelow > p.maxGapSeconds) return (false, 0, 0);
        if (block.timestamp < uint256(r.since) + p.durationSeconds) return (false, 0, 0);
        return (true, r.since, r.since);
    }

    /// @inheritdoc ITrigger
    function findProof(bytes calldata params, uint64 notBefore) external view returns (bool, bytes memory) {
        (bool tripped, uint64 since,) = this.check(params, "");
        return (tripped && since > notBefore, "");
    }

    /// @inheritdoc ITrigger
    function advance(bytes calldata, bytes calldata, uint256) external pure returns (bool) {
        return true;
    }

    /// @inheritdoc ITrigger
    function observe(bytes calldata params) external returns (bool) {
        Params memory p = abi.decode(params, (Params));
        bytes32 key = recordKey(p);
        Record memory r = records[key];
        (bool ok, uint256 price) = sharePrice(p.vault);
        if (!ok || r.peak == 0) return r.since != 0; // unreadable, or never registered: nothing recorded
        uint40 nowTs = uint40(block.timestamp);
        if (price > r.peak) {
            uint256 allowed = r.peak + (uint256(r.peak) * p.maxGrowthBpsPerYear * (block.timestamp - r.peakAt)) / (BPS * 365 days);
            r.peak = uint128(price < allowed ? price : allowed);
            emit SharePricePeak(p.vault, key, r.peak);
        }
        r.peakAt = nowTs;
        bool below = price <= _level(r.peak, p.dropBps);
        if (below) {
            if (r.since != 0 && block.timestamp - r.lastBelow > p.maxGapSeconds) {
                emit SharePriceDropCleared(p.vault, key, r.since, nowTs);
                r.since = 0;
            }
            if (r.since == 0) {
                r.since = nowTs;
                emit SharePriceDropObserved(p.vault, key, price, r.peak, nowTs);
            }
            r.lastBelow = nowTs;
        } else if (r.since != 0) {
            emit SharePriceDropCleared(p.vault, key, r.since, nowTs);
            r.since = 0;
            r.lastBelow = 0;
        }
        records[key] = r;
        return below;
    }

    /// @inheritdoc ITrigger
    /// @dev Due when a run is not yet recorded, when a recorded one has ended, while below once half
    /// the max gap has passed since the last observation (so a keeper observing when due keeps a
    /// real run continuous), and when the price has risen above the peak by a twentieth of the drop
    /// (so the peak follows the vault's yield without an observation every block).
    function observationDue(bytes calldata params) external view returns (bool) {
        Params memory p = abi.decode(params, (Params));
        Record memory r = records[recordKey(p)];
        (bool ok, uint256 price) = sharePrice(p.vault);
        if (!ok || r.peak == 0) return false;
        bool below = price <= _level(r.peak, p.dropBps);
        if (!below) return r.since != 0 || price > r.peak + (uint256(r.peak) * p.dropBps) / (20 * BPS);
        return r.since == 0 || block.timestamp - r.lastBelow >= p.maxGapSeconds / 2;
    }

    /// @inheritdoc ITrigger
    /// @dev True while the vault is unreadable, below the level of the recorded peak, or a run is on record.
    function conditionHolds(bytes calldata params) external view returns (bool) {
        Params memory p = abi.decode(params, (Params));
        return _holds(recordKey(p), p);
    }

    /// @inheritdoc ITrigger
    /// @dev The key is `recordKey`; the first registration records the peak (the price then).
    function register(bytes calldata params) external returns (bytes32 key) {
        Params memory p = abi.decode(params, (Params));
        key = recordKey(p);
        paramsOf[key] = p;
        if (records[key].peak == 0) {
            (bool ok, uint256 price) = sharePrice(p.vault);
            if (!ok) revert SharePriceVaultUnsupported(p.vault);
            records[key] = Record({peak: uint128(price), peakAt: uint40(block.timestamp), since: 0, lastBelow: 0});
            emit SharePricePeak(p.vault, key, price);
        }
    }

    /// @inheritdoc ITrigger
    function conditionHoldsAt(bytes32 key) external view returns (bool) {
        Params memory p = paramsOf[key];
        if (p.vault == address(0)) return true; // never registered
        return _holds(key, p);
    }

    /// @inheritdoc ITrigger
    function observes(bytes calldata) external pure returns (bool) {
        return true;
    }

    /// @notice Where the record of `p` is kept: every parameter but the duration (products that differ
    /// only in how long the drop must last share one record, and so one incident time).
    function recordKey(Params memory p) public pure returns (bytes32) {
        return keccak256(abi.encode(p.vault, p.dropBps, p.maxGapSeconds, p.maxGrowthBpsPerYear));
    }

    /// @notice The vault's share price: `convertToAssets(10 ** decimals())`, in asset base units.
    function sharePrice(address vault) public view returns (bool ok, uint256 price) {
        if (vault.code.length == 0) return (false, 0);
        (bool s1, bytes memory d) = vault.staticcall(abi.encodeCall(IShareVault.decimals, ()));
        if (!s1 || d.length != 32) return (false, 0);
        uint256 decimals = abi.decode(d, (uint256));
        if (decimals > 36) return (false, 0);
        (bool s2, bytes memory a) = vault.staticcall(abi.encodeCall(IShareVault.convertToAssets, (10 ** decimals)));
        if (!s2 || a.length != 32) return (false, 0);
        price = abi.decode(a, (uint256));
        if (price == 0 || price > type(uint128).max) return (false, 0);
        return (true, price);
    }

    function _holds(bytes32 key, Params memory p) private view returns (bool) {
        (bool ok, uint256 price) = sharePrice(p.vault);
        Record memory r = records[key];
        return !ok || r.since != 0 || (r.peak != 0 && price <= _level(r.peak, p.dropBps));
    }

    function _level(uint256 peak, uint16 dropBps) private pure returns (uint256) {
        return (peak * (BPS - dropBps)) / BPS;
    }
}
