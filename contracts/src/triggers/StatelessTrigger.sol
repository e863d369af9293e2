// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITrigger} from "../interfaces/ITrigger.sol";

/// @title StatelessTrigger
/// @notice Base for trigger kinds whose proof lies entirely in oracle history: they keep no
/// observations, so there is never anything to observe.
abstract contract StatelessTrigger is ITrigger {
    /// @inheritdoc ITrigger
    function observe(bytes calldata) external pure returns (bool) {
        return false;
    }

    /// @inheritdoc ITrigger
    function observationDue(bytes calldata) external pure returns (bool) {
        return false;
    }

    /// @inheritdoc ITrigger
    function observes(bytes calldata) external pure returns (bool) {
        return false;
    }
}
