// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Multicall3 (local chain)
/// @notice LOCAL ONLY: the `aggregate3` entry point of the canonical Multicall3 that public chains
/// host at 0xcA11bde05977b3631167028862bE2a173976CA11, so the keeper reads every feed and covered
/// contract of a tick in one `eth_call` on the embedded chain as it does in production.
contract Multicall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice A call that does not allow failure reverted.
    error Multicall3CallFailed(uint256 index);

    /// @notice Runs every call in order; a failing call reverts the whole batch unless it allows failure.
    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory results) {
        uint256 n = calls.length;
        results = new Result[](n);
        for (uint256 i; i < n; ++i) {
            Call3 calldata c = calls[i];
            (bool ok, bytes memory ret) = c.target.call(c.callData);
            if (!ok && !c.allowFailure) revert Multicall3CallFailed(i);
            results[i] = Result(ok, ret);
        }
    }

    /// @notice The current block number.
    function getBlockNumber() external view returns (uint256) {
        return block.number;
    }

    /// @notice The current block's timestamp.
    function getCurrentBlockTimestamp() external view returns (uint256) {
        return block.timestamp;
    }
}
