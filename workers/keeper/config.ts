import { createPublicClient, getAddress, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Env } from "../env";

export type KeeperConfig = {
  chainId: number;
  /** Blocks on top of a block before its events are indexed and a transaction counts as final. */
  confirmations: number;
  leaseSeconds: number;
  /** Most blocks the indexer reads per run; the cursor resumes from there. */
  indexMaxBlocks: number;
  /** Most logs the indexer takes per run (whole blocks; keeps each run's D1 batch small). */
  indexMaxLogs: number;
  /** Policies per settlement transaction (about 35k gas each: 100 stay far inside a block). */
  settleBatchSize: number;
  /** Webhook deliveries attempted per run. */
  webhookBatch: number;
  keeper: Address;
};

const int = (v: string | undefined, fallback: number) => (v === undefined || v === "" ? fallback : Number.parseInt(v, 10));

export function keeperConfig(env: Env): KeeperConfig {
  if (!env.KEEPER_KEY) throw new Error("KEEPER_KEY is not configured (wrangler secret put KEEPER_KEY; .dev.vars locally)");
  return {
    chainId: Number(env.CHAIN_ID),
    confirmations: int(env.KEEPER_CONFIRMATIONS, 0),
    leaseSeconds: int(env.KEEPER_LEASE_SECONDS, 120),
    indexMaxBlocks: int(env.KEEPER_INDEX_MAX_BLOCKS, 2_000),
    indexMaxLogs: Math.max(1, int(env.KEEPER_INDEX_MAX_LOGS, 2_000)),
    settleBatchSize: int(env.SETTLE_BATCH_SIZE, 100),
    webhookBatch: int(env.WEBHOOK_BATCH, 20),
    keeper: privateKeyToAccount(env.KEEPER_KEY as Hex).address,
  };
}

/** What one run asked of the outside world: RPC HTTP requests, Durable Object and queue calls, webhook posts. */
export type Subrequests = { rpc: number; durableObject: number; queue: number; webhook: number };
export const totalSubrequests = (s: Subrequests) => s.rpc + s.durableObject + s.queue + s.webhook;

/**
 * The keeper's RPC clients, every HTTP request counted. `client`: calls made together go out as one
 * JSON-RPC batch (one HTTP request). `logs`: eth_getLogs on its own request, so a log range the RPC
 * refuses as too large (the response is capped at 10 MB) fails only that call, never the batch
 * that carries the oracle reads.
 */
export function keeperClients(env: Env, counter: Subrequests): { client: PublicClient; logs: PublicClient } {
  if (!env.RPC_URL) throw new Error("RPC_URL is not configured");
  const onFetchRequest = () => {
    counter.rpc++;
  };
  return {
    client: createPublicClient({ transport: http(env.RPC_URL, { batch: { wait: 0, batchSize: 500 }, retryCount: 1, timeout: 8_000, onFetchRequest }) }),
    logs: createPublicClient({ transport: http(env.RPC_URL, { batch: false, retryCount: 1, timeout: 8_000, onFetchRequest }) }),
  };
}

export const senderName = (chainId: number, keeper: Address) => `keeper:${chainId}:${getAddress(keeper)}`;
