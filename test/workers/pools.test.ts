import { env, exports } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { abi as poolAbi } from "../../contracts/out/CoverPool";
import { incidents, payouts, policies } from "../../db/schema";
import { chain, publicClient } from "./helpers/chain";
import { tick } from "./helpers/keeper";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { createKey, json } from "./helpers/keys";

const api = (path: string) => exports.default.fetch(`http://tripwire.test${path}`);

describe("GET /v1/pools", () => {
  it("reports the live book's stress scenarios: each protocol failing with what depends on it, each chain halting, worst first", async () => {
    const before = ((await (await api("/v1/pools")).json()) as { pools: { stressScenarios: unknown[] }[] }).pools[0]!;
    expect(before.stressScenarios).toEqual([]); // no catalog yet
    const admin = await createKey(["admin"]);
    const NOW = Math.floor(Date.now() / 1000);
    const base = { website: null, auditCount: 3, lastAuditAt: NOW - 86_400 * 100, launchedAt: NOW - 86_400 * 900, tvlUsd: "900000000", incidentCount: 0, lastIncidentAt: null, adminKey: "multisig", upgradeable: false, oracleDependence: "chainlink" };
    const put = (path: string, body: unknown) => exports.default.fetch(`http://tripwire.test${path}`, json("PUT", body, admin));
    // The operator limits a SteadyUSD depeg to a quarter of the pool's net assets.
    expect((await put("/v1/admin/protocols/steadyusd", { ...base, name: "SteadyUSD", category: "stablecoin", chains: ["ethereum"], maxLossBps: 2_500 })).status).toBe(201);
    expect((await put("/v1/admin/protocols/lendwise-v2", { ...base, name: "Lendwise v2", category: "lending", chains: ["ethereum", "base"], dependsOn: ["steadyusd"] })).status).toBe(201);
    // A dependency on a protocol the catalog does not hold is refused: its scenario could not exist.
    const unknown = await put("/v1/admin/protocols/vaultify", { ...base, name: "Vaultify", category: "other", dependsOn: ["nobody"] });
    expect(unknown.status).toBe(422);
    const product = (id: number) => chain.products.find((p) => p.id === id)!;
    for (const [id, protocolId] of [[1, "lendwise-v2"], [5, "steadyusd"]] as const) {
      expect((await put(`/v1/admin/products/${id}`, { protocolId, name: product(id).name, termsText: product(id).terms })).status).toBeLessThan(300);
    }
    const active = async (id: number) => publicClient.readContract({ address: chain.contracts.CoverMarket!, abi: marketAbi, functionName: "productActiveCover", args: [BigInt(id)] });
    const [pool] = ((await (await api("/v1/pools")).json()) as { pools: { totalAssets: string; pendingLiability: string; stressScenarios: { id: string; kind: string; products: number[]; loss: string; assets: string; coverageBps: number | null; limitBps: number }[] }[] }).pools;
    const net = BigInt(pool!.totalAssets) - BigInt(pool!.pendingLiability);
    const both = (await active(1)) + (await active(5));
    const byId = Object.fromEntries(pool!.stressScenarios.map((x) => [x.id, x]));
    expect(Object.keys(byId).sort()).toEqual(["chain-halt:base", "chain-halt:ethereum", "depeg:steadyusd", "exploit:lendwise-v2"]);
    // A SteadyUSD depeg hits its own product and Lendwise's, which depends on it.
    expect(byId["depeg:steadyusd"]).toMatchObject({ kind: "depeg", products: [1, 5], loss: String(both), assets: String(net) });
    expect(byId["exploit:lendwise-v2"]).toMatchObject({ kind: "exploit", products: [1], loss: String(await active(1)) });
    expect(byId["chain-halt:base"]).toMatchObject({ products: [1] });
    expect(byId["depeg:steadyusd"]!.coverageBps).toBe(both === 0n ? null : Number((net * 10_000n) / both));
    expect([byId["depeg:steadyusd"]!.limitBps, byId["exploit:lendwise-v2"]!.limitBps, byId["chain-halt:base"]!.limitBps]).toEqual([2_500, 10_000, 10_000]);
    // A quote one unit past the limit's room is refused, naming the scenario and its limit.
    const limit = (net * 2_500n) / 10_000n;
    const room = limit > both ? limit - both : 0n;
    const over = await exports.default.fetch("http://tripwire.test/v1/quotes", json("POST", { product: 1, amount: String(room + 1_000_000n), duration: 30 }));
    expect(over.status).toBe(422);
    const p = (await over.json()) as { type: string; scenario: string; detail: string };
    expect(p).toMatchObject({ type: "https://tripwire.dev/problems/capacity-exceeded", scenario: "depeg:steadyusd" });
    expect(p.detail).toContain("limit of 25%");
  });

  it("reads the pool live from the chain", async () => {
    const res = await api("/v1/pools");
    expect(res.status).toBe(200);
    const [pool] = ((await res.json()) as { pools: Record<string, unknown>[] }).pools;
    const read = (functionName: "totalSupply" | "totalAssets" | "leverageBps" | "cooldownSeconds") =>
      publicClient.readContract({ address: chain.contracts.CoverPool!, abi: poolAbi, functionName });
    expect(pool).toMatchObject({
      chainId: chain.chainId,
      totalShares: String(await read("totalSupply")),
      leverageBps: await read("leverageBps"),
      cooldownSeconds: await read("cooldownSeconds"),
    });
    // The chain is shared with the keeper's suites, whose payouts leave the pool: compare with the chain.
    expect(BigInt(pool!.totalAssets as string)).toBe(await read("totalAssets"));
    expect(BigInt(pool!.totalAssets as string)).toBeGreaterThan(0n);
    expect(pool!.utilisationBps).toBeGreaterThanOrEqual(0);
    expect(pool!.premiumIncome).toEqual({ received: "0", earned: "0" }); // nothing indexed in this file yet
    expect(Array.isArray(pool!.stressScenarios)).toBe(true);
  });

  it("sums the premium income of indexed purchases as integers", async () => {
    const d = drizzle(env.DB);
    const base = { chainId: chain.chainId, productId: 2, owner: "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", payer: "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", coverAmount: "1", startAt: 0, endAt: 1, integrator: "0x0000000000000000000000000000000000000000", status: "expired" as const, txHash: "0x01", blockNumber: 1 };
    // Two premiums whose float sum would lose the last digit.
    await d.insert(policies).values([{ ...base, id: 900_001, premium: "9007199254740993" }, { ...base, id: 900_002, premium: "1" }]);
    const [pool] = ((await (await api("/v1/pools")).json()) as { pools: { premiumIncome: { received: string } }[] }).pools;
    expect(pool!.premiumIncome.received).toBe("9007199254740994");
  });
});

describe("GET /v1/incidents and /v1/payouts (from the chain index)", () => {
  it("lists indexed incidents with their evidence and payouts per policy, filtered and paginated", async () => {
    const d = drizzle(env.DB);
    await d.insert(incidents).values([
      { id: 1, chainId: chain.chainId, productId: 2, status: "confirmed", incidentTime: 100, firedAt: 200, confirmedAt: 201, liability: "5000", reserve: "5000", paid: "5000",
        proofHex: "0x01", evidenceJson: JSON.stringify({ fromRound: "2", toRound: "3", readings: ["100", "40"], block: 12 }), fireTxHash: "0xaa", confirmTxHash: "0xbb" },
      { id: 2, chainId: chain.chainId, productId: 3, status: "pending", incidentTime: 300, firedAt: 400, liability: "0", proofHex: "0x02", evidenceJson: "{}", fireTxHash: "0xcc" },
    ]);
    await d.insert(payouts).values([
      { policyId: 7, incidentId: 1, recipient: "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65", amount: "3000", txHash: "0xdd", blockNumber: 13, paidAt: 210 },
      { policyId: 9, incidentId: 1, recipient: "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65", amount: "2000", deferred: true, txHash: "0xdd", blockNumber: 13, paidAt: 210 },
    ]);
    const all = (await (await api("/v1/incidents")).json()) as { incidents: { id: number; evidence: { details: { fromRound: string } } }[] };
    expect(all.incidents.map((i) => i.id)).toEqual([1, 2]);
    expect(all.incidents[0]!.evidence.details.fromRound).toBe("2");
    const filtered = (await (await api("/v1/incidents?product=3")).json()) as { incidents: { id: number }[] };
    expect(filtered.incidents.map((i) => i.id)).toEqual([2]);
    const page = (await (await api("/v1/payouts?incident=1&limit=1")).json()) as { payouts: { policyId: number; recipient: string }[]; next: number };
    expect(page.payouts.map((p) => p.policyId)).toEqual([7]);
    expect(page.payouts[0]!.recipient).toBe("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
    const rest = (await (await api(`/v1/payouts?incident=1&after=${page.next}`)).json()) as { payouts: { policyId: number; deferred: boolean }[] };
    expect(rest.payouts).toEqual([expect.objectContaining({ policyId: 9, deferred: true })]);
    expect((await api("/v1/incidents?limit=0")).status).toBe(400);
  });
});

describe("GET /v1/pools/history", () => {
  it("the keeper records the pool at most every 15 minutes of block time; the history pages oldest first", async () => {
    const first = await tick();
    expect(first.error).toBeUndefined();
    const { snapshots } = (await (await api("/v1/pools/history")).json()) as { snapshots: { id: number; blockNumber: number; observedAt: number; totalAssets: string; totalShares: string; sharePrice: { assets: string; perShares: string } }[] };
    expect(snapshots).toHaveLength(1);
    const s = snapshots[0]!;
    const at = BigInt(s.blockNumber);
    const read = (functionName: "totalAssets" | "totalSupply") => publicClient.readContract({ address: chain.contracts.CoverPool!, abi: poolAbi, functionName, blockNumber: at });
    expect(s.totalAssets).toBe(String(await read("totalAssets")));
    expect(s.totalShares).toBe(String(await read("totalSupply")));
    expect(s.sharePrice.perShares).toBe("1000000000000");
    expect(s.sharePrice.assets).toBe(String(await publicClient.readContract({ address: chain.contracts.CoverPool!, abi: poolAbi, functionName: "convertToAssets", args: [10n ** 12n], blockNumber: at })));
    // Another run right away records nothing; one 15 minutes of block time later does.
    await tick();
    expect(((await (await api("/v1/pools/history")).json()) as { snapshots: unknown[] }).snapshots).toHaveLength(1);
    // (The chain is shared by the suites: rather than move its clock, the snapshot is made 15 minutes old.)
    await env.DB.prepare("UPDATE pool_snapshots SET observed_at = observed_at - 900").run();
    await tick();
    const after = ((await (await api("/v1/pools/history")).json()) as { snapshots: { observedAt: number }[] }).snapshots;
    expect(after).toHaveLength(2);
    expect(after[1]!.observedAt - after[0]!.observedAt).toBeGreaterThanOrEqual(900);
    // Paging and the time filter.
    const page = (await (await api("/v1/pools/history?limit=1")).json()) as { snapshots: { id: number }[]; next: number | null };
    expect(page.snapshots).toHaveLength(1);
    const rest = (await (await api(`/v1/pools/history?limit=1&after=${page.next}`)).json()) as { snapshots: { observedAt: number }[] };
    expect(rest.snapshots[0]!.observedAt).toBe(after[1]!.observedAt);
    expect(((await (await api(`/v1/pools/history?since=${after[1]!.observedAt}`)).json()) as { snapshots: unknown[] }).snapshots).toHaveLength(1);
    const bad = await api("/v1/pools/history?limit=0");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
});
