// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITrigger
/// @notice One contract per trigger kind. A trigger answers one question for the market: given the
/// product's parameters and a proof, has the covered condition tripped, and when did it begin?
/// Triggers read oracles and covered contracts themselves; a proof only points at data (round ids),
/// it never carries values the trigger would trust.
interface ITrigger {
    /// @notice Reverts with a named error when `params` cannot describe a sound product
    /// (unknown feed, threshold outside the feed's range, zero window, condition already true...).
    function validateParams(bytes calldata params) external view;

    /// @notice Re-reads the oracle or covered contract and decides.
    /// @param params the product's trigger parameters (ABI-encoded, kind specific)
    /// @param proof kind-specific pointers into oracle history (e.g. two round ids)
    /// @return tripped true when the condition holds now, as proven
    /// @return incidentTime onset of the condition (unix seconds); 0 when not tripped
    function check(bytes calldata params, bytes calldata proof) external view returns (bool tripped, uint64 incidentTime);

    /// @notice Keeper helper (off-chain simulation): searches recent oracle history for a proof
    /// that `check` accepts with an incident time after `notBefore`. Never used by the market to
    /// decide anything.
    function findProof(bytes calldata params, uint64 notBefore) external view returns (bool tripped, bytes memory proof);

    /// @notice Records or clears observations for kinds that need them (paused); no-op otherwise.
    /// Permissionless: it only writes facts read from the covered contract.
    /// @return pending whether an observation is pending after the call
    function observe(bytes calldata params) external returns (bool pending);

    /// @notice Whether calling `observe` now would change recorded state.
    function observationDue(bytes calldata params) external view returns (bool);

    /// @notice Whether the condition holds now or has been observed and is waiting out its
    /// duration. While it is, the market sells no cover for the product.
    function observationPending(bytes calldata params) external view returns (bool);

    /// @notice Whether this kind keeps observations at all (lets the market skip the
    /// `observationPending` call on every purchase for stateless kinds).
    function observes(bytes calldata params) external view returns (bool);
}
