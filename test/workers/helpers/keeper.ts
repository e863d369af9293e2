import { env, exports } from "cloudflare:workers";
import { createWalletClient, getAddress, http, keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { abi as marketAbi } from "../../../contracts/out/CoverMarket";
import * as MockV3Aggregator from "../../../contracts/out/MockV3Aggregator";
import { abi as tokenAbi } from "../../../contracts/out/MockStablecoin";
import { encodeTvlDropParams } from "../../../workers/triggers/tvlDrop";
import { runTick, type TickSummary } from "../../../workers/keeper/tick";
import type { Fault } from "../rpc-proxy";
import { buyWithQuote, chain, publicClient, type QuoteTransaction } from "./chain";
import { createKey, json } from "./keys";

export const USD = 1_000_000n;
const DAY = 86_400;
const MONTH = 30 * DAY;
export const api = (path: string, init?: RequestInit) => exports.default.fetch(`http://tripwire.test${path}`, init);
export const market = chain.contracts.CoverMarket as Address;
const owner = createWalletClient({ chain: foundry, transport: http(chain.rpcUrl), account: privateKeyToAccount(chain.keys.owner) });

async function mined(hash: Hex) {
  const r = await publicClient.waitForTransactionReceipt({ hash });
  if (r.status !== "success") {
    // Say why (out of gas, or the revert's reason) so an intermittent failure can be read from the log.
    const tx = await publicClient.getTransaction({ hash });
    const why = await publicClient
      .call({ account: tx.from, to: tx.to, data: tx.input, gas: tx.gas, blockNumber: r.blockNumber - 1n })
      .then(() => "replays without reverting at the block before")
      .catch((err: Error) => err.message.split("\n")[0]);
    throw new Error(`reverted: ${hash} (to ${tx.to}, gas ${r.gasUsed} of ${tx.gas}, block ${r.blockNumber}): ${why}`);
  }
  return r;
}

/** A local TVL feed (Chainlink MockV3Aggregator, 8 decimals) at `answer` dollars. */
export async function deployFeed(answer: bigint): Promise<Address> {
  const hash = await owner.deployContract({ abi: MockV3Aggregator.abi, bytecode: MockV3Aggregator.bytecode, args: [8, answer * 10n ** 8n] });
  return (await mined(hash)).contractAddress!;
}

/** A new feed round: `answer` dollars now, or a hand-made round (stale, future, zero) with `updatedAt`. */
export async function moveFeed(feed: Address, answer: bigint, updatedAt?: bigint): Promise<void> {
  // The feed's write with a quarter more gas than estimated: a CI run saw updateAnswer run out of
  // its exact estimate in the mined block (and replay fine at the block before) while other
  // suites' transactions shared the chain. The oracle's own writes are not what is under test.
  const send = async (request: Parameters<typeof owner.writeContract>[0]) => {
    const gas = await publicClient.estimateContractGas({ ...request, account: owner.account } as never);
    return mined(await owner.writeContract({ ...request, gas: (gas * 5n) / 4n } as never));
  };
  if (updatedAt === undefined) {
    await send({ address: feed, abi: MockV3Aggregator.abi, functionName: "updateAnswer", args: [answer * 10n ** 8n] } as never);
    return;
  }
  const [roundId] = (await publicClient.readContract({ address: feed, abi: MockV3Aggregator.abi, functionName: "latestRoundData" })) as readonly [bigint, ...unknown[]];
  await send({ address: feed, abi: MockV3Aggregator.abi, functionName: "updateRoundData", args: [roundId + 1n, answer * 10n ** 8n, updatedAt, updatedAt] } as never);
}

let admin: string | undefined;
let protocolDone = false;

/**
 * Lists a TVL-drop product (50% within a day, no veto window, the minimum 60 s coverage lag) on the shared
 * market for `feed`, and registers it in this file's D1 through the admin API.
 */
export async function listTvlProduct(feed: Address, name: string): Promise<number> {
  admin ??= await createKey(["admin"]);
  if (!protocolDone) {
    const now = Math.floor(Date.now() / 1000);
    await api("/v1/admin/protocols/keeper-test", json("PUT", {
      name: "Keeper test lending", category: "lending", website: null, auditCount: 3, lastAuditAt: now - 4 * MONTH, launchedAt: now - 36 * MONTH,
      tvlUsd: "900000000", incidentCount: 0, lastIncidentAt: null, adminKey: "timelock_multisig", upgradeable: true, oracleDependence: "chainlink",
    }, admin));
    protocolDone = true;
  }
  const terms = `${name}: pays the cover amount if the TVL feed ${feed} falls by 50% or more within 24 hours.`;
  const params = encodeTvlDropParams({ feed, dropBps: 5000, windowSeconds: DAY, maxAgeSeconds: 2 * DAY });
  const receipt = await mined(await owner.writeContract({
    address: market, abi: marketAbi, functionName: "listProduct",
    args: [{ trigger: chain.contracts.TvlDropTrigger!, params, termsHash: keccak256(toHex(terms)), capAmount: 500_000n * USD, coverageLagSeconds: 60, vetoWindowSeconds: 0 }],
  }));
  const [listed] = parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName: "ProductListed" });
  const id = Number(listed!.args.productId);
  const res = await api(`/v1/admin/products/${id}`, json("PUT", { protocolId: "keeper-test", name, termsText: terms }, admin));
  if (res.status >= 300) throw new Error(`register product ${id}: ${res.status} ${await res.text()}`);
  return id;
}

/** Buys cover through the API (quote → wallet → POST /v1/purchases); returns the policy and its owner. */
export async function buyPolicy(product: number, amount: bigint, key: Hex = chain.keys.buyer): Promise<{ policyId: number; owner: Address }> {
  const res = await api("/v1/quotes", json("POST", { product, amount: amount.toString(), duration: 30 }));
  if (res.status !== 201) throw new Error(`quote: ${res.status} ${await res.text()}`);
  const q = (await res.json()) as { quoteId: string; transaction: QuoteTransaction };
  const bought = await buyWithQuote(key, q.transaction);
  const reg = await api("/v1/purchases", json("POST", { txHash: bought.buy }));
  if (reg.status !== 201) throw new Error(`register purchase: ${reg.status}`);
  return { policyId: Number(q.quoteId), owner: getAddress(bought.buyer) };
}

/**
 * Moves the chain past the start of everything bought so far: the 60 s lag, rounded up to the test
 * chain's one-minute term grid (120 s ahead of the wall clock: call once per file, after buying, so
 * quotes signed on the Worker's clock stay inside their 600 s TTL).
 */
export async function passCoverageLag(): Promise<void> {
  await anvil("evm_increaseTime", [120]);
  await anvil("evm_mine");
}

export const balanceOf = (who: Address) =>
  publicClient.readContract({ address: chain.contracts.Stablecoin as Address, abi: tokenAbi, functionName: "balanceOf", args: [who] });

/** How many times the market has paid `policyId` (PoliciesSettled events naming it). */
export async function timesPaid(policyId: number): Promise<number> {
  const logs = await publicClient.getContractEvents({ address: market, abi: marketAbi, eventName: "PoliciesSettled", fromBlock: 0n });
  return logs.reduce((n, l) => n + l.args.policyIds!.filter((id) => id === BigInt(policyId)).length, 0);
}

export async function incidentsOf(productId: number) {
  return publicClient.getContractEvents({ address: market, abi: marketAbi, eventName: "IncidentOpened", args: { productId: BigInt(productId) }, fromBlock: 0n });
}

let clock = Date.now();
/** One keeper run at the next free scheduled minute (runs are keyed by their scheduled time). */
export async function tick(settings: Partial<Record<"KEEPER_INDEX_MAX_LOGS" | "KEEPER_INDEX_MAX_BLOCKS", string>> = {}): Promise<TickSummary> {
  clock += 60_000;
  return runTick({ ...env, ...settings }, clock);
}

/** Runs ticks until `done()` holds (settlement happens on the queue between them), or fails. */
export async function tickUntil(done: () => Promise<boolean>, maxTicks = 6): Promise<TickSummary[]> {
  const runs: TickSummary[] = [];
  for (let i = 0; i < maxTicks; i++) {
    runs.push(await tick());
    for (let w = 0; w < 40; w++) {
      if (await done()) return runs;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`not done after ${maxTicks} ticks: ${JSON.stringify(runs.map((r) => ({ error: r.error, skipped: r.skipped, actions: r.actions, settlement: r.settlement })))}`);
}

export async function fault(f: Fault): Promise<{ requests: number; rawTransactions: number; dropped: number; errors: number; delayed: number; refusedLogRanges: number; snapshot: string | null }> {
  const res = await fetch(`${chain.proxyUrl}/__fault`, { method: "POST", body: JSON.stringify(f) });
  return res.json();
}

export async function anvil(method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(chain.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  return ((await res.json()) as { result: unknown }).result;
}
