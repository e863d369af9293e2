import type { Address, PublicClient } from "viem";
import { abi as aggregatorAbi } from "../../contracts/out/AggregatorV3Interface";
import { abi as multicall3Abi } from "../../contracts/out/Multicall3";

/** The Chainlink feed reads the keeper makes: AggregatorV3Interface, from the generated artifact. */
export const feedAbi = aggregatorAbi;
/** Multicall3 (the canonical deployment's ABI; the local one is compiled from contracts/mocks). */
export const multicallAbi = multicall3Abi;

export type Call = { address: Address; abi: readonly unknown[]; functionName: string; args?: readonly unknown[] };
export type Outcome = { status: "success"; result: unknown } | { status: "failure"; error: Error };

/**
 * Runs every call at one block through Multicall3 `aggregate3` (failures allowed per call).
 * viem splits the calls into chunks; the transport sends the chunks as one JSON-RPC batch.
 */
export async function multicallAt(client: PublicClient, multicall: Address, blockNumber: bigint, calls: Call[]): Promise<Outcome[]> {
  if (calls.length === 0) return [];
  const out = (await client.multicall({
    contracts: calls as never,
    allowFailure: true,
    multicallAddress: multicall,
    blockNumber,
    batchSize: 16_384,
  })) as Outcome[];
  // A call that reverts is that call's answer; a chunk the RPC failed to answer is not data about
  // any product (it must not read as "unreadable oracle"): the whole read fails instead.
  const transport = out.find((o) => o.status === "failure" && isTransportError(o.error));
  if (transport?.status === "failure") throw transport.error;
  return out;
}

const TRANSPORT = /^(HttpRequestError|TimeoutError|WebSocketRequestError|LimitExceededRpcError|ResourceUnavailableRpcError|InternalRpcError|UnknownRpcError|MethodNotFoundRpcError)$/;

/** Whether an error (or anything it wraps) says the RPC did not answer, rather than a call reverting. */
export function isTransportError(err: unknown): boolean {
  for (let e = err as { name?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.name && TRANSPORT.test(e.name)) return true;
  }
  return false;
}

