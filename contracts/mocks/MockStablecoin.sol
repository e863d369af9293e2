// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title MockStablecoin (local only, never deployed to production)
/// @notice A stablecoin (6 decimals by default, like USDC; 18 like DAI when asked) with EIP-2612 permit, an open faucet, and a USDC-style blocklist
/// so tests can make a payout recipient's transfer revert.
contract MockStablecoin is ERC20, ERC20Permit {
    mapping(address account => bool) public blocked;
    uint8 private immutable _decimals;

    error MockStablecoinBlocked(address account);

    /// @param decimals_ the token's decimals (6 for a USDC-like coin, 18 for a DAI-like one)
    constructor(uint8 decimals_) ERC20("Local USD", "lUSD") ERC20Permit("Local USD") {
        _decimals = decimals_;
    }

    /// @notice The decimals set at deployment.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Faucet: anyone can mint on the local chain.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Blocks or unblocks an account (transfers to or from it revert).
    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert MockStablecoinBlocked(from);
        if (blocked[to]) revert MockStablecoinBlocked(to);
        super._update(from, to, value);
    }
}
