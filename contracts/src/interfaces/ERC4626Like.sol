// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ERC4626Like
/// @notice The two pool getters the market reads besides ICoverPool: the pool's asset (the
/// market pays in it) and the market the pool is bound to (checked once at wiring).
interface ERC4626Like {
    function asset() external view returns (address);
    function market() external view returns (address);
}
