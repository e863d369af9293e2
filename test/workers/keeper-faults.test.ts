import { env } from "cloudflare:workers";
import { toFunctionSelector } from "viem";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { claimRun } from "../../db/queries/keeperRuns";
import { runTick } from "../../workers/keeper/tick";
import { chain, publicClient } from "./helpers/chain";
import { anvil, buyPolicy, deployFeed, fault, incidentsOf, listTvlProduct, moveFeed, passCoverageLag, tick, tickUntil, timesPaid, USD } from "./helpers/keeper";

/*
 * Every scenario ends with every payable policy paid exactly once and nothing paid on invalid
 * data. Scenarios share one chain; each has its own product, feed and policies, all bought before
 * the chain is moved past the coverage lag once.
 */
type Scenario = { feed: `0x${string}`; product: number; policies: number[] };
const names = ["rpc-errors", "timeouts", "dropped", "stale-head", "reorg", "killed", "stale-data", "future-data", "zero-data", "runs", "logs-down"] as const;
const s = {} as Record<(typeof names)[number], Scenario>;

beforeAll(async () => {
  for (const name of names) {
    const feed = await deployFeed(1_000_000n);
    const product = await listTvlProduct(feed, `Faults ${name}`);
    const count = name === "dropped" || name === "reorg" ? 3 : 1;
    const policies: number[] = [];
    for (let i = 0; i < count; i++) policies.push((await buyPolicy(product, 500n * USD)).policyId);
    s[name] = { feed, product, policies };
  }
  await passCoverageLag();
  await tick(); // readings before anything moves
}, 120_000);

afterEach(async () => {
  await fault({ mode: "clear" });
});

/** A heartbeat round at the peak, then a 70% drop: the product's trigger trips. */
async function exploit(x: Scenario) {
  await moveFeed(x.feed, 1_000_000n);
  await moveFeed(x.feed, 300_000n);
}
const allPaidOnce = (x: Scenario) => async () => (await Promise.all(x.policies.map(timesPaid))).every((n) => n === 1);
async function expectPaidExactlyOnce(x: Scenario) {
  await tick(); // one more run after payment changes nothing
  for (const id of x.policies) expect(await timesPaid(id)).toBe(1);
  expect(await incidentsOf(x.product)).toHaveLength(1);
}

describe("keeper under RPC faults", () => {
  it("RPC errors: the failed run is recorded, a later run pays", async () => {
    await exploit(s["rpc-errors"]);
    await fault({ mode: "error", count: 4 });
    const failed = await tick();
    expect(failed.error).toMatch(/HttpRequestError|503/);
    const run = await env.DB.prepare("SELECT status FROM keeper_runs WHERE scheduled_at = ?").bind(failed.scheduledAt).first<{ status: string }>();
    expect(run?.status).toBe("failed");
    await fault({ mode: "clear" });
    await tickUntil(allPaidOnce(s["rpc-errors"]));
    await expectPaidExactlyOnce(s["rpc-errors"]);
  });

  it("timeouts: a run whose RPC calls time out pays on a later run", async () => {
    await exploit(s.timeouts);
    await fault({ mode: "timeout", count: 2, delayMs: 9_000 });
    const slow = await tick();
    expect(slow.error).toMatch(/Timeout|took too long/i);
    await fault({ mode: "clear" });
    await tickUntil(allPaidOnce(s.timeouts));
    await expectPaidExactlyOnce(s.timeouts);
  });

  it("a response dropped after broadcast: the recorded intent finds its transaction; one fire, one payout each", async () => {
    await exploit(s.dropped);
    await fault({ mode: "drop-after-broadcast", count: 3 });
    await tickUntil(allPaidOnce(s.dropped));
    const stats = await fault({ mode: "clear" });
    expect(stats.dropped).toBeGreaterThanOrEqual(1);
    await expectPaidExactlyOnce(s.dropped);
  });

  it("a stale head (behind what was indexed) makes a run act on nothing; the next fresh run pays", async () => {
    await exploit(s["stale-head"]);
    const cursor = await env.DB.prepare("SELECT block_number AS b FROM chain_cursor").first<{ b: number }>();
    await fault({ mode: "stale-head", head: cursor!.b - 3 });
    const stale = await tick();
    expect(stale.skipped).toBe("stale-head");
    expect(stale.actions).toBeUndefined();
    expect(await incidentsOf(s["stale-head"].product)).toHaveLength(0);
    await fault({ mode: "clear" });
    await tickUntil(allPaidOnce(s["stale-head"]));
    await expectPaidExactlyOnce(s["stale-head"]);
  });

  it("a reorg of the settlement block: the settlement is sent again and each policy is paid once", async () => {
    await exploit(s.reorg);
    await fault({ mode: "snapshot-before-raw", selector: toFunctionSelector("function settle(uint256,uint256[])") });
    await tickUntil(allPaidOnce(s.reorg));
    const { snapshot } = await fault({ mode: "clear" });
    expect(snapshot).not.toBeNull();
    await tick(); // the payouts are indexed (confirmation depth 0 here): D1 must be corrected after the reorg
    const indexed = await env.DB.prepare("SELECT COUNT(*) AS n FROM payouts WHERE policy_id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(s.reorg.policies)).first<{ n: number }>();
    expect(indexed?.n).toBe(3);
    // The settlement block (and anything after it) disappears; the chain grows past it again.
    expect(await anvil("evm_revert", [snapshot])).toBe(true);
    for (const id of s.reorg.policies) expect(await timesPaid(id)).toBe(0);
    for (let i = 0; i < 4; i++) await anvil("evm_mine");
    const runs = await tickUntil(allPaidOnce(s.reorg));
    expect(runs.some((r) => r.indexed?.reorgFork !== null)).toBe(true);
    await expectPaidExactlyOnce(s.reorg);
    // D1 agrees with the chain: each policy has one payout row, in a block that still exists.
    const rows = await env.DB.prepare("SELECT policy_id AS id, block_number AS b, tx_hash AS tx FROM payouts WHERE policy_id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(s.reorg.policies)).all<{ id: number; b: number; tx: `0x${string}` }>();
    await tick();
    for (const r of rows.results) expect((await publicClient.getTransactionReceipt({ hash: r.tx })).blockNumber).toBe(BigInt(r.b));
  });

  it("a run killed mid-way (RPC gone after its first requests) is finished by the next run", async () => {
    await exploit(s.killed);
    await fault({ mode: "error", count: 1_000, after: 3 });
    const cut = await tick();
    expect(cut.error).toBeDefined();
    await fault({ mode: "clear" });
    await tickUntil(allPaidOnce(s.killed));
    await expectPaidExactlyOnce(s.killed);
  });
});

describe("keeper on invalid oracle data", () => {
  it("stale and future readings are recorded as invalid and never fire; a TVL reading of 0 is a full drain and fires", async () => {
    const block = await publicClient.getBlock();
    await moveFeed(s["stale-data"].feed, 100_000n, block.timestamp - 3n * 86_400n); // older than the 2-day max age
    await moveFeed(s["future-data"].feed, 100_000n, block.timestamp + 3_600n);
    await moveFeed(s["zero-data"].feed, 0n, block.timestamp);
    const run = await tick();
    const problems = Object.fromEntries(run.invalid!.map((i) => [i.productId, i.problem]));
    expect(problems[s["stale-data"].product]).toBe("stale");
    expect(problems[s["future-data"].product]).toBe("updated-in-future");
    // A TVL feed may report a protocol drained to nothing as 0: a reading, not a malfunction.
    expect(problems[s["zero-data"].product]).toBeUndefined();
    await tickUntil(allPaidOnce(s["zero-data"]));
    expect(await incidentsOf(s["zero-data"].product)).toHaveLength(1);
    for (const name of ["stale-data", "future-data"] as const) {
      expect(await incidentsOf(s[name].product)).toHaveLength(0);
      expect(await timesPaid(s[name].policies[0]!)).toBe(0);
      const obs = await env.DB.prepare("SELECT valid, problem FROM observations WHERE product_id = ? ORDER BY id DESC LIMIT 1").bind(s[name].product).first<{ valid: number; problem: string }>();
      expect(obs?.valid).toBe(0);
    }
  });
});

describe("bounded indexing", () => {
  it("a provider that refuses wide log ranges and a 1-log run budget: ranges are halved, runs resume from the cursor, every event is indexed once", async () => {
    const feed = await deployFeed(1_000_000n);
    const product = await listTvlProduct(feed, "Faults log ranges");
    const bought = [];
    for (let i = 0; i < 3; i++) bought.push((await buyPolicy(product, 100n * USD)).policyId);
    // Each purchase is three blocks (faucet, approve, buy): six blocks hold two purchases, four logs.
    await fault({ mode: "logs-range-limit", maxBlocks: 6 });
    const head = Number(await publicClient.getBlockNumber());
    const runs = [];
    for (let i = 0; i < 40; i++) {
      const run = await tick({ KEEPER_INDEX_MAX_LOGS: "1" });
      expect(run.error).toBeUndefined();
      runs.push(run);
      if (run.indexed!.to >= head) break;
    }
    const first = runs[0]!.indexed!.from;
    const last = runs[runs.length - 1]!.indexed!.to;
    expect(last).toBeGreaterThanOrEqual(head);
    const stats = await fault({ mode: "clear" });
    expect(stats.refusedLogRanges).toBeGreaterThan(0);
    for (const [k, r] of runs.entries()) {
      // Each run covers at most the 6 blocks the provider allows, continues where the last one stopped,
      // holds one log or the one block that holds more (a purchase block has two), and ends on a
      // block whose hash it recorded right (a wrong one would read as a reorg on the next run).
      expect(r.indexed!.to - r.indexed!.from + 1).toBeLessThanOrEqual(6);
      expect(r.indexed!.reorgFork).toBeNull();
      if (k > 0) expect(r.indexed!.from).toBe(runs[k - 1]!.indexed!.to + 1);
      expect(r.indexed!.events).toBeLessThanOrEqual(2);
    }
    const logs = await publicClient.getLogs({ address: chain.contracts.CoverMarket as `0x${string}`, fromBlock: BigInt(first), toBlock: BigInt(last) });
    expect(runs.reduce((n, r) => n + r.indexed!.events, 0)).toBe(logs.length);
    const rows = await env.DB.prepare("SELECT id, block_number AS b FROM policies WHERE product_id = ? ORDER BY id").bind(product).all<{ id: number; b: number }>();
    expect(rows.results.map((r) => r.id)).toEqual(bought);
    for (const r of rows.results) expect(r.b).toBeGreaterThanOrEqual(first);
  });

  it("a dense burst is read in ranges that fit a run's log budget: the span narrows to what a run kept, then widens again", async () => {
    const feed = await deployFeed(1_000_000n);
    const product = await listTvlProduct(feed, "Faults dense burst");
    const bought = [];
    for (let i = 0; i < 4; i++) bought.push((await buyPolicy(product, 100n * USD)).policyId);
    const head = Number(await publicClient.getBlockNumber());
    const spanNow = async () => (await env.DB.prepare("SELECT span_blocks AS s FROM chain_cursor").first<{ s: number | null }>())!.s;
    const settings = { KEEPER_INDEX_MAX_LOGS: "2", KEEPER_INDEX_MAX_BLOCKS: "64" };
    const runs: { from: number; to: number; span: number | null }[] = [];
    for (let i = 0; i < 40 && (runs.length === 0 || runs[runs.length - 1]!.to < head); i++) {
      const run = await tick(settings);
      expect(run.error).toBeUndefined();
      runs.push({ from: run.indexed!.from, to: run.indexed!.to, span: await spanNow() });
    }
    expect(runs[runs.length - 1]!.to).toBeGreaterThanOrEqual(head);
    for (const [k, r] of runs.entries()) {
      if (k === 0) continue;
      const before = runs[k - 1]!.span ?? 64;
      // Each run asks no more than the span the previous one left (the configured most when none).
      expect(r.to - r.from + 1).toBeLessThanOrEqual(before);
    }
    // The burst cut some run short, which narrowed the span to the blocks that run kept.
    const cut = runs.find((r) => r.span !== null && r.span === r.to - r.from + 1);
    expect(cut).toBeDefined();
    // Light runs (a block or two of nothing) widen it again, doubling back to the configured most
    // (stored as null).
    // (The settlement queue and the sender's alarm may still land transactions of earlier
    // scenarios meanwhile: a run that found more than half its log budget holds the span, one
    // cut short narrows it; only light runs are held to doubling.)
    let widened = await spanNow();
    for (let i = 0; i < 30 && widened !== null; i++) {
      await anvil("evm_mine");
      const run = await tick(settings);
      const next = await spanNow();
      const light = run.indexed !== undefined && run.indexed.events * 2 <= 2;
      if (light && next !== null) expect(next).toBeGreaterThanOrEqual(widened!); // doubles when light
      widened = next;
    }
    expect(await spanNow()).toBeNull();
    const rows = await env.DB.prepare("SELECT id FROM policies WHERE product_id = ? ORDER BY id").bind(product).all<{ id: number }>();
    expect(rows.results.map((r) => r.id)).toEqual(bought);
  });

  it("eth_getLogs refused outright: the run still fires, confirms and pays from what D1 holds; the index catches up once logs answer", async () => {
    const x = s["logs-down"];
    await exploit(x);
    await fault({ mode: "logs-range-limit", maxBlocks: 0 });
    const run = await tick();
    expect(run.error).toBeUndefined();
    expect(run.indexError).toMatch(/^LimitExceededRpcError/);
    expect(run.indexed).toBeUndefined();
    expect(run.actions!.filter((a) => a.kind === "fire" && a.status === "mined")).toHaveLength(1);
    expect(run.actions!.filter((a) => a.kind === "confirm" && a.status === "mined")).toHaveLength(1);
    expect(run.settlement!.filter((b) => b.policies > 0).map((b) => b.policies)).toEqual([1]); // earlier scenarios' incidents have nothing left
    await tickUntil(allPaidOnce(x));
    await fault({ mode: "clear" });
    // Once logs answer, the index reads from its cursor to the head (in spans that fit a run's
    // budget) and finds the fire, confirmation and payout it missed.
    const target = Number(await publicClient.getBlockNumber());
    let events = 0;
    for (let i = 0; i < 20; i++) {
      const caughtUp = await tick();
      expect(caughtUp.indexError).toBeUndefined();
      events += caughtUp.indexed!.events;
      if (caughtUp.indexed!.to >= target) break;
    }
    expect(events).toBeGreaterThan(0);
    await expectPaidExactlyOnce(x);
    const payouts = await env.DB.prepare("SELECT COUNT(*) AS n FROM payouts WHERE policy_id = ?").bind(x.policies[0]).first<{ n: number }>();
    expect(payouts?.n).toBe(1);
  });
});

describe("scheduled runs", () => {
  it("a duplicate run does nothing twice, an overlapping run waits for the lease, a dead run is taken over, a skipped minute loses nothing", async () => {
    const t = Date.now() + 3_600_000;
    // Duplicate: the same scheduled time twice at once, then again after it finished.
    const [a, b] = await Promise.all([runTick(env, t), runTick(env, t)]);
    expect([a.ran, b.ran].sort()).toEqual([false, true]);
    expect((await runTick(env, t)).skipped).toBe("lease-held");
    // Overlap: another run holds a live lease; this one does nothing.
    const now = Math.floor(Date.now() / 1000);
    expect(await claimRun(env.DB, now + 7_000, now, 120)).toBe(true);
    const overlapped = await runTick(env, (now + 7_060) * 1000);
    expect(overlapped).toMatchObject({ ran: false, skipped: "lease-held" });
    // Dead: that run never finished; once its lease is over, its own retry or the next run proceeds.
    await env.DB.prepare("UPDATE keeper_runs SET lease_until = ? WHERE scheduled_at = ?").bind(now - 1, now + 7_000).run();
    expect((await runTick(env, (now + 7_000) * 1000)).ran).toBe(true);
    // Skipped minutes: the exploit happens while no run is scheduled; the next run still pays.
    await exploit(s.runs);
    const later = await runTick(env, (now + 7_600) * 1000);
    expect(later.actions?.some((x) => x.kind === "fire" && x.status === "mined")).toBe(true);
    await tickUntil(allPaidOnce(s.runs));
    await expectPaidExactlyOnce(s.runs);
  });
});
