// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITrigger
/// @notice One contract per trigger kind. A trigger answers one question for the market: given the
/// product's parameters and a proof, has the covered condition tripped, and when did it begin?
/// Triggers read oracles and covered contracts themselves; a proof only points at data (round ids),
/// it never carries values the trigger would trust.
///
/// Canonical incident time: for every kind, the incident time is a function of the oracle (or
/// covered contract) history and the product's parameters, never of which valid proof a caller
/// submits. Each kind's NatSpec says which function.
///
/// Unbounded events: a proof may need more oracle rounds than one transaction reads. `advance`
/// lets anyone walk a proof's rounds in segments and stores the progress on-chain; `check` then
/// continues from the stored progress.
interface ITrigger {
    /// @notice Reverts with a named error when `params` cannot describe a sound product
    /// (unknown feed, threshold outside the feed's range, zero window, condition already true...).
    function validateParams(bytes calldata params) external view;

    /// @notice Re-reads the oracle or covered contract and decides.
    /// @param params the product's trigger parameters (ABI-encoded, kind specific)
    /// @param proof kind-specific pointers into oracle history (round ids)
    /// @return tripped true when the condition is proven
    /// @return incidentTime the canonical onset of the condition (unix seconds); 0 when not tripped
    /// @return earliestTime the earliest evidence the proof relies on (for composite kinds the
    /// earliest leg's own incident time; otherwise equal to `incidentTime`). The market requires it
    /// after the product's `activeSince` and within the incident age limit.
    function check(bytes calldata params, bytes calldata proof)
        external
        view
        returns (bool tripped, uint64 incidentTime, uint64 earliestTime);

    /// @notice Automation helper (simulated off-chain, bounded gas): searches the most recent
    /// rounds for a proof `check` accepts with an incident time after `notBefore`. The Worker's
    /// keeper finds proofs off-chain over any length of history; this only covers recent events.
    function findProof(bytes calldata params, uint64 notBefore) external view returns (bool tripped, bytes memory proof);

    /// @notice Walks up to `maxRounds` more rounds of `proof` and stores the progress, so that a
    /// later `check` of the same proof reads only what is left. Permissionless: the progress is a
    /// fact about oracle history. No-op for kinds without round history.
    /// @return complete whether the walk has reached its end (the latest round, or the round that
    /// decides the proof)
    function advance(bytes calldata params, bytes calldata proof, uint256 maxRounds) external returns (bool complete);

    /// @notice Records or clears observations for kinds that need them (paused); no-op otherwise.
    /// Permissionless: it only writes facts read from the covered contract.
    /// @return pending whether an observation is pending after the call
    function observe(bytes calldata params) external returns (bool pending);

    /// @notice Whether calling `observe` now would change recorded state (or is needed to keep an
    /// observed condition continuous).
    function observationDue(bytes calldata params) external view returns (bool);

    /// @notice Whether the condition holds now, is being observed, or cannot be read. While it is
    /// true the market sells no cover for the product (every kind answers it).
    function conditionHolds(bytes calldata params) external view returns (bool);

    /// @notice Stores, under a key, what `conditionHoldsAt` needs to answer for `params` (the
    /// market calls it when listing a product). Permissionless and idempotent: it only records
    /// facts derived from `params`.
    function register(bytes calldata params) external returns (bytes32 key);

    /// @notice `conditionHolds` for registered parameters, reading a slot or two instead of the
    /// whole parameter blob: the market asks it on every purchase.
    function conditionHoldsAt(bytes32 key) external view returns (bool);

    /// @notice Whether this kind keeps observations at all.
    function observes(bytes calldata params) external view returns (bool);
}
