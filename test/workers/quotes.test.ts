import { env, exports } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { createPublicClient, createWalletClient, getAddress, hashTypedData, http, recoverTypedDataAddress, zeroAddress, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { beforeAll, describe, expect, it } from "vitest";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { abi as poolAbi } from "../../contracts/out/CoverPool";
import { abi as tokenAbi } from "../../contracts/out/MockStablecoin";
import { keeperWatch, observations, quotes } from "../../db/schema";
import { createKey, json } from "./helpers/keys";
import { parseQuote, quoteTypedData, type Quote } from "../../workers/chain/quote";
import type { TestChain } from "./test-chain";
import { exploitFrequency } from "../../workers/pricing/frequency";
import { annualRateE18, riskMultiplierE18 } from "../../workers/pricing/premium";

const chain = JSON.parse(env.TEST_CHAIN) as TestChain;
const NOW = Math.floor(Date.now() / 1000);
const MONTH = 30 * 86_400;
const USD = 1_000_000n;
const api = (path: string, init?: RequestInit) => exports.default.fetch(`http://tripwire.test${path}`, init);
const transport = http(chain.rpcUrl);
const publicClient = createPublicClient({ chain: foundry, transport });

type QuoteBody = {
  quoteId: string; premium: string; amount: string; capacityLeft: string; solvencyBps: number; termsHash: string; expiresAt: number;
  breakdown: { annualRateBps: number; premium: string; tripFrequencyE18: string; demandMultiplierBps: number; expectedLossBps: number; capitalPerCoverBps: number; capitalChargeBps: number; expensesBps: number }; signature: Hex;
  eip712: { domain: { chainId: number; verifyingContract: string }; message: Record<string, string | number> };
  transaction: { to: Hex; function: string; data: Hex; approval: { token: Hex; spender: Hex; amount: string } };
};
type Problem = { type: string; status: number };

const protocol = (over: Record<string, unknown> = {}) => ({
  name: "Swapper v3", category: "dex", website: null, auditCount: 3, lastAuditAt: NOW - 6 * MONTH, launchedAt: NOW - 40 * MONTH,
  tvlUsd: "800000000", incidentCount: 0, lastIncidentAt: null, adminKey: "timelock_multisig", upgradeable: false, oracleDependence: "none", ...over,
});

beforeAll(async () => {
  const admin = await createKey(["admin"]);
  await api("/v1/admin/protocols/swapper-v3", json("PUT", protocol(), admin));
  await api("/v1/admin/protocols/risky-dex", json("PUT", protocol({ name: "Risky", auditCount: 0, lastAuditAt: null }), admin));
  const product = (id: number) => chain.products.find((p) => p.id === id)!;
  expect((await api("/v1/admin/products/2", json("PUT", { protocolId: "swapper-v3", name: product(2).name, termsText: product(2).terms }, admin))).status).toBe(201);
  expect((await api("/v1/admin/products/3", json("PUT", { protocolId: "risky-dex", name: product(3).name, termsText: product(3).terms }, admin))).status).toBe(201);
  expect((await api("/v1/admin/products/1", json("PUT", { protocolId: "swapper-v3", name: product(1).name, termsText: product(1).terms }, admin))).status).toBe(201);
  expect((await api("/v1/admin/products/5", json("PUT", { protocolId: "swapper-v3", name: product(5).name, termsText: product(5).terms }, admin))).status).toBe(201);
});

const quote = (body: unknown) => api("/v1/quotes", json("POST", body));

describe("POST /v1/quotes", () => {
  it("returns a signed quote that the market accepts: the buyer sends the calldata and owns the policy", async () => {
    const buyer = privateKeyToAccount(chain.keys.buyer);
    const res = await quote({ product: 2, amount: String(25_000n * USD), duration: 30, buyer: buyer.address });
    expect(res.status).toBe(201);
    const q = (await res.json()) as QuoteBody;
    // λ of a 50% TVL drop on a dex protocol whose risk rate is 2.25% (200 + 25 timelock+multisig):
    // 3.75% × 225/400 × sqrt(0.5) a year; the rate adds the capital charge at the pool's leverage
    // and expenses; 25,000 × rate × 30/365, rounded up.
    const leverage = await publicClient.readContract({ address: chain.contracts.CoverPool!, abi: poolAbi, functionName: "leverageBps" });
    const f = exploitFrequency({ category: "dex", riskMultiplierE18: riskMultiplierE18(225), incidentCount: 0, launchedAt: 0, now: 0 }, 5_000, "its TVL");
    expect(q.breakdown.tripFrequencyE18).toBe(f.perYearE18.toString());
    const T = 30n * 86_400n, Y = 365n * 86_400n, E18 = 10n ** 18n;
    // The stress capital: products 1, 2 and 5 are all swapper-v3's here, so its exploit scenario is
    // the whole pool's cover: a unit of cover ties up a whole unit of capital (6% a year), not 1 / 2×.
    const pool = await publicClient.readContract({ address: chain.contracts.CoverPool!, abi: poolAbi, functionName: "activeCover" });
    const book = (await Promise.all([1n, 2n, 5n].map((id) => publicClient.readContract({ address: chain.contracts.CoverMarket!, abi: marketAbi, functionName: "productActiveCover", args: [id] })))).reduce((a, b) => a + b, 0n);
    const share = ((book + 25_000n * USD) * E18) / (pool + 25_000n * USD);
    const before = annualRateE18(f.perYearE18, T, 10_000, Number(leverage), share).beforeDemandE18;
    const rate = (before * BigInt(q.breakdown.demandMultiplierBps) + 9_999n) / 10_000n;
    expect(q.premium).toBe(String((25_000n * USD * rate * T + E18 * Y - 1n) / (E18 * Y)));
    expect(q.breakdown).toMatchObject({ expectedLossBps: 150, expensesBps: 50 });
    // Other suites on the shared chain may hold cover on other products: the share is read, not assumed.
    const perCover = share > 5_000n * 10n ** 14n ? share : 5_000n * 10n ** 14n;
    expect(q.breakdown.capitalPerCoverBps).toBe(Number((perCover + 10n ** 14n - 1n) / 10n ** 14n));
    expect(q.breakdown.capitalPerCoverBps).toBeGreaterThan(5_000); // more than 1 / 2×: one scenario holds most of the book
    expect(q.breakdown.annualRateBps).toBe(Number((rate + 10n ** 14n - 1n) / 10n ** 14n));
    expect(q.solvencyBps).toBe(10_000);
    expect(q.transaction.function).toBe("buyCover");
    // The signature is the quote signer's over exactly the digest the contract computes.
    const signed: Quote = parseQuote(q.eip712.message);
    const typed = quoteTypedData(signed, chain.chainId, q.transaction.to);
    expect(await publicClient.readContract({ address: q.transaction.to, abi: marketAbi, functionName: "quoteDigest", args: [signed] })).toBe(hashTypedData(typed));
    expect(await recoverTypedDataAddress({ ...typed, signature: q.signature })).toBe(privateKeyToAccount(chain.keys.quoteSigner).address);

    const wallet = createWalletClient({ chain: foundry, transport, account: buyer });
    const premium = BigInt(q.transaction.approval.amount);
    await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: q.transaction.approval.token, abi: tokenAbi, functionName: "mint", args: [buyer.address, premium] }) });
    await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: q.transaction.approval.token, abi: tokenAbi, functionName: "approve", args: [q.transaction.approval.spender, premium] }) });
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await wallet.sendTransaction({ to: q.transaction.to, data: q.transaction.data }) });
    expect(receipt.status).toBe("success");
    expect(await publicClient.readContract({ address: q.transaction.to, abi: marketAbi, functionName: "ownerOf", args: [BigInt(q.quoteId)] })).toBe(buyer.address);
    const policy = await publicClient.readContract({ address: q.transaction.to, abi: marketAbi, functionName: "policy", args: [BigInt(q.quoteId)] });
    expect(policy.coverAmount).toBe(25_000n * USD);
  });

  it("the hot path makes at most 3 D1 queries and no D1 write before responding (Server-Timing)", async () => {
    for (let i = 0; i < 2; i++) {
      const res = await quote({ product: 2, amount: String(100n * USD), duration: 2 });
      expect(res.status).toBe(201);
      const m = /d1;desc="queries=(\d+) writes=(\d+) rows=(\d+)"/.exec(res.headers.get("server-timing") ?? "");
      expect(m, "server-timing").not.toBeNull();
      expect(Number(m![1])).toBeLessThanOrEqual(3);
      expect(Number(m![1])).toBeGreaterThanOrEqual(1);
      expect(Number(m![2])).toBe(0);
    }
  });

  it("quotes for a beneficiary with buyCoverFor calldata bound to them", async () => {
    const beneficiary = privateKeyToAccount(chain.keys.beneficiary).address;
    const q = (await (await quote({ product: 2, amount: String(1_000n * USD), duration: 7, beneficiary })).json()) as QuoteBody;
    expect(q.transaction.function).toBe("buyCoverFor");
    expect(getAddress(String(q.eip712.message.buyer))).toBe(beneficiary);
  });

  it("hands out increasing quote ids and records each quote after responding", async () => {
    const a = (await (await quote({ product: 2, amount: String(500n * USD), duration: 3 })).json()) as QuoteBody;
    const b = (await (await quote({ product: 2, amount: String(500n * USD), duration: 3 })).json()) as QuoteBody;
    expect(BigInt(b.quoteId)).toBeGreaterThan(BigInt(a.quoteId));
    expect(a.eip712.message.buyer).toBe(zeroAddress);
    let row: typeof quotes.$inferSelect | undefined;
    for (let i = 0; i < 50 && !row; i++) {
      [row] = await drizzle(env.DB).select().from(quotes).where(eq(quotes.id, Number(b.quoteId)));
      if (!row) await new Promise((r) => setTimeout(r, 20));
    }
    expect(row).toMatchObject({ productId: 2, amount: String(500n * USD), premium: b.premium, signature: b.signature });
  });

  it("attributes a quote to the integrator key that asked for it; a bad key is 401", async () => {
    const key = await createKey(["integrator"], "acme vaults");
    const res = await api("/v1/quotes", json("POST", { product: 2, amount: String(500n * USD), duration: 3 }, key));
    const q = (await res.json()) as QuoteBody;
    let row: typeof quotes.$inferSelect | undefined;
    for (let i = 0; i < 50 && !row; i++) {
      [row] = await drizzle(env.DB).select().from(quotes).where(eq(quotes.id, Number(q.quoteId)));
      if (!row) await new Promise((r) => setTimeout(r, 20));
    }
    expect(row?.apiKeyId).toBeGreaterThan(0);
    expect((await api("/v1/quotes", json("POST", { product: 2, amount: "1000000", duration: 3 }, `tw_${"1".repeat(64)}`))).status).toBe(401);
  });

  it("prices with the keeper's own record of the product: days at the trigger level raise the trip frequency", async () => {
    const before = (await (await quote({ product: 1, amount: String(1_000n * USD), duration: 30 })).json()) as QuoteBody & { breakdown: { tripFrequency: { factor: string }[] } };
    expect(before.breakdown.tripFrequency.map((x) => x.factor)).not.toContain("own_history");
    const DAY = 86_400;
    const reading = (observedAt: number, distanceBps: number) => ({ productId: 1, source: chain.contracts.CoverMarket!, valid: true, distanceBps, blockNumber: 1, observedAt });
    // 30 days of record; on 3 of them a reading at the trigger level (distance 0).
    await drizzle(env.DB).insert(observations).values([reading(NOW - 30 * DAY, 4_000), reading(NOW - 20 * DAY, 0), reading(NOW - 20 * DAY + 60, 0), reading(NOW - 10 * DAY, 0), reading(NOW - 5 * DAY, 0), reading(NOW, 3_000)]);
    const after = (await (await quote({ product: 1, amount: String(1_000n * USD), duration: 30 })).json()) as QuoteBody & { breakdown: { tripFrequency: { factor: string; e18: string }[] } };
    const own = after.breakdown.tripFrequency.find((x) => x.factor === "own_history")!;
    const Y = 365n * 86_400n, E18 = 10n ** 18n;
    const model = BigInt(before.breakdown.tripFrequencyE18);
    expect(BigInt(after.breakdown.tripFrequencyE18)).toBe((3n * E18 * Y + model * Y) / (30n * 86_400n + Y));
    expect(own.e18).toBe(after.breakdown.tripFrequencyE18);
    expect(BigInt(after.premium)).toBeGreaterThan(BigInt(before.premium));
  });

  it("signs only cover that keeps every stress scenario within the pool's assets: past that it refuses and names the scenario", async () => {
    // Products 1, 2 and 5 all belong to swapper-v3 here: its exploit is one scenario, their cover summed.
    const read = (address: Hex, functionName: string, args: unknown[] = []) =>
      publicClient.readContract({ address, abi: [...marketAbi, ...poolAbi] as never, functionName: functionName as never, args: args as never }) as Promise<bigint>;
    const [assets, pending, a1, a2, a5] = await Promise.all([
      read(chain.contracts.CoverPool!, "totalAssets"), read(chain.contracts.CoverPool!, "pendingLiability"),
      read(chain.contracts.CoverMarket!, "productActiveCover", [1n]), read(chain.contracts.CoverMarket!, "productActiveCover", [2n]), read(chain.contracts.CoverMarket!, "productActiveCover", [5n]),
    ]);
    const room = assets - pending - (a1 + a2 + a5);
    expect(room).toBeLessThan(1_500_000n * USD); // the pool holds about 1,000,000; product 1's cap is 2,000,000
    const over = await quote({ product: 1, amount: String(room + 1_000_000n), duration: 30 });
    expect(over.status).toBe(422);
    const p = (await over.json()) as Problem & { scenario: string; capacityLeft: string; detail: string };
    expect(p).toMatchObject({ type: "https://tripwire.dev/problems/capacity-exceeded", scenario: "exploit:swapper-v3" });
    expect(p.detail).toContain("Swapper v3 is exploited");
    // Inside the room, less what the quotes of the tests above still hold (each holds its cover
    // until it expires): the refusal says how much that leaves.
    const inside = await quote({ product: 1, amount: String(room - 1_000_000n), duration: 30 });
    let amount = room - 1_000_000n;
    if (inside.status === 422) {
      const held = (await inside.json()) as Problem & { scenario: string; capacityLeft: string; detail: string };
      expect(held).toMatchObject({ scenario: "exploit:swapper-v3" });
      expect(held.detail).toContain("quotes signed and not yet expired hold");
      amount = BigInt(held.capacityLeft) - 1_000_000n;
    } else expect(inside.status).toBe(201);
    const res = inside.status === 201 ? inside : await quote({ product: 1, amount: String(amount), duration: 30 });
    expect(res.status).toBe(201);
    const q = (await res.json()) as QuoteBody & { breakdown: { worstScenario: { id: string; lossWithThisCover: string } } };
    expect(q.solvencyBps).toBe(10_000);
    expect(q.breakdown.worstScenario.id).toBe("exploit:swapper-v3");
    expect(BigInt(q.breakdown.worstScenario.lossWithThisCover)).toBe(a1 + a2 + a5 + amount);
  });

  it("refuses: unknown product 404, past capacity 422, unaudited protocol 422, near its trigger 422", async () => {
    const missing = await quote({ product: 77, amount: "1000000000", duration: 30 });
    expect(missing.status).toBe(404);
    const tooBig = await quote({ product: 2, amount: String(5_000_000n * USD), duration: 30 });
    expect(tooBig.status).toBe(422);
    expect(((await tooBig.json()) as Problem).type).toBe("https://tripwire.dev/problems/capacity-exceeded");
    const risky = await quote({ product: 3, amount: "1000000000", duration: 30 });
    expect(((await risky.json()) as Problem & { code: string })).toMatchObject({ type: "https://tripwire.dev/problems/protocol-refused", code: "unaudited" });
    // Product 5 is the sample depeg product ($0.97): its default sales margin is 25 bps.
    await drizzle(env.DB).insert(keeperWatch).values({ productId: 5, source: chain.contracts.CoverMarket!, valid: true, distanceBps: 20, blockNumber: 1, observedAt: NOW });
    const near = await quote({ product: 5, amount: "1000000000", duration: 30 });
    expect(((await near.json()) as Problem).type).toBe("https://tripwire.dev/problems/condition-near-trigger");
  });

  it("bad input is a 4xx problem, never a 500", async () => {
    for (const body of [
      { product: 2, amount: "-5", duration: 30 },
      { product: 2, amount: "1.5", duration: 30 },
      { product: 2, amount: "1000", duration: 0 },
      { product: 2, amount: "1000", duration: 366 },
      { product: 2, amount: "1000", duration: 30, extra: true },
      { product: 2, amount: "1000", duration: 30, buyer: "0x123" },
      { product: 2, amount: "0", duration: 30 },
      { product: 2, amount: "9".repeat(28), duration: 30 },
      { amount: "1000", duration: 30 },
      [],
      "quote",
    ]) {
      const res = await quote(body);
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(body)).toBeLessThan(500);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
  });
});
