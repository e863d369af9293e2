// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title MockFeedAggregator (local only)
/// @notice One aggregator phase, stored the way Chainlink's OCR aggregators store it: one slot
/// per round (answer as int192, observation and transmission timestamps as uint32), round ids
/// from 1. Answers a missing round with zeros, as OCR aggregators do.
contract MockFeedAggregator {
    struct Transmission {
        int192 answer;
        uint32 startedAt;
        uint32 updatedAt;
    }

    /// @notice The proxy that posts to this aggregator.
    address public immutable proxy;
    uint8 public immutable decimals;
    uint64 public latestRound;
    mapping(uint64 round => Transmission) internal _rounds;

    error MockFeedOnlyProxy();

    constructor(uint8 decimals_) {
        proxy = msg.sender;
        decimals = decimals_;
    }

    /// @notice Proxy only: posts (or rewrites) round `round`; it becomes the latest.
    function post(uint64 round, int256 answer, uint256 updatedAt, uint256 startedAt) external {
        if (msg.sender != proxy) revert MockFeedOnlyProxy();
        _rounds[round] = Transmission(int192(answer), uint32(startedAt), uint32(updatedAt));
        latestRound = round;
    }

    /// @notice Proxy only: posts `answers` as consecutive new rounds at `times`.
    function postMany(int256[] calldata answers, uint256[] calldata times) external {
        if (msg.sender != proxy) revert MockFeedOnlyProxy();
        uint64 r = latestRound;
        for (uint256 i; i < answers.length; ++i) {
            _rounds[++r] = Transmission(int192(answers[i]), uint32(times[i]), uint32(times[i]));
        }
        latestRound = r;
    }

    function getRoundData(uint80 roundId) public view returns (uint80, int256, uint256, uint256, uint80) {
        Transmission memory t = _rounds[uint64(roundId)];
        return (roundId, t.answer, t.startedAt, t.updatedAt, roundId);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latestRound);
    }
}

/// @title MockFeed (local only)
/// @notice A Chainlink price-feed proxy with phases, as Chainlink's AggregatorProxy: round ids are
/// phaseId << 64 | aggregatorRoundId, phases start at 1, `getRoundData` of a past phase reads that
/// phase's aggregator, and `phaseAggregators` names each. The write functions (a real feed's
/// oracles post instead) keep MockV3Aggregator's names so tests can drive either.
contract MockFeed is AggregatorV3Interface {
    uint8 public immutable override decimals;
    uint16 public phaseId;
    mapping(uint16 phase => MockFeedAggregator) public phaseAggregators;
    address public immutable owner;

    error MockFeedOnlyOwner();
    error MockFeedNoPhase(uint16 phase);

    constructor(uint8 decimals_, int256 initialAnswer) {
        decimals = decimals_;
        owner = msg.sender;
        _newPhase();
        phaseAggregators[phaseId].post(1, initialAnswer, block.timestamp, block.timestamp);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert MockFeedOnlyOwner();
        _;
    }

    /// @notice A new round at the current block time (as MockV3Aggregator.updateAnswer).
    function updateAnswer(int256 answer) external onlyOwner {
        MockFeedAggregator a = phaseAggregators[phaseId];
        a.post(a.latestRound() + 1, answer, block.timestamp, block.timestamp);
    }

    /// @notice Writes aggregator round `roundId` of the current phase (ids within the phase, as
    /// MockV3Aggregator.updateRoundData); it becomes the latest.
    function updateRoundData(uint80 roundId, int256 answer, uint256 timestamp, uint256 startedAt) external onlyOwner {
        phaseAggregators[phaseId].post(uint64(roundId), answer, timestamp, startedAt);
    }

    /// @notice Posts many consecutive rounds to the current phase (a dense, deviation-triggered feed).
    function postRounds(int256[] calldata answers, uint256[] calldata times) external onlyOwner {
        phaseAggregators[phaseId].postMany(answers, times);
    }

    /// @notice Moves the proxy to a fresh aggregator (a phase change); its first round is `answer`
    /// at `timestamp` (0: now). Rounds of the old phase stay readable through the proxy.
    function upgradeAggregator(int256 answer, uint256 timestamp) external onlyOwner {
        _newPhase();
        uint256 t = timestamp == 0 ? block.timestamp : timestamp;
        phaseAggregators[phaseId].post(1, answer, t, t);
    }

    /// @notice Posts rounds to an earlier phase's aggregator (an old aggregator that kept running).
    function postToPhase(uint16 phase, int256[] calldata answers, uint256[] calldata times) external onlyOwner {
        if (address(phaseAggregators[phase]) == address(0)) revert MockFeedNoPhase(phase);
        phaseAggregators[phase].postMany(answers, times);
    }

    function description() external pure returns (string memory) {
        return "MockFeed (local only)";
    }

    function version() external pure returns (uint256) {
        return 4;
    }

    function getRoundData(uint80 roundId) public view returns (uint80, int256, uint256, uint256, uint80) {
        uint16 phase = uint16(roundId >> 64);
        MockFeedAggregator a = phaseAggregators[phase];
        if (address(a) == address(0)) revert MockFeedNoPhase(phase); // a real proxy calls address(0) and reverts
        (, int256 answer, uint256 startedAt, uint256 updatedAt,) = a.getRoundData(uint64(roundId));
        return (roundId, answer, startedAt, updatedAt, roundId);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        MockFeedAggregator a = phaseAggregators[phaseId];
        uint80 id = (uint80(phaseId) << 64) | a.latestRound();
        (, int256 answer, uint256 startedAt, uint256 updatedAt,) = a.getRoundData(uint64(id));
        return (id, answer, startedAt, updatedAt, id);
    }

    /// @notice The latest answer (AggregatorV2's view, as MockV3Aggregator has it).
    function latestAnswer() external view returns (int256 answer) {
        (, answer,,,) = this.latestRoundData();
    }

    /// @notice The current phase's latest round id (proxy form).
    function latestRound() external view returns (uint256) {
        return (uint256(phaseId) << 64) | phaseAggregators[phaseId].latestRound();
    }

    function _newPhase() private {
        phaseAggregators[++phaseId] = new MockFeedAggregator(decimals);
    }
}
