import { createWalletClient, http, keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import * as MockFeed from "../../contracts/out/MockFeed";
import { encodeDepegParams } from "../../workers/triggers/depeg";
import { chain, publicClient } from "./helpers/chain";
import { api, anvil, balanceOf, buyPolicy, incidentsOf, listTvlProduct, tickUntil, timesPaid, USD } from "./helpers/keeper";
import { createKey, json } from "./helpers/keys";

// End to end through the Worker's keeper, with real shapes: a depeg lasting hours on a feed
// posting every 5 seconds (thousands of rounds, proven through `advance` segments), and a slow
// drain of 1% a round over hundreds of rounds. Cover is bought through POST /v1/quotes at a
// healthy reading; only cron runs fire and pay. The chain's clock is moved hours ahead, so the
// file restores the chain's snapshot at the end (other files sign quotes on the wall clock).

const owner = createWalletClient({ chain: foundry, transport: http(chain.rpcUrl), account: privateKeyToAccount(chain.keys.owner) });
const E8 = 10n ** 8n;
const HOUR = 3600n;
let snapshot: string;

async function mined(hash: Hex) {
  const r = await publicClient.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new Error(`reverted: ${hash}`);
  return r;
}

async function newFeed(answer: bigint): Promise<Address> {
  const r = await mined(await owner.deployContract({ abi: MockFeed.abi, bytecode: MockFeed.bytecode, args: [8, answer] }));
  return r.contractAddress!;
}

async function post(feed: Address, from: bigint, step: bigint, answers: bigint[]) {
  for (let s = 0; s < answers.length; s += 800) {
    const chunk = answers.slice(s, s + 800);
    await mined(await owner.writeContract({ address: feed, abi: MockFeed.abi, functionName: "postRounds", args: [chunk, chunk.map((_, i) => from + BigInt(s + i) * step)], gas: 25_000_000n }));
  }
}

async function listDepeg(feed: Address, name: string): Promise<number> {
  const admin = await createKey(["admin"]);
  const terms = `${name}: pays the cover amount if the price feed ${feed} stays below $0.90 for 6 hours or more.`;
  const params = encodeDepegParams({ feed, thresholdE18: 9n * 10n ** 17n, durationSeconds: 6 * 3600, maxAgeSeconds: 2 * 86_400 });
  const receipt = await mined(await owner.writeContract({
    address: chain.contracts.CoverMarket as Address, abi: marketAbi, functionName: "listProduct",
    args: [{ trigger: chain.contracts.DepegTrigger!, params, termsHash: keccak256(toHex(terms)), capAmount: 500_000n * USD, coverageLagSeconds: 60, vetoWindowSeconds: 0 }],
  }));
  const id = Number(parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName: "ProductListed" })[0]!.args.productId);
  const res = await api(`/v1/admin/products/${id}`, json("PUT", { protocolId: "keeper-test", name, termsText: terms }, admin));
  if (res.status >= 300) throw new Error(`register product ${id}: ${res.status} ${await res.text()}`);
  return id;
}

beforeAll(async () => {
  snapshot = (await anvil("evm_snapshot")) as string;
});
afterAll(async () => {
  await anvil("evm_revert", [snapshot]);
});

describe("the keeper pays long, dense events by cron runs alone", () => {
  it("a 7 h depeg on a feed posting every 5 s (5,040 rounds) and a 400-round slow drain are fired and paid", async () => {
    const tvlFeed = await newFeed(1_000_000n * E8);
    const tvlProduct = await listTvlProduct(tvlFeed, "Slow drain lending TVL"); // registers the protocol too
    const priceFeed = await newFeed(E8);
    const depegProduct = await listDepeg(priceFeed, "Long depeg stablecoin");
    const tvlPolicy = await buyPolicy(tvlProduct, 700n * USD);
    const depegPolicy = await buyPolicy(depegProduct, 900n * USD);
    await anvil("evm_increaseTime", [120]); // past the start: lag, rounded up to the grid
    await anvil("evm_mine");
    const t0 = (await publicClient.getBlock()).timestamp;
    await anvil("evm_increaseTime", [20 * 3600]);
    await anvil("evm_mine");

    // The depeg: $0.85–$0.89 from t0 + 60 s, a round every 5 s for 7 hours.
    await post(priceFeed, t0 + 60n, 5n, Array.from({ length: 5040 }, (_, i) => 85n * E8 / 100n + BigInt(i % 5) * E8 / 100n));
    // The drain: six hourly heartbeats, then −1% a round every 2 minutes for 400 rounds.
    await post(tvlFeed, t0 + 60n, HOUR, Array.from({ length: 6 }, () => 1_000_000n * E8));
    let v = 1_000_000n * E8;
    await post(tvlFeed, t0 + 60n + 6n * HOUR, 120n, Array.from({ length: 400 }, () => (v = (v * 99n) / 100n)));
    const before = await balanceOf(tvlPolicy.owner);

    const runs = await tickUntil(async () => (await timesPaid(depegPolicy.policyId)) === 1 && (await timesPaid(tvlPolicy.policyId)) === 1, 4);
    const actions = runs.flatMap((r) => r.actions ?? []);
    expect(actions.filter((a) => a.kind === "advance" && a.status === "mined").length).toBeGreaterThanOrEqual(3); // 5,040 rounds walked in segments
    expect(actions.filter((a) => a.kind === "fire" && a.status === "mined")).toHaveLength(2);
    const [depegIncident] = await incidentsOf(depegProduct);
    expect(BigInt(depegIncident!.args.incidentTime!)).toBe(t0 + 60n); // the onset round
    const [tvlIncident] = await incidentsOf(tvlProduct);
    expect(BigInt(tvlIncident!.args.incidentTime!)).toBe(t0 + 60n + 6n * HOUR); // the drain's first reading
    // Both policies belong to the same buyer: 700 + 900 lUSD.
    expect((await balanceOf(tvlPolicy.owner)) - before).toBe(1_600n * USD);
  }, 180_000);
});
