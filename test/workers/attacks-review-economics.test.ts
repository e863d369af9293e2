import { env, exports } from "cloudflare:workers";
import { createWalletClient, http, keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { beforeAll, describe, expect, it } from "vitest";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { abi as poolAbi } from "../../contracts/out/CoverPool";
import * as MockPausableProtocol from "../../contracts/out/MockPausableProtocol";
import * as PausedTrigger from "../../contracts/out/PausedTrigger";
import { encodeAllOfParams } from "../../workers/triggers/allOf";
import { encodePausedParams } from "../../workers/triggers/paused";
import { buyWithQuote, chain, publicClient, type QuoteTransaction } from "./helpers/chain";
import { createKey, json } from "./helpers/keys";
import { allOf } from "../../workers/triggers/allOf";
import { kindLookup } from "../../workers/triggers";
import { riskMultiplierE18 } from "../../workers/pricing/premium";
import { pauseFrequency, type FrequencyContext } from "../../workers/pricing/frequency";
import { priceIn, type QuoteContext } from "../../workers/services/quotes";


const NOW = Math.floor(Date.now() / 1000);
const MONTH = 30 * 86_400;
const USD = 1_000_000n;
const api = (path: string, init?: RequestInit) => exports.default.fetch(`http://tripwire.test${path}`, init);
const quote = (body: unknown) => api("/v1/quotes", json("POST", body));
const owner = createWalletClient({ chain: foundry, transport: http(chain.rpcUrl), account: privateKeyToAccount(chain.keys.owner) });
const protocol = (name: string, over: Record<string, unknown> = {}) => ({
  name, category: "lending", website: null, auditCount: 3, lastAuditAt: NOW - 6 * MONTH, launchedAt: NOW - 40 * MONTH,
  tvlUsd: "800000000", incidentCount: 0, lastIncidentAt: null, adminKey: "timelock_multisig", upgradeable: false, oracleDependence: "none", ...over,
});
type Q = { quoteId: string; premium: string; solvencyBps: number; transaction: QuoteTransaction; breakdown: { tripFrequencyE18: string; expectedLossBps: number; annualRateBps: number } };
let admin: string;

async function mined(hash: Hex) {
  const r = await publicClient.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new Error(`reverted: ${hash}`);
  return r;
}
const read = (address: Address, functionName: string, args: unknown[] = []) =>
  publicClient.readContract({ address, abi: [...marketAbi, ...poolAbi] as never, functionName: functionName as never, args: args as never }) as Promise<bigint>;

beforeAll(async () => {
  admin = await createKey(["admin"]);
  expect((await api("/v1/admin/protocols/review-lend", json("PUT", protocol("Review Lend"), admin))).status).toBe(201);
  const p1 = chain.products.find((p) => p.id === 1)!;
  expect((await api("/v1/admin/products/1", json("PUT", { protocolId: "review-lend", name: p1.name, termsText: p1.terms }, admin))).status).toBe(201);
});

// Review of the economics (issue 13): each finding reproduced, then closed. Written against the
// code before the fix, where each of these assertions failed.

describe("attack: stress limits vs outstanding signed quotes", () => {
  it("two quotes signed from the same book, each inside the scenario's room: the second is refused, the first's purchase keeps the scenario covered", async () => {
    const [assets, pending, a1] = await Promise.all([read(chain.contracts.CoverPool!, "totalAssets"), read(chain.contracts.CoverPool!, "pendingLiability"), read(chain.contracts.CoverMarket!, "productActiveCover", [1n])]);
    const room = assets - pending - a1;
    const each = (room * 6n) / 10n;
    const r1 = await quote({ product: 1, amount: String(each), duration: 30 });
    const r2 = await quote({ product: 1, amount: String(each), duration: 30 });
    expect(r1.status).toBe(201);
    // Was: both 201, both bought, the scenario at 83% coverage.
    expect(r2.status).toBe(422);
    expect(await r2.json()).toMatchObject({ type: "https://tripwire.dev/problems/capacity-exceeded", scenario: "exploit:review-lend" });
    const q1 = (await r1.json()) as Q;
    expect(q1.solvencyBps).toBe(10_000);
    await buyWithQuote(chain.keys.buyer, q1.transaction);
    const [pool] = ((await (await api("/v1/pools")).json()) as { pools: { stressScenarios: { id: string; loss: string; assets: string; coverageBps: number | null }[] }[] }).pools;
    const s = pool!.stressScenarios.find((x) => x.id === "exploit:review-lend")!;
    expect(s.coverageBps).toBeGreaterThanOrEqual(10_000);
    // The hold lasts until the first quote's deadline: more is refused meanwhile, never oversold.
    expect((await quote({ product: 1, amount: String(each), duration: 30 })).status).toBe(422);
  });
});

describe("attack: an all-of with legs the Worker does not recognise", () => {
  it("an all-of of two approved PausedTrigger instances not in the deployments table is not priced (was: λ = 0, no expected loss)", async () => {
    const target = (await mined(await owner.deployContract({ abi: MockPausableProtocol.abi, bytecode: MockPausableProtocol.bytecode, args: [owner.account.address] }))).contractAddress!;
    const legs: Address[] = [];
    for (let i = 0; i < 2; i++) {
      const t = (await mined(await owner.deployContract({ abi: PausedTrigger.abi, bytecode: PausedTrigger.bytecode, args: [] }))).contractAddress!;
      await mined(await owner.writeContract({ address: chain.contracts.CoverMarket!, abi: marketAbi, functionName: "setTriggerApproved", args: [t, true] }));
      legs.push(t);
    }
    const leg = encodePausedParams({ target, durationSeconds: 6 * 3600, maxGapSeconds: 600 });
    const params = encodeAllOfParams({ triggers: legs, params: [leg, leg], maxSpreadSeconds: 86_400 });
    const terms = `Review composite: pays if ${target} stays paused for 6 hours (two identical legs).`;
    const receipt = await mined(await owner.writeContract({
      address: chain.contracts.CoverMarket!, abi: marketAbi, functionName: "listProduct",
      args: [{ trigger: chain.contracts.AllOfTrigger!, params, termsHash: keccak256(toHex(terms)), capAmount: 500_000n * USD, coverageLagSeconds: 60, vetoWindowSeconds: 0 }],
    }));
    const id = Number(parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName: "ProductListed" })[0]!.args.productId);
    expect((await api("/v1/admin/protocols/review-pause", json("PUT", protocol("Review Pause", { category: "other" }), admin))).status).toBe(201);
    const reg = await api(`/v1/admin/products/${id}`, json("PUT", { protocolId: "review-pause", name: "Review composite", termsText: terms }, admin));
    expect(reg.status).toBe(201);
    // The sample paused product (4), the same condition on a recorded PausedTrigger, for comparison.
    const p4 = chain.products.find((p) => p.id === 4)!;
    expect((await api("/v1/admin/products/4", json("PUT", { protocolId: "review-pause", name: p4.name, termsText: p4.terms }, admin))).status).toBe(201);
    const composite = await quote({ product: id, amount: String(10_000n * USD), duration: 30 });
    expect(composite.status).toBe(422);
    expect(((await composite.json()) as { type: string }).type).toBe("https://tripwire.dev/problems/product-unpriced");
    const single = (await (await quote({ product: 4, amount: String(10_000n * USD), duration: 30 })).json()) as Q;
    expect(BigInt(single.breakdown.tripFrequencyE18)).toBeGreaterThan(0n);
    const listed = ((await (await api(`/v1/products/${id}`)).json()) as { refusal: { code: string } | null; indicativeAnnualRateBps: number | null });
    expect(listed).toMatchObject({ refusal: { code: "unpriced" }, indicativeAnnualRateBps: null });
  });
});

describe("attack: a product row whose paramsJson does not parse under its kind's schema", () => {
  it("POST /v1/quotes answers 422 product-unpriced and GET /v1/products still lists the catalog (was: 500 for both)", async () => {
    const p2 = chain.products.find((p) => p.id === 2)!;
    expect((await api("/v1/admin/products/2", json("PUT", { protocolId: "review-lend", name: p2.name, termsText: p2.terms }, admin))).status).toBe(201);
    // As a row written by an older schema (or a kind whose schema tightened) would read.
    await env.DB.prepare("UPDATE products SET params_json = ? WHERE id = 2").bind(JSON.stringify({ feed: "0x0000000000000000000000000000000000000001", dropBps: 5000 })).run();
    const q = await quote({ product: 2, amount: String(1_000n * USD), duration: 30 });
    expect(q.status).toBe(422);
    expect(((await q.json()) as { type: string }).type).toBe("https://tripwire.dev/problems/product-unpriced");
    const list = await api("/v1/products");
    expect(list.status).toBe(200);
    const two = ((await list.json()) as { products: { id: number; refusal: { code: string } | null }[] }).products.find((p) => p.id === 2)!;
    expect(two.refusal).toMatchObject({ code: "unpriced" });
    expect((await api("/v1/products/1")).status).toBe(200);
  });
});

const PNOW = 1_750_000_000;
const E18 = 10n ** 18n;
const ctx: FrequencyContext = { category: "lending", riskMultiplierE18: riskMultiplierE18(400), incidentCount: 0, launchedAt: PNOW - 3 * 365 * 86_400, now: PNOW };
const target = "0x1111111111111111111111111111111111111111";
const pausedWords = { target, durationSeconds: 6 * 3600, maxGapSeconds: 600 };

describe("attack: all-of with unknown legs, priced", () => {
  it("an all-of whose legs are all of unknown kinds cannot be priced (was: λ = 0)", () => {
    const unknownLeg = (t: string) => ({ trigger: t, kind: "unknown", params: "0x1234" });
    const f = allOf.tripFrequency({ maxSpreadSeconds: 86_400, triggers: [unknownLeg(target), unknownLeg("0x2222222222222222222222222222222222222222")] }, ctx, kindLookup());
    expect(f).toBeNull();
    // The same condition as a known leg pays with a positive frequency.
    expect(pauseFrequency(ctx, 6 * 3600).perYearE18).toBeGreaterThan(0n);
  });

  it("a known leg AND a nested all-of of unknown legs: priced as the known leg (was: the nested 0 won the min)", () => {
    const nested = { trigger: "0x3333333333333333333333333333333333333333", kind: "all_of", params: { maxSpreadSeconds: 60, triggers: [{ trigger: target, kind: "unknown", params: "0x" }] } };
    const f = allOf.tripFrequency({ maxSpreadSeconds: 86_400, triggers: [{ trigger: target, kind: "paused", params: pausedWords }, nested] }, ctx, kindLookup());
    expect(f!.perYearE18).toBe(pauseFrequency(ctx, 6 * 3600).perYearE18);
  });
});

/** A quote context as loadQuoteContext builds it, for a depeg product of a stablecoin protocol. */
function depegContext(integratorFeeBps: number, rateMultiplierBps = 10_000): QuoteContext {
  const protocol = {
    id: "steady", name: "Steady", category: "stablecoin", website: null, auditCount: 3, lastAuditAt: PNOW - 90 * 86_400, launchedAt: PNOW - 3 * 365 * 86_400,
    tvlUsd: "3000000000", incidentCount: 2, lastIncidentAt: PNOW - 400 * 86_400, adminKey: "timelock_multisig", upgradeable: false, oracleDependence: "chainlink",
    chains: [], dependsOn: [], createdAt: 0, updatedAt: 0,
  };
  const params = { feed: target, thresholdE18: String(995n * 10n ** 15n), durationSeconds: 3600, maxAgeSeconds: 2 * 86_400, sequencerFeed: "0x0000000000000000000000000000000000000000", sequencerGraceSeconds: 0 };
  const product = { id: 9, triggerKind: "depeg", paramsJson: JSON.stringify(params), rateMultiplierBps, salesMarginBps: null };
  return {
    id: 9n, row: { product, protocol, distanceBps: null, history: { from: null, to: null, daysAtTrigger: 0 } },
    stress: { scenarios: [], protocols: [] }, groups: [],
    assets: 10n ** 15n, pending: 0n, poolActive: 0n, capacityLeft: 10n ** 15n, poolCapacity: 2n * 10n ** 15n, leverageBps: 20_000,
    integrator: "0x4444444444444444444444444444444444444444", integratorFeeBps,
  } as unknown as QuoteContext;
}

describe("attack: integrator fee vs the expected-loss floor", () => {
  it("with the maximum integrator fee (20%) the pool still receives the cover's expected loss (was: 80% of it)", () => {
    const amount = 100_000n * 1_000_000n;
    const days = 30;
    const r = priceIn(depegContext(2_000), { minimumPremium: 1_000_000n, now: PNOW }, amount, days);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const b = r.priced.breakdown as { paysWithinTermE18: string; tripFrequencyE18: string; premiumToPool: string; expectedLossBps: number };
    // Expected payout over the term, the model's own upper bound: P(pays within term) × amount.
    const expectedPayout = (BigInt(b.paysWithinTermE18) * amount) / E18;
    expect(r.priced.premium).toBeGreaterThanOrEqual(expectedPayout); // the gross premium honours the floor
    expect(BigInt(b.premiumToPool)).toBeGreaterThanOrEqual(expectedPayout); // FAILS if the pool's share does not
  });

  it("with a product multiplier below 1× and the maximum fee, the pool's share still covers the expected loss", () => {
    const amount = 100_000n * 1_000_000n;
    const r = priceIn(depegContext(2_000, 1_000), { minimumPremium: 1_000_000n, now: PNOW }, amount, 30);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const b = r.priced.breakdown as { paysWithinTermE18: string; premiumToPool: string };
    const expectedPayout = (BigInt(b.paysWithinTermE18) * amount) / E18;
    expect(BigInt(b.premiumToPool)).toBeGreaterThanOrEqual(expectedPayout);
  });
});
