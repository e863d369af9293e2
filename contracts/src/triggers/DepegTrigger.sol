// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {ITrigger} from "../interfaces/ITrigger.sol";
import {IOracleErrors} from "../interfaces/IOracleErrors.sol";
import {OracleLib} from "../libraries/OracleLib.sol";
import {StatelessTrigger} from "./StatelessTrigger.sol";

/// @title DepegTrigger
/// @notice Trips when a price feed has stayed below `thresholdE18` (a price with 18 decimals,
/// scaled to the feed's own decimals on every read) for at least `durationSeconds`. The proof is
/// the onset round: the first round below the threshold. The contract checks that the round before
/// it was at or above the threshold and that every round from the onset to the latest is below.
/// The incident time is the onset round's `updatedAt`.
contract DepegTrigger is StatelessTrigger, IOracleErrors {
    struct Params {
        address feed;
        uint256 thresholdE18;
        uint32 durationSeconds;
        uint32 maxAgeSeconds;
        address sequencerFeed;
        uint32 sequencerGraceSeconds;
    }

    /// @notice The threshold rounds to zero in the feed's decimals, or does not fit its answers.
    error DepegThresholdOutOfRange(uint256 thresholdE18, uint8 feedDecimals);
    /// @notice The feed is already below the threshold: listing would sell cover on a known loss.
    error DepegAlreadyBelowThreshold(int256 answer, uint256 threshold);
    /// @notice Duration and max age must be non-zero.
    error DepegDurationInvalid(uint32 durationSeconds, uint32 maxAgeSeconds);
    /// @notice The proof's onset round is not the first round below the threshold.
    error DepegOnsetNotFirst(uint80 onsetRoundId, uint80 previousRoundId);
    /// @notice More rounds between onset and latest than one check reads.
    error DepegProofTooLong(uint256 rounds, uint256 maxRounds);

    /// @notice Most rounds one check walks from the onset to the latest.
    uint256 public constant MAX_PROOF_ROUNDS = 96;

    /// @inheritdoc ITrigger
    function validateParams(bytes calldata params) external view {
        Params memory p = abi.decode(params, (Params));
        if (p.durationSeconds == 0 || p.maxAgeSeconds == 0) revert DepegDurationInvalid(p.durationSeconds, p.maxAgeSeconds);
        uint256 threshold = _threshold(p);
        OracleLib.requireSequencerUp(p.sequencerFeed, p.sequencerGraceSeconds);
        OracleLib.Round memory head = OracleLib.latest(p.feed, p.maxAgeSeconds);
        if (uint256(head.answer) < threshold) revert DepegAlreadyBelowThreshold(head.answer, threshold);
    }

    /// @inheritdoc ITrigger
    /// @dev proof = abi.encode(uint80 onsetRoundId)
    function check(bytes calldata params, bytes calldata proof) external view returns (bool, uint64) {
        Params memory p = abi.decode(params, (Params));
        uint80 onsetId = abi.decode(proof, (uint80));
        uint256 threshold = _threshold(p);
        OracleLib.requireSequencerUp(p.sequencerFeed, p.sequencerGraceSeconds);
        OracleLib.Round memory head = OracleLib.latest(p.feed, p.maxAgeSeconds);
        if (uint256(head.answer) >= threshold) return (false, 0);

        uint80 previousId = onsetId - 1;
        OracleLib.samePhaseOrdered(p.feed, previousId, onsetId);
        if (onsetId != head.roundId) OracleLib.samePhaseOrdered(p.feed, onsetId, head.roundId);
        if (head.roundId - onsetId >= MAX_PROOF_ROUNDS) revert DepegProofTooLong(head.roundId - onsetId + 1, MAX_PROOF_ROUNDS);
        if (uint256(OracleLib.at(p.feed, previousId).answer) < threshold) revert DepegOnsetNotFirst(onsetId, previousId);

        OracleLib.Round memory onset = OracleLib.at(p.feed, onsetId);
        // Continuity: a single recovered round in between means the depeg did not last.
        for (uint80 id = onsetId; id < head.roundId; ++id) {
            if (uint256(OracleLib.at(p.feed, id).answer) >= threshold) return (false, 0);
        }
        if (block.timestamp - onset.updatedAt < p.durationSeconds) return (false, 0);
        return (true, uint64(onset.updatedAt));
    }

    /// @inheritdoc ITrigger
    function findProof(bytes calldata params, uint64 notBefore) external view returns (bool, bytes memory) {
        Params memory p = abi.decode(params, (Params));
        uint256 threshold = _threshold(p);
        uint80 latestId;
        try AggregatorV3Interface(p.feed).latestRoundData() returns (uint80 id, int256, uint256, uint256, uint80) {
            latestId = id;
        } catch {
            return (false, "");
        }
        uint80 phaseStart = (latestId >> 64) << 64;
        OracleLib.Round memory onset;
        // Walk back from the latest round while readings stay below the threshold.
        for (uint80 id = latestId; id > phaseStart && latestId - id < MAX_PROOF_ROUNDS; --id) {
            (bool ok, OracleLib.Round memory r) = OracleLib.tryAt(p.feed, id);
            if (!ok) return (false, "");
            if (uint256(r.answer) >= threshold) {
                if (onset.roundId == 0) return (false, "");
                if (onset.updatedAt <= notBefore || block.timestamp - onset.updatedAt < p.durationSeconds) return (false, "");
                return (true, abi.encode(onset.roundId));
            }
            onset = r;
        }
        return (false, "");
    }

    /// @dev The threshold in the feed's own decimals; refuses values the feed cannot express.
    function _threshold(Params memory p) private view returns (uint256 threshold) {
        uint8 d = OracleLib.decimalsOf(p.feed);
        threshold = p.thresholdE18 / 10 ** (18 - d);
        if (threshold == 0 || threshold * 10 ** (18 - d) != p.thresholdE18 || threshold > uint256(type(int256).max)) {
            revert DepegThresholdOutOfRange(p.thresholdE18, d);
        }
    }
}
