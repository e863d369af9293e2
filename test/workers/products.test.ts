import { env, exports } from "cloudflare:workers";
import { createPublicClient, getAddress, http } from "viem";
import { abi as poolAbi } from "../../contracts/out/CoverPool";
import { beforeAll, describe, expect, it } from "vitest";
import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { keeperWatch, observations } from "../../db/schema";
import { createKey, json } from "./helpers/keys";
import type { TestChain } from "./test-chain";
import { exploitFrequency } from "../../workers/pricing/frequency";
import { annualRateE18, riskMultiplierE18 } from "../../workers/pricing/premium";

const chain = JSON.parse(env.TEST_CHAIN) as TestChain;
const NOW = Math.floor(Date.now() / 1000);
const MONTH = 30 * 86_400;
const api = (path: string, init?: RequestInit) => exports.default.fetch(`http://tripwire.test${path}`, init);
const USD = 1_000_000n;

type ProductView = {
  id: number; status: string; capacityLeft: string; activeCover: string; capAmount: string; indicativeAnnualRateBps: number | null;
  trigger: { kind: string; address: string; params: Record<string, unknown> }; terms: { text: string; hash: string };
};

let admin: string;
beforeAll(async () => {
  admin = await createKey(["admin"]);
  const protocol = {
    name: "Lendwise v2", category: "lending", website: null, auditCount: 2, lastAuditAt: NOW - 8 * MONTH, launchedAt: NOW - 30 * MONTH,
    tvlUsd: "1200000000", incidentCount: 0, lastIncidentAt: null, adminKey: "multisig", upgradeable: false, oracleDependence: "chainlink",
  };
  expect((await api("/v1/admin/protocols/lendwise-v2", json("PUT", protocol, admin))).status).toBe(201);
});

const register = (id: number, body: Record<string, unknown>) => api(`/v1/admin/products/${id}`, json("PUT", body, admin));
const sample = (id: number) => chain.products.find((p) => p.id === id)!;

describe("product catalog", () => {
  it("registers an on-chain product from the market's own record and shows live capacity", async () => {
    const res = await register(1, { protocolId: "lendwise-v2", name: sample(1).name, termsText: sample(1).terms });
    expect(res.status).toBe(201);
    const p = (await res.json()) as ProductView;
    expect(p.trigger).toMatchObject({ kind: "tvl_drop", address: getAddress(chain.contracts.TvlDropTrigger!) });
    expect(p.trigger.params).toMatchObject({ dropBps: 5000, windowSeconds: 86_400, maxAgeSeconds: 172_800 });
    expect(p.capAmount).toBe(String(2_000_000n * USD));
    // min(product cap left, pool capacity left); other suites sell cover on the same chain.
    const poolLeft = await createPublicClient({ transport: http(chain.rpcUrl) }).readContract({
      address: chain.contracts.CoverPool!, abi: poolAbi, functionName: "capacityLeft",
    });
    expect(BigInt(p.capacityLeft)).toBe(poolLeft < 2_000_000n * USD ? poolLeft : 2_000_000n * USD);
    expect(p.status).toBe("active");
    // The protocol's risk rate is 200 + 75 (two audits) + 100 (multisig) + 25 (chainlink) = 400 bps,
    // the reference (1×): λ = 8.75% (lending exploits) × sqrt(0.5) (≥ 50% of the TVL) = 6.19% a year;
    // the indicative rate is a 30-day term's expected loss + capital charge + expenses.
    const leverage = Number(await createPublicClient({ transport: http(chain.rpcUrl) }).readContract({ address: chain.contracts.CoverPool!, abi: poolAbi, functionName: "leverageBps" }));
    const f = exploitFrequency({ category: "lending", riskMultiplierE18: riskMultiplierE18(400), incidentCount: 0, launchedAt: 0, now: 0 }, 5_000, "its TVL");
    const bps = (mult: number) => Number((annualRateE18(f.perYearE18, 30n * 86_400n, mult, leverage).beforeDemandE18 + 10n ** 14n - 1n) / 10n ** 14n);
    expect(p.indicativeAnnualRateBps).toBe(bps(10_000));
    expect(p.indicativeAnnualRateBps).toBeGreaterThan(619 + 50);
    const again = await register(1, { protocolId: "lendwise-v2", name: "Renamed", termsText: sample(1).terms, rateMultiplierBps: 15_000 });
    expect(again.status).toBe(200);
    expect(((await again.json()) as ProductView).indicativeAnnualRateBps).toBe(bps(15_000));
  });

  it("lists products with their decoded parameters, an all-of product with its sub-triggers", async () => {
    await register(6, { protocolId: "lendwise-v2", name: sample(6).name, termsText: sample(6).terms });
    const { products } = (await (await api("/v1/products")).json()) as { products: ProductView[] };
    const allOf = products.find((p) => p.id === 6)!;
    expect(allOf.trigger.kind).toBe("all_of");
    const subs = (allOf.trigger.params as { triggers: { kind: string }[] }).triggers.map((t) => t.kind);
    expect(subs).toEqual(["tvl_drop", "paused"]);
    expect(((await (await api("/v1/products/6")).json()) as ProductView).terms.text).toBe(sample(6).terms);
  });

  it("refuses terms whose hash is not the market's, products not listed on-chain, unknown protocols (422)", async () => {
    const wrongTerms = await register(2, { protocolId: "lendwise-v2", name: "DEX", termsText: "something else" });
    expect(wrongTerms.status).toBe(422);
    expect(((await wrongTerms.json()) as { type: string }).type).toBe("https://tripwire.dev/problems/terms-mismatch");
    const unlisted = await register(999, { protocolId: "lendwise-v2", name: "ghost", termsText: "x" });
    expect(((await unlisted.json()) as { type: string }).type).toBe("https://tripwire.dev/problems/product-not-listed");
    const noProtocol = await register(2, { protocolId: "nobody-here", name: "DEX", termsText: sample(2).terms });
    expect(((await noProtocol.json()) as { type: string }).type).toBe("https://tripwire.dev/problems/unknown-protocol");
  });

  it("the sales margin is per product with a default per kind, and GET /v1/products says what POST /v1/quotes does", async () => {
    // The sample depeg product ($0.97) at a perfect peg: 309 bps from its trigger. It sells (it
    // used to be refused by one global 10% margin while the catalog showed it on sale).
    expect((await register(5, { protocolId: "lendwise-v2", name: sample(5).name, termsText: sample(5).terms })).status).toBe(201);
    await drizzle(env.DB).insert(keeperWatch).values({ productId: 5, source: chain.contracts.DepegTrigger!, valid: true, distanceBps: 309, blockNumber: 1, observedAt: NOW });
    const both = async () => {
      const shown = (await (await api("/v1/products/5")).json()) as ProductView & { salesMarginBps: number; refusal: { code: string } | null };
      const q = await api("/v1/quotes", json("POST", { product: 5, amount: "1000000000", duration: 30 }));
      const body = (await q.json()) as { type?: string };
      return { margin: shown.salesMarginBps, shown: shown.refusal?.code ?? null, quoted: q.status === 201 ? null : body.type!.split("/").pop()! };
    };
    expect(await both()).toEqual({ margin: 25, shown: null, quoted: null });
    await drizzle(env.DB).update(keeperWatch).set({ distanceBps: 20 }).where(eq(keeperWatch.productId, 5));
    expect(await both()).toEqual({ margin: 25, shown: "condition-near-trigger", quoted: "condition-near-trigger" });
    // The operator widens this product's margin: at the peg it is now too close as well.
    await drizzle(env.DB).update(keeperWatch).set({ distanceBps: 309 }).where(eq(keeperWatch.productId, 5));
    expect((await register(5, { protocolId: "lendwise-v2", name: sample(5).name, termsText: sample(5).terms, salesMarginBps: 400 })).status).toBe(200);
    expect(await both()).toEqual({ margin: 400, shown: "condition-near-trigger", quoted: "condition-near-trigger" });
    expect((await register(5, { protocolId: "lendwise-v2", name: sample(5).name, termsText: sample(5).terms, salesMarginBps: -1 })).status).toBe(400);
  });

  it("400 for a malformed id, 404 for an unregistered product", async () => {
    expect((await api("/v1/products/abc")).status).toBe(400);
    expect((await api("/v1/products/0")).status).toBe(400);
    expect((await api("/v1/products/4")).status).toBe(404);
  });
});

describe("readings and the deployment (what the app's charts and wallet read)", () => {
  it("pages a product's recorded readings oldest first, with the evidence; 404 for an unknown product, 400 for a bad page", async () => {
    await register(2, { protocolId: "lendwise-v2", name: sample(2).name, termsText: sample(2).terms });
    const feed = getAddress(chain.contracts.TvlDropTrigger!);
    // A crisis hour on a deviation feed: a round a minute, falling; one stale reading among them.
    const rows = Array.from({ length: 60 }, (_, i) => ({
      productId: 2, source: feed, roundId: String((1n << 64n) + BigInt(i + 1)), answer: String(1_000_000n * 10n ** 8n - BigInt(i) * 9_000n * 10n ** 8n),
      updatedAt: NOW - 3_600 + i * 60, paused: null, valid: i !== 30, problem: i === 30 ? "stale" : null, distanceBps: Math.max(0, 5_000 - i * 90),
      blockNumber: 1_000 + i, observedAt: NOW - 3_600 + i * 60,
    }));
    for (let i = 0; i < rows.length; i += 8) await drizzle(env.DB).insert(observations).values(rows.slice(i, i + 8)); // D1 binds at most 100 variables a statement
    const page1 = (await (await api("/v1/products/2/readings?limit=25")).json()) as { readings: { id: number; roundId: string; answer: string; valid: boolean; problem: string | null; blockNumber: number; observedAt: number; source: string }[]; next: number | null };
    expect(page1.readings).toHaveLength(25);
    expect(page1.readings[0]).toMatchObject({ roundId: String((1n << 64n) + 1n), answer: "100000000000000", valid: true, blockNumber: 1_000, source: feed });
    expect(page1.next).toBe(page1.readings[24]!.id);
    const all = [...page1.readings];
    for (let next = page1.next; next !== null; ) {
      const page = (await (await api(`/v1/products/2/readings?limit=25&after=${next}`)).json()) as typeof page1;
      all.push(...page.readings);
      next = page.next;
    }
    expect(all.map((r) => r.blockNumber)).toEqual(rows.map((r) => r.blockNumber));
    expect(all[30]).toMatchObject({ valid: false, problem: "stale" });
    const recent = (await (await api(`/v1/products/2/readings?since=${NOW - 600}`)).json()) as typeof page1;
    expect(recent.readings.map((r) => r.observedAt)).toEqual(rows.filter((r) => r.observedAt >= NOW - 600).map((r) => r.observedAt));
    expect((await api("/v1/products/4/readings")).status).toBe(404);
    const bad = await api("/v1/products/2/readings?limit=501");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await api("/v1/products/2/readings?cursor=1")).status).toBe(400);
  });

  it("GET /v1/deployment names the market, pool and asset (symbol, decimals) and the chain", async () => {
    const res = await api("/v1/deployment");
    expect(res.status).toBe(200);
    const d = (await res.json()) as { chainId: number; market: string; pool: string; asset: { address: string; symbol: string; decimals: number }; browserRpcUrl: string | null };
    expect(d).toMatchObject({ chainId: chain.chainId, market: getAddress(chain.contracts.CoverMarket!), pool: getAddress(chain.contracts.CoverPool!) });
    expect(d.asset).toEqual({ address: getAddress(chain.contracts.Stablecoin!), symbol: expect.any(String), decimals: 6 });
  });
});
