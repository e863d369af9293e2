import { createPublicClient, getAddress, http, type Address, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { config, type Config } from "../config";
import type { Env } from "../env";

/** The keeper's settings (documented in workers/config.ts), its chain and its key's address. */
export type KeeperConfig = Config["keeper"] & { chainId: number; keeper: Address };

/** The keeper's part of the Worker's configuration (`workers/config.ts`); it needs KEEPER_KEY. */
export function keeperConfig(env: Env): KeeperConfig {
  const c = config(env);
  if (!c.keeperKey) throw new Error("KEEPER_KEY is not configured (wrangler secret put KEEPER_KEY; .dev.vars locally)");
  return { chainId: c.chainId, ...c.keeper, keeper: privateKeyToAccount(c.keeperKey).address };
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
  const { rpcUrl } = config(env);
  if (!rpcUrl) throw new Error("RPC_URL is not configured");
  const onFetchRequest = () => {
    counter.rpc++;
  };
  return {
    client: createPublicClient({ transport: http(rpcUrl, { batch: { wait: 0, batchSize: 500 }, retryCount: 1, timeout: 8_000, onFetchRequest }) }),
    logs: createPublicClient({ transport: http(rpcUrl, { batch: false, retryCount: 1, timeout: 8_000, onFetchRequest }) }),
  };
}

export const senderName = (chainId: number, keeper: Address) => `keeper:${chainId}:${getAddress(keeper)}`;
