// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITriggerRegistry
/// @notice The market's list of trigger contracts the owner has reviewed and approved.
interface ITriggerRegistry {
    /// @notice Whether `trigger` may back a product (directly or inside a composite).
    function triggerApproved(address trigger) external view returns (bool);
}
