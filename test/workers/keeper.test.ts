import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { chain } from "./helpers/chain";
import { createKey } from "./helpers/keys";
import { api, balanceOf, buyPolicy, deployFeed, incidentsOf, listTvlProduct, moveFeed, passCoverageLag, tick, tickUntil, timesPaid, USD } from "./helpers/keeper";

describe("keeper end to end: buy through the API, move a feed, run ticks, get paid", () => {
  let exploited: number;
  let dipped: number;
  let exploitedFeed: `0x${string}`;
  let dippedFeed: `0x${string}`;
  beforeAll(async () => {
    exploitedFeed = await deployFeed(1_000_000n);
    dippedFeed = await deployFeed(1_000_000n);
    exploited = await listTvlProduct(exploitedFeed, "E2E lending TVL");
    dipped = await listTvlProduct(dippedFeed, "E2E dex TVL");
  });

  it("a 70% TVL drop pays the policy owner the cover amount once; a 20% dip pays nothing", async () => {
    const paid = await buyPolicy(exploited, 1_000n * USD);
    const missed = await buyPolicy(dipped, 2_000n * USD, chain.keys.beneficiary);
    // A first run records the readings; nothing is near a trigger.
    const first = await tick();
    expect(first.error).toBeUndefined();
    expect(first.actions).toEqual([]);

    await passCoverageLag();
    // Heartbeat rounds once the cover is in force, then the exploit and the near miss.
    await moveFeed(exploitedFeed, 1_000_000n);
    await moveFeed(dippedFeed, 1_000_000n);
    await moveFeed(exploitedFeed, 300_000n);
    await moveFeed(dippedFeed, 800_000n);
    const before = await balanceOf(paid.owner);
    const missedBefore = await balanceOf(missed.owner);

    const runs = await tickUntil(async () => (await timesPaid(paid.policyId)) > 0);
    const fired = runs[0]!.actions!.filter((a) => a.kind === "fire");
    expect(fired).toHaveLength(1);
    expect(fired[0]!.status).toBe("mined");
    expect(runs[0]!.actions!.filter((a) => a.kind === "confirm" && a.status === "mined")).toHaveLength(1);
    expect((await balanceOf(paid.owner)) - before).toBe(1_000n * USD);

    // More runs change nothing: paid once, the near miss never fires.
    await tick();
    await tick();
    expect(await timesPaid(paid.policyId)).toBe(1);
    expect(await timesPaid(missed.policyId)).toBe(0);
    expect(await incidentsOf(dipped)).toHaveLength(0);
    expect(await balanceOf(missed.owner)).toBe(missedBefore);

    // The index caught up: the incident with its evidence, the payout, the policy paid.
    const incidents = (await (await api(`/v1/incidents?product=${exploited}`)).json()) as { incidents: { id: number; status: string; evidence: { details: { conditions: { rounds: { answer: string }[] }[] } } }[] };
    expect(incidents.incidents).toHaveLength(1);
    expect(incidents.incidents[0]!.status).toBe("confirmed");
    expect(incidents.incidents[0]!.evidence.details.conditions[0]!.rounds.map((r) => r.answer)).toEqual([String(1_000_000n * 10n ** 8n), String(300_000n * 10n ** 8n)]);
    const payouts = (await (await api(`/v1/payouts?incident=${incidents.incidents[0]!.id}`)).json()) as { payouts: { policyId: number; amount: string; recipient: string }[] };
    expect(payouts.payouts).toEqual([expect.objectContaining({ policyId: paid.policyId, amount: String(1_000n * USD), recipient: paid.owner })]);
    const policy = (await (await api(`/v1/policies/${paid.policyId}`)).json()) as { status: string };
    expect(policy.status).toBe("paid");
    // The near miss was recorded as an observation, 30% from the trip level of its 1,000,000 peak.
    const watch = await env.DB.prepare("SELECT distance_bps AS d, valid FROM keeper_watch WHERE product_id = ?").bind(dipped).first<{ d: number; valid: number }>();
    expect(watch).toEqual({ d: 3000, valid: 1 });
  });

  it("operators read recent runs and what each did through GET /v1/admin/keeper/runs (admin key only)", async () => {
    const ran = await tick();
    expect(ran.ran).toBe(true);
    expect((await api("/v1/admin/keeper/runs")).status).toBe(401);
    const reader = await createKey(["integrator"]);
    expect((await api("/v1/admin/keeper/runs", { headers: { authorization: `Bearer ${reader}` } })).status).toBe(403);
    const admin = await createKey(["admin"]);
    const res = await api("/v1/admin/keeper/runs?limit=2", { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const { runs } = (await res.json()) as { runs: { scheduledAt: number; status: string; summary: { products: number; subrequests: { total: number }; d1: { queries: number } } }[] };
    expect(runs).toHaveLength(2);
    expect(runs[0]!.scheduledAt).toBe(ran.scheduledAt);
    expect(runs[1]!.scheduledAt).toBeLessThan(ran.scheduledAt);
    expect(runs[0]!.status).toBe("done");
    expect(runs[0]!.summary.products).toBe(ran.products);
    expect(runs[0]!.summary.subrequests.total).toBe(ran.subrequests!.total);
    expect(runs[0]!.summary.d1.queries).toBeGreaterThan(0);
    const older = (await (await api(`/v1/admin/keeper/runs?limit=1&before=${ran.scheduledAt}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { runs: { scheduledAt: number }[] };
    expect(older.runs[0]!.scheduledAt).toBe(runs[1]!.scheduledAt);
    expect((await api("/v1/admin/keeper/runs?limit=0", { headers: { authorization: `Bearer ${admin}` } })).status).toBe(400);
  });
});
