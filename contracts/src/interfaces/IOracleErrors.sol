// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IOracleErrors
/// @notice Errors raised by oracle hygiene checks shared by every trigger.
interface IOracleErrors {
    /// @notice The feed answered zero or a negative value.
    error OracleAnswerNotPositive(address feed, uint80 roundId, int256 answer);
    /// @notice The round has no `updatedAt` (incomplete or unknown round).
    error OracleRoundIncomplete(address feed, uint80 roundId);
    /// @notice The round claims to be updated after the current block.
    error OracleUpdatedInFuture(address feed, uint80 roundId, uint256 updatedAt);
    /// @notice The latest round is older than the product's maximum age.
    error OracleStale(address feed, uint256 updatedAt, uint256 maxAgeSeconds);
    /// @notice The L2 sequencer is reported down.
    error OracleSequencerDown(address sequencerFeed);
    /// @notice The L2 sequencer came back up less than the grace period ago.
    error OracleSequencerGracePeriod(address sequencerFeed, uint256 upSince, uint256 graceSeconds);
    /// @notice The feed's decimals cannot be used (more than 18).
    error OracleDecimalsUnsupported(address feed, uint8 decimals);
    /// @notice The proof's rounds belong to different aggregator phases, or are out of order.
    error OracleRoundOrder(address feed, uint80 earlierRoundId, uint80 laterRoundId);
}
