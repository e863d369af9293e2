import { BaseError, createPublicClient, http, type Hash, type PublicClient, type TransactionReceipt } from "viem";
import { problem, ProblemError } from "../errors";

/**
 * A public client for the configured RPC. Requests made together are sent as one JSON-RPC batch
 * (one subrequest). Errors never carry the URL: provider URLs embed keys.
 */
export function chainClient(cfg: { rpcUrl: string | null }): PublicClient {
  if (!cfg.rpcUrl) throw chainUnavailable("No RPC endpoint is configured.");
  return createPublicClient({ transport: http(cfg.rpcUrl, { batch: { wait: 0 }, retryCount: 1, timeout: 5_000 }) });
}

export const chainUnavailable = (detail = "The chain RPC did not answer.") =>
  problem("chain-unavailable", detail);

/** Runs chain reads, turning transport failures into a 503 problem without the RPC URL. */
export async function onChain<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProblemError) throw err;
    throw chainUnavailable(`The chain RPC failed (${err instanceof Error ? err.name : "Error"}).`);
  }
}

/** The receipt of `hash`, or null when the node has none (not mined, or dropped by a reorg); transport errors throw. */
export async function receiptOrNull(client: PublicClient, hash: Hash): Promise<TransactionReceipt | null> {
  try {
    return await client.getTransactionReceipt({ hash });
  } catch (err) {
    if (err instanceof BaseError && err.name === "TransactionReceiptNotFoundError") return null;
    throw err;
  }
}
