// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title SampleLendingMarket (integration example, local only)
/// @notice The supply side of a lending market, enough for the covered-vault example: suppliers
/// deposit the stablecoin for shares (ERC-4626), interest arrives as assets added to the market
/// (`accrueInterest`), and the admin can pause it, which stops deposits and withdrawals — the
/// kind of event Tripwire's paused trigger watches.
contract SampleLendingMarket is ERC4626, Ownable, Pausable {
    using SafeERC20 for IERC20;

    constructor(IERC20 asset_, address owner_) ERC4626(asset_) ERC20("Sample Lending Supply", "sLEND") Ownable(owner_) {}

    /// @notice Anyone may add assets as interest; every supplier's shares are worth more.
    function accrueInterest(uint256 assets) external {
        IERC20(asset()).safeTransferFrom(msg.sender, address(this), assets);
    }

    /// @notice Owner only, local demo only: what an exploit does to a lending market, the backing
    /// taken (`assets` leave for `to`), so every supplier's shares are worth less: the share price
    /// Tripwire's share-price trigger watches falls.
    function simulateExploit(uint256 assets, address to) external onlyOwner {
        IERC20(asset()).safeTransfer(to, assets);
    }

    /// @notice Owner only: pauses deposits and withdrawals (`paused()` turns true).
    function pause() external onlyOwner {
        _pause();
    }

    /// @notice Owner only: resumes deposits and withdrawals.
    function unpause() external onlyOwner {
        _unpause();
    }

    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override whenNotPaused {
        super._deposit(caller, receiver, assets, shares);
    }

    function _withdraw(address caller, address receiver, address owner_, uint256 assets, uint256 shares) internal override whenNotPaused {
        super._withdraw(caller, receiver, owner_, assets, shares);
    }
}
