import { ContractFunctionExecutionError, ContractFunctionRevertedError, encodeErrorResult, parseAbi, UserRejectedRequestError } from "viem";
import { describe, expect, it } from "vitest";
import { inWords, ProblemError } from "../../app/src/errors";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";

/** A contract refusal as viem raises it from a simulation: the revert data decoded with `abi`. */
function refusal(abi: readonly unknown[], data: `0x${string}`) {
  const cause = new ContractFunctionRevertedError({ abi: abi as never, data, functionName: "buyCover" });
  return new ContractFunctionExecutionError(cause, { abi: abi as never, functionName: "buyCover", args: [], contractAddress: "0x0000000000000000000000000000000000000001" });
}

describe("the app's errors in words (app/src/errors.ts)", () => {
  it("names the contract's refusal in words, never as raw data", () => {
    const holds = encodeErrorResult({ abi: marketAbi, errorName: "MarketConditionHolds", args: [5n] });
    expect(inWords(refusal(marketAbi, holds))).toBe("This product's trigger condition holds right now, so no cover is sold until it clears.");
    const expired = encodeErrorResult({ abi: marketAbi, errorName: "MarketQuoteExpired", args: [7n, 1_700_000_000n] as never });
    expect(inWords(refusal(marketAbi, expired))).toMatch(/^The quote expired/);
    const token = parseAbi(["error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)"]);
    const broke = encodeErrorResult({ abi: token, errorName: "ERC20InsufficientBalance", args: ["0x0000000000000000000000000000000000000002", 0n, 5n] });
    expect(inWords(refusal(token, broke))).toBe("Your balance is too small for this.");
  });

  it("a rejected signature, an API problem, and anything else by its message", () => {
    expect(inWords(new UserRejectedRequestError(new Error("User denied")))).toBe("You rejected the request in your wallet.");
    expect(inWords(new ProblemError(422, "https://tripwire.example/problems/condition-near-trigger", "No cover is sold this close to a loss."))).toBe("No cover is sold this close to a loss.");
    expect(inWords(new Error("something else"))).toBe("something else");
  });
});
