import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import { apiKeys, incidents, policies } from "../../db/schema";
import { signWebhook } from "../../workers/keeper/webhooks";
import { hashApiKey, newApiKey } from "../../workers/keys";
import { chain } from "./helpers/chain";
import { api, buyPolicy, deployFeed, listTvlProduct, moveFeed, passCoverageLag, tick, tickUntil, timesPaid, USD } from "./helpers/keeper";
import { createKey, json } from "./helpers/keys";

type Received = { name: string; headers: Record<string, string>; body: string; status: number };
const received = async (name: string) => ((await (await fetch(`${chain.hookSinkUrl}/__received`)).json()) as Received[]).filter((r) => r.name === name);

let admin: string;
let integrator: string;
beforeAll(async () => {
  admin = await createKey(["admin"]);
  integrator = newApiKey();
  await drizzle(env.DB).insert(apiKeys).values({ keyHash: await hashApiKey(integrator), prefix: integrator.slice(0, 10), name: "wallet app", scopes: "integrator", integrator: "0x00000000000000000000000000000000000000aa" });
});

describe("webhooks", () => {
  it("registration: admin or integrator keys, https (or localhost) URLs, known events; the secret is shown once", async () => {
    expect((await api("/v1/webhooks", json("POST", { url: "https://example.com/h", events: ["payout.sent"] }))).status).toBe(401);
    expect((await api("/v1/webhooks", json("POST", { url: "http://example.com/h", events: ["payout.sent"] }, admin))).status).toBe(400);
    expect((await api("/v1/webhooks", json("POST", { url: "https://example.com/h", events: ["made.up"] }, admin))).status).toBe(400);
    const res = await api("/v1/webhooks", json("POST", { url: "https://example.com/h", events: ["payout.sent"] }, integrator));
    expect(res.status).toBe(201);
    const hook = (await res.json()) as { id: number; secret: string };
    expect(hook.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const list = (await (await api("/v1/webhooks", { headers: { authorization: `Bearer ${integrator}` } })).json()) as { webhooks: { id: number; secret?: string }[] };
    expect(list.webhooks.map((w) => w.id)).toContain(hook.id);
    expect(list.webhooks[0]).not.toHaveProperty("secret");
    expect((await api(`/v1/webhooks/${hook.id}`, { method: "DELETE", headers: { authorization: `Bearer ${admin}` } })).status).toBe(404); // not the admin's hook
    expect((await api(`/v1/webhooks/${hook.id}`, { method: "DELETE", headers: { authorization: `Bearer ${integrator}` } })).status).toBe(204);
  });

  it("incident and payout events are delivered signed, retried with backoff after a failure, each attempt recorded", async () => {
    const created = await api("/v1/webhooks", json("POST", { url: `${chain.hookSinkUrl}/hook/ops?fail=1`, events: ["incident.opened", "incident.confirmed", "payout.sent"] }, admin));
    const hook = (await created.json()) as { id: number; secret: string };
    const theirs = (await (await api("/v1/webhooks", json("POST", { url: `${chain.hookSinkUrl}/hook/wallet`, events: ["payout.sent"] }, integrator))).json()) as { id: number };

    const feed = await deployFeed(1_000_000n);
    const product = await listTvlProduct(feed, "Webhook lending TVL");
    const { policyId } = await buyPolicy(product, 800n * USD);
    await passCoverageLag();
    await moveFeed(feed, 1_000_000n);
    await moveFeed(feed, 250_000n);
    await tickUntil(async () => (await timesPaid(policyId)) === 1);
    await tick(); // indexes the events and delivers them (the first attempt fails)

    const deliveries = async () =>
      ((await (await api(`/v1/webhooks/${hook.id}/deliveries`, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
        deliveries: { eventType: string; attempt: number; status: string; responseStatus: number | null; nextAttemptAt: number | null }[];
      }).deliveries;
    const first = await deliveries();
    expect(first.filter((d) => d.status === "failed")).toEqual([expect.objectContaining({ attempt: 1, responseStatus: 500 })]);
    const retry = first.find((d) => d.attempt === 2)!;
    expect(retry.status).toBe("pending");
    expect(retry.nextAttemptAt! - Math.floor(Date.now() / 1000)).toBeGreaterThan(20); // 30 s backoff

    // Time passes: the retry is due on a later run. (The chain is shared: this file's first run
    // indexed other suites' incidents too, so there are more events than ours; runs drain them.)
    await env.DB.prepare("UPDATE webhook_deliveries SET next_attempt_at = 0 WHERE status = 'pending'").run();
    for (let i = 0; i < 5 && (await deliveries()).some((d) => d.status === "pending"); i++) await tick();
    expect((await deliveries()).filter((d) => d.status === "pending")).toEqual([]);
    const ok = (await received("ops")).filter((r) => r.status === 204);
    const events = ok.map((r) => ({ type: r.headers["tripwire-event"], body: JSON.parse(r.body) as { type: string; data: Record<string, unknown> } }));
    const opened = events.filter((e) => e.type === "incident.opened" && e.body.data.productId === product);
    expect(opened).toHaveLength(1);
    const incidentId = opened[0]!.body.data.incidentId;
    expect(events.filter((e) => e.type === "incident.confirmed" && e.body.data.incidentId === incidentId)).toHaveLength(1);
    const payout = events.filter((e) => e.type === "payout.sent" && e.body.data.policyId === policyId);
    expect(payout).toHaveLength(1);
    expect(payout[0]!.body).toMatchObject({ type: "payout.sent", data: { policyId, amount: String(800n * USD), incidentId } });

    // Each body is signed with the hook's secret over "<t>.<body>".
    for (const r of ok) {
      const t = Number(/t=(\d+)/.exec(r.headers["tripwire-signature"]!)![1]);
      expect(r.headers["tripwire-signature"]).toBe(await signWebhook(hook.secret, t, r.body));
    }
    // The integrator's hook hears only about policies it sold: this one had no integrator.
    expect(await received("wallet")).toEqual([]);
    expect(theirs.id).toBeGreaterThan(0);
  });

  it("policy.expiring is raised once per policy, 24 h before its end, and not for cover its product's close ended", async () => {
    await api("/v1/webhooks", json("POST", { url: `${chain.hookSinkUrl}/hook/expiry`, events: ["policy.expiring"] }, admin));
    const now = Math.floor(Date.now() / 1000);
    const row = {
      chainId: chain.chainId, owner: "0x00000000000000000000000000000000000000bb", payer: "0x00000000000000000000000000000000000000bb",
      coverAmount: "1000000", premium: "1000", startAt: now - 86_400, endAt: now + 3_600, integrator: "0x0000000000000000000000000000000000000000",
      status: "active" as const, txHash: "0x00", blockNumber: 1,
    };
    await drizzle(env.DB).insert(policies).values([{ ...row, id: 900_001, productId: 1 }, { ...row, id: 900_002, productId: 900_002 }]);
    // Policy 900,002's generation was ended by a confirmed incident fired after its purchase (block
    // 5 > 1): it is not active at that incident's time and will never be paid or run to its end.
    await drizzle(env.DB).insert(incidents).values({
      id: 900_002, chainId: chain.chainId, productId: 900_002, status: "closed", incidentTime: now - 90_000, firedAt: now - 89_000, liability: "0",
      proofHex: "0x", evidenceJson: "{}", fireTxHash: "0x00", firedBlock: 5,
    });
    await tick();
    await tick();
    const got = await received("expiry");
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0]!.body)).toMatchObject({ type: "policy.expiring", data: { policyId: 900_001, endAt: now + 3_600 } });
  });
});
