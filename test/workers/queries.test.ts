import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { apiKeyByHash, insertApiKey, listApiKeys, revokeApiKey } from "../../db/queries/apiKeys";
import { cursorStatement, indexStatements, rollbackAfter, type IndexChanges } from "../../db/queries/chainIndex";
import { openIntents, queuedIntentStatement, recordIntent } from "../../db/queries/keeperIntents";
import { claimRun, finishRunStatement, listRuns } from "../../db/queries/keeperRuns";
import { readingStatements, type Reading } from "../../db/queries/keeperWatch";
import { jsonChunks } from "../../db/queries/sql";
import { payablePolicies } from "../../db/queries/policies";
import { deactivateWebhook, deliveriesOf, insertWebhook, webhookOf, webhooksOf } from "../../db/queries/webhooks";

// The query helpers on their own, against this file's own D1 (migrations applied), apart from
// the routes that use them.
const db = env.DB;
const CHAIN = 31337;
const ADDR = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
const ZERO = "0x0000000000000000000000000000000000000000";
const noChanges = (): IndexChanges => ({ policies: [], owners: [], opened: [], incidentChanges: [], payouts: [], deferred: [], products: [] });

describe("db/queries: api keys", () => {
  it("stores a key's hash, finds it by hash, lists newest first, revokes once", async () => {
    const a = await insertApiKey(db, { keyHash: "h-a", prefix: "tw_aaaa", name: "a", scopes: "integrator", integrator: ADDR });
    const b = await insertApiKey(db, { keyHash: "h-b", prefix: "tw_bbbb", name: "b", scopes: "admin", integrator: null });
    expect((await apiKeyByHash(db, "h-a"))?.id).toBe(a.id);
    expect(await apiKeyByHash(db, "h-none")).toBeUndefined();
    expect((await listApiKeys(db)).map((k) => k.id).slice(0, 2)).toEqual([b.id, a.id]);
    expect(await revokeApiKey(db, a.id, 1_000)).toBe(true);
    expect(await revokeApiKey(db, a.id, 2_000)).toBe(false); // already revoked: its time stays
    expect((await apiKeyByHash(db, "h-a"))?.revokedAt).toBe(1_000);
    expect(await revokeApiKey(db, 999_999, 1_000)).toBe(false);
  });
});

describe("db/queries: webhooks", () => {
  it("a hook is found only by the key that registered it; deliveries page newest first", async () => {
    const mine = await insertWebhook(db, { apiKeyId: 1, url: "https://a.example/hook", secret: "s", events: "payout.sent" });
    await insertWebhook(db, { apiKeyId: 2, url: "https://b.example/hook", secret: "s", events: "payout.sent" });
    expect((await webhooksOf(db, 1)).map((w) => w.url)).toEqual(["https://a.example/hook"]);
    expect(await webhookOf(db, 2, mine.id)).toBeUndefined();
    await deactivateWebhook(db, mine.id);
    expect((await webhookOf(db, 1, mine.id))?.active).toBe(false);
    await db.batch(
      [1, 2, 3].map((k) =>
        db.prepare("INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, payload, attempt, status, next_attempt_at) VALUES (?, 'payout.sent', ?, '{}', 1, 'pending', 0)").bind(mine.id, `e${k}`),
      ),
    );
    const first = await deliveriesOf(db, mine.id, undefined, 2);
    expect(first.map((d) => d.eventId)).toEqual(["e3", "e2"]);
    expect((await deliveriesOf(db, mine.id, first[1]!.id, 2)).map((d) => d.eventId)).toEqual(["e1"]);
  });
});

describe("db/queries: keeper runs", () => {
  it("one run per schedule; an overlapping run is refused inside the lease and may take over after it", async () => {
    expect(await claimRun(db, 100, 100, 60)).toBe(true);
    expect(await claimRun(db, 100, 101, 60)).toBe(false); // the same run again
    expect(await claimRun(db, 160, 120, 60)).toBe(false); // another run while 100's lease holds
    expect(await claimRun(db, 160, 161, 60)).toBe(true); // 100 died: its lease is over
    await finishRunStatement(db, 160, "done", 170, { products: 3, amount: 5n }).run();
    expect(await claimRun(db, 160, 171, 60)).toBe(false); // done stays done
    const runs = await listRuns(db, 10);
    expect(runs.map((r) => [r.scheduledAt, r.status])).toEqual([[160, "done"], [100, "running"]]);
    expect(JSON.parse(runs[0]!.summaryJson!)).toEqual({ products: 3, amount: "5" });
    expect((await listRuns(db, 10, 160)).map((r) => r.scheduledAt)).toEqual([100]);
  });
});

describe("db/queries: keeper intents (the TxSender's status names)", () => {
  it("queued → the sender's record; open until final; queued again only after a failure or revert", async () => {
    const signer = "0x00000000000000000000000000000000000000aa";
    const base = { signer, kind: "settle" as const, target: ADDR, calldata: "0x01" };
    await queuedIntentStatement(db, { id: "i1", ...base }).run();
    await queuedIntentStatement(db, { id: "i2", ...base }).run();
    expect((await openIntents(db, signer)).map((i) => [i.id, i.status])).toEqual([["i1", "queued"], ["i2", "queued"]]);
    await recordIntent(db, { id: "i1", ...base, nonce: 4, txHash: "0xaa", status: "mined", attempts: 1, lastError: null });
    await recordIntent(db, { id: "i2", ...base, nonce: 5, txHash: "0xbb", status: "reverted", attempts: 1, lastError: "reverted on-chain" });
    expect(await openIntents(db, signer)).toEqual([]);
    // A mined intent is not re-queued; a reverted one is, and so is one a sender has only signed
    // (its batch counts as in flight again for the next runs, as before the statuses were renamed).
    await queuedIntentStatement(db, { id: "i3", ...base }).run();
    await recordIntent(db, { id: "i3", ...base, nonce: 6, txHash: null, status: "signed", attempts: 0, lastError: null });
    await db.prepare("UPDATE keeper_intents SET updated_at = 1 WHERE id = 'i3'").run();
    await queuedIntentStatement(db, { id: "i3", ...base }).run();
    expect((await db.prepare("SELECT updated_at AS t FROM keeper_intents WHERE id = 'i3'").first<{ t: number }>())!.t).toBeGreaterThan(1);
    await queuedIntentStatement(db, { id: "i1", ...base }).run();
    await queuedIntentStatement(db, { id: "i2", ...base }).run();
    const rows = await db.prepare("SELECT id, status FROM keeper_intents WHERE signer = ? ORDER BY id").bind(signer).all<{ id: string; status: string }>();
    expect(rows.results).toEqual([{ id: "i1", status: "mined" }, { id: "i2", status: "reverted" }, { id: "i3", status: "signed" }]);
  });
});

describe("db/queries: chain index and payable policies", () => {
  const policy = (id: number, startAt: number, endAt: number, blockNumber: number) => ({
    id, productId: 7, owner: ADDR, payer: ADDR, coverAmount: "1000", premium: "10", startAt, endAt, integrator: ZERO, txHash: `0x${id}`, blockNumber,
  });

  it("indexes purchases and payouts; payable = active at the incident time, unpaid; a deep reorg rolls back", async () => {
    await db.batch([
      ...indexStatements(db, CHAIN, { ...noChanges(), policies: [policy(1, 0, 100, 10), policy(2, 60, 200, 10), policy(3, 0, 40, 11), policy(4, 0, 300, 20)] }),
      cursorStatement(db, CHAIN, 20, "0xhead"),
    ]);
    // At t = 50: 1 (0–100), 2 not yet (starts 60), 3 ended at 40, 4 (0–300).
    expect(await payablePolicies(db, CHAIN, 1, 7, 50, 10)).toEqual([1, 4]);
    await db.batch(
      indexStatements(db, CHAIN, {
        ...noChanges(),
        opened: [{ id: 1, productId: 7, incidentTime: 50, firedAt: 55, liability: "2000", proofHex: "0x", evidenceJson: "{}", fireTxHash: "0xf", firedBlock: 21 }],
        payouts: [{ policyId: 1, incidentId: 1, recipient: ADDR, amount: "1000", deferred: false, txHash: "0xp", blockNumber: 22, paidAt: 60 }],
      }),
    );
    expect(await payablePolicies(db, CHAIN, 1, 7, 50, 10)).toEqual([4]);
    const paid = await db.prepare("SELECT paid FROM incidents WHERE id = 1").first<{ paid: string }>();
    expect(paid?.paid).toBe("1000");
    // A reorg after block 19 drops policy 4 (block 20), the incident and the payout; policy 1 is unpaid again.
    await rollbackAfter(db, CHAIN, 19);
    const left = await db.prepare("SELECT id, status FROM policies ORDER BY id").all<{ id: number; status: string }>();
    expect(left.results).toEqual([{ id: 1, status: "active" }, { id: 2, status: "active" }, { id: 3, status: "active" }]);
    expect(await db.prepare("SELECT COUNT(*) AS n FROM incidents").first<{ n: number }>()).toEqual({ n: 0 });
    expect(await db.prepare("SELECT COUNT(*) AS n FROM payouts").first<{ n: number }>()).toEqual({ n: 0 });
  });
});

describe("db/queries: large writes stay inside D1's string limit", () => {
  it("jsonChunks packs whole rows into arrays of at most maxBytes", () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ i, pad: "x".repeat(90), big: 10n ** 30n }));
    const chunks = jsonChunks(rows, 1_000);
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(1_000);
    expect(chunks.flatMap((c) => JSON.parse(c) as { i: number }[]).map((r) => r.i)).toEqual(rows.map((r) => r.i));
    expect(JSON.parse(chunks[0]!)[0].big).toBe("1000000000000000000000000000000");
  });

  it("10,000 readings (a keeper run over 10,000 products) are written in several statements, every one kept", async () => {
    const reading = (productId: number): Reading => ({
      productId, source: ADDR, roundId: String(18_446_744_073_709_551_616n + BigInt(productId)), answer: "100000000000000", updatedAt: 1_700_000_000,
      paused: null, valid: true, problem: null, distanceBps: 5_000, blockNumber: 123, observedAt: 1_700_000_060,
    });
    const all = Array.from({ length: 10_000 }, (_, k) => reading(k + 1));
    const statements = readingStatements(db, all, all);
    expect(statements.length).toBeGreaterThanOrEqual(4); // one JSON parameter of all of them is over D1's 2 MB
    await db.batch(statements);
    expect(await db.prepare("SELECT COUNT(*) AS n FROM keeper_watch").first<{ n: number }>()).toEqual({ n: 10_000 });
    expect(await db.prepare("SELECT COUNT(*) AS n FROM observations").first<{ n: number }>()).toEqual({ n: 10_000 });
  });
});
