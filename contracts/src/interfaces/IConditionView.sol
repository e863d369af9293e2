// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IConditionView
/// @notice The view every trigger is to expose (the trigger rewrite adds it to ITrigger): whether
/// the product's covered condition holds now, fired or not. The market uses it, when a trigger
/// has it, to let anyone freeze LP exits while a loss is visible but not yet provable.
interface IConditionView {
    /// @notice Whether the condition described by `params` holds now.
    function conditionHolds(bytes calldata params) external view returns (bool);
}
