// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ICoverMarket} from "../src/interfaces/ICoverMarket.sol";

/// @dev The one getter of the cover market the vault checks at construction.
interface AssetLike {
    function asset() external view returns (address);
}

/// @title CoveredVault (integration example, not part of the core)
/// @notice How a protocol sells Tripwire cover at deposit time: an ERC-4626 vault over a lending
/// market whose `depositWithCover` deposits for `receiver` and buys cover for `receiver` in the
/// same transaction. The depositor approves (or permits) the vault once for deposit plus premium;
/// the policy (an ERC-721 of the CoverMarket) belongs to the depositor, so a payout reaches them,
/// not the vault. The quote comes from Tripwire's API with `beneficiary` = the depositor (and the
/// protocol's integrator key, so its share of the premium is paid to it on-chain).
contract CoveredVault is ERC4626 {
    using SafeERC20 for IERC20;

    /// @notice Where deposits are supplied.
    IERC4626 public immutable lendingMarket;
    /// @notice Where cover is bought.
    ICoverMarket public immutable coverMarket;

    /// @notice A deposit and its cover, bought together.
    event DepositCovered(address indexed caller, address indexed receiver, uint256 indexed policyId, uint256 assets, uint256 shares, uint256 coverAmount, uint256 premium);

    /// @notice The quote is for someone else than the receiver of the deposit (it must name them as buyer).
    error CoveredVaultWrongBeneficiary(address quoteBuyer, address receiver);
    /// @notice The quote covers more than is deposited.
    error CoveredVaultCoverAboveDeposit(uint256 coverAmount, uint256 assets);
    /// @notice The lending market and the cover market settle in different assets.
    error CoveredVaultAssetMismatch(address lendingAsset, address coverAsset);
    /// @notice The deposit would mint fewer shares than the depositor accepted (a donation to
    /// the vault, or a price move, since the deposit was prepared).
    error CoveredVaultSharesBelowMinimum(uint256 shares, uint256 minShares);

    /// @param coverAsset the CoverMarket's premium and payout asset (must be the lending market's asset)
    constructor(IERC4626 lendingMarket_, ICoverMarket coverMarket_, IERC20 coverAsset, string memory name_, string memory symbol_)
        ERC4626(IERC20(lendingMarket_.asset()))
        ERC20(name_, symbol_)
    {
        // The vault's asset is the lending market's; it must also be what the cover market takes.
        address coverMarketAsset = AssetLike(address(coverMarket_)).asset();
        if (lendingMarket_.asset() != address(coverAsset) || coverMarketAsset != address(coverAsset)) {
            revert CoveredVaultAssetMismatch(lendingMarket_.asset(), coverMarketAsset);
        }
        lendingMarket = lendingMarket_;
        coverMarket = coverMarket_;
    }

    /// @notice Deposits `assets` for `receiver` and buys the quoted cover for `receiver`, paid by the
    /// caller: the caller's allowance to this vault must be at least `assets + quote.premium`.
    /// @param minShares fewest vault shares the caller accepts (reverts with
    /// CoveredVaultSharesBelowMinimum below it; take previewDeposit less a slippage margin)
    /// @return shares vault shares minted to `receiver`
    /// @return policyId the policy minted to `receiver` (the quote's id)
    function depositWithCover(
        uint256 assets,
        address receiver,
        uint256 minShares,
        ICoverMarket.Quote calldata quote,
        bytes calldata signature
    ) public returns (uint256 shares, uint256 policyId) {
        if (quote.buyer != receiver) revert CoveredVaultWrongBeneficiary(quote.buyer, receiver);
        if (quote.amount > assets) revert CoveredVaultCoverAboveDeposit(quote.amount, assets);
        shares = deposit(assets, receiver);
        if (shares < minShares || shares == 0) revert CoveredVaultSharesBelowMinimum(shares, minShares);
        IERC20 token = IERC20(asset());
        token.safeTransferFrom(msg.sender, address(this), quote.premium);
        token.forceApprove(address(coverMarket), quote.premium);
        policyId = coverMarket.buyCoverFor(quote, signature, receiver);
        emit DepositCovered(msg.sender, receiver, policyId, assets, shares, quote.amount, quote.premium);
    }

    /// @notice `depositWithCover` with an EIP-2612 permit for `assets + quote.premium` instead of a
    /// prior approval. A permit already used (front-run) is ignored; the allowance it set remains.
    function depositWithCoverPermit(
        uint256 assets,
        address receiver,
        uint256 minShares,
        ICoverMarket.Quote calldata quote,
        bytes calldata signature,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 shares, uint256 policyId) {
        try IERC20Permit(asset()).permit(msg.sender, address(this), assets + quote.premium, permitDeadline, v, r, s) {} catch {}
        return depositWithCover(assets, receiver, minShares, quote, signature);
    }

    /// @dev Six decimals of virtual shares: a donation of lending-market shares to an empty vault
    /// costs the donor ~10^6 times what it can take from the next depositor.
    function _decimalsOffset() internal pure override returns (uint8) {
        return 6;
    }

    /// @notice What the vault's lending-market shares are worth.
    function totalAssets() public view override returns (uint256) {
        return lendingMarket.convertToAssets(lendingMarket.balanceOf(address(this)));
    }

    /// @dev Deposits go straight on to the lending market.
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        super._deposit(caller, receiver, assets, shares);
        IERC20(asset()).forceApprove(address(lendingMarket), assets);
        lendingMarket.deposit(assets, address(this));
    }

    /// @dev Withdrawals come back from the lending market first.
    function _withdraw(address caller, address receiver, address owner_, uint256 assets, uint256 shares) internal override {
        lendingMarket.withdraw(assets, address(this), address(this));
        super._withdraw(caller, receiver, owner_, assets, shares);
    }
}
