// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITrigger} from "../src/interfaces/ITrigger.sol";

/// @title MockShareVault (local only, never deployed to production)
/// @notice The two ERC-4626 views the share-price trigger reads, with a share price tests set:
/// yield (a slow rise), an exploit (a fall), and a price held for one call only (`observeAt`: an
/// in-block manipulation around someone's observation).
contract MockShareVault {
    uint8 public immutable decimals;
    uint256 public pricePerShare;
    /// @notice How many strategy balances `convertToAssets` sums (a vault spread over many
    /// markets: each one a storage read, as a MetaMorpho or Yearn vault's accounting is).
    uint256 public strategies;
    mapping(uint256 => uint256) private strategyBalance;

    constructor(uint8 decimals_, uint256 pricePerShare_) {
        decimals = decimals_;
        pricePerShare = pricePerShare_;
    }

    function convertToAssets(uint256 shares) external view returns (uint256) {
        uint256 n = strategies;
        uint256 sum;
        for (uint256 i; i < n; ++i) sum += strategyBalance[i];
        return (shares * pricePerShare) / 10 ** decimals + sum - n; // each balance is 1: the sum adds nothing
    }

    /// @notice Spreads the vault over `n` strategies (makes `convertToAssets` cost ~2,100 gas each).
    function setStrategies(uint256 n) external {
        for (uint256 i = strategies; i < n; ++i) strategyBalance[i] = 1;
        strategies = n;
    }

    function setPricePerShare(uint256 price) external {
        pricePerShare = price;
    }

    /// @notice Moves the price, fires `productId` on `market`, and moves it back, all in one call
    /// (what an attacker who can hold the price down for one transaction tries).
    function fireAt(uint256 price, address market, uint256 productId, bytes calldata proof) external {
        uint256 before = pricePerShare;
        pricePerShare = price;
        (bool ok, bytes memory ret) = market.call(abi.encodeWithSignature("fire(uint256,bytes)", productId, proof));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        pricePerShare = before;
    }

    /// @notice Moves the price, has `trigger` observe `params`, and moves it back, all in one call.
    function observeAt(uint256 price, ITrigger trigger, bytes calldata params) external returns (bool) {
        uint256 before = pricePerShare;
        pricePerShare = price;
        bool below = trigger.observe(params);
        pricePerShare = before;
        return below;
    }
}
