/**
 * Model-based property test: random sequences of LP, buyer, oracle and keeper actions against
 * the deployed contracts, with the pool's and market's invariants checked after every step.
 * Fixed seed and a bounded run count for CI; FC_RUNS raises the count.
 */
import fc from "fast-check";
import { parseEventLogs, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as CoverMarket from "../../contracts/out/CoverMarket";
import { encodePausedParams } from "../../workers/triggers/paused";
import { encodeTvlDropParams } from "../../workers/triggers/tvlDrop";
import { FeedReader, RoundCache } from "../../workers/keeper/feedHistory";
import { findTvlFall } from "../../workers/triggers/tvlDrop";
import type { Wallet } from "../../scripts/lib/clients";
import { createWorld, revertName, USD, type World } from "./helpers/fixture";

const RUNS = Number(process.env.FC_RUNS ?? 20);
const E8 = 10n ** 8n;

type PolicyModel = { id: bigint; product: bigint; cover: bigint; start: bigint; end: bigint; generation: number };
type Model = {
  policies: PolicyModel[];
  paid: Set<bigint>;
  paidByIncident: Map<bigint, bigint>;
  incidents: Map<bigint, { product: bigint; t: bigint }>;
  requests: { id: bigint; lp: number }[];
  /** Generations (`product:generation`) whose ended cover has been released from the pool. */
  released: Set<string>;
};
type Real = {
  w: World;
  lps: Wallet[];
  buyers: Wallet[];
  products: {
    id: bigint;
    kind: "tvl" | "paused" | "dense";
    feed?: Awaited<ReturnType<World["newFeed"]>>;
    /** A phased, Chainlink-shaped proxy feed that posts bursts of rounds (the dense product). */
    proxy?: Awaited<ReturnType<World["newProxyFeed"]>>;
    params?: Hex;
    protocol?: Awaited<ReturnType<World["newPausable"]>>;
  }[];
};

let w: World;
let base: Real;
/** Commands draw amounts in 6-decimal units; an 18-decimal world multiplies them by 10^12. */
let SCALE = 1n;

async function setup(decimals: number) {
  SCALE = 10n ** BigInt(decimals - 6);
  w = await createWorld({ leverageBps: 15_000, cooldownSeconds: 3 * 86_400, assetDecimals: decimals });
  const products: Real["products"] = [];
  for (let i = 0; i < 2; i++) {
    const feed = await w.newFeed(8, 1_000n * E8);
    const { productId } = await w.listProduct(
      w.core.tvlDrop.address,
      encodeTvlDropParams({ feed: feed.address, dropBps: 4000, windowSeconds: 86_400, maxAgeSeconds: 400 * 86_400 }),
      { cap: 400_000n * USD * SCALE, lag: 600, veto: i === 0 ? 0 : 3600 },
    );
    products.push({ id: productId, kind: "tvl", feed });
  }
  const protocol = await w.newPausable();
  const { productId } = await w.listProduct(w.core.paused.address, encodePausedParams({ target: protocol.address, durationSeconds: 3600, maxGapSeconds: 3600 }), {
    cap: 400_000n * USD * SCALE, lag: 600,
  });
  products.push({ id: productId, kind: "paused", protocol });
  // A TVL product on a dense feed: bursts of deviation rounds 20 s apart, and phase changes.
  const proxy = await w.newProxyFeed(8, 1_000n * E8);
  const denseParams = encodeTvlDropParams({ feed: proxy.address, dropBps: 4000, windowSeconds: 86_400, maxAgeSeconds: 400 * 86_400 });
  const dense = await w.listProduct(w.core.tvlDrop.address, denseParams, { cap: 400_000n * USD * SCALE, lag: 600 });
  products.push({ id: dense.productId, kind: "dense", proxy, params: denseParams });
  const lps = [w.acc.lp, w.acc.lp2];
  const buyers = [w.acc.alice, w.acc.bob, w.acc.carol];
  for (const b of [...lps, ...buyers]) await w.fund(b, 0n);
  await w.deposit(w.acc.lp, 300_000n * USD * SCALE);
  base = { w, lps, buyers, products };
}
afterAll(async () => w?.anvil.stop());

/** Reverts the contracts may legitimately answer with in a random sequence. */
const EXPECTED = new Set([
  "PoolCapacityExceeded", "MarketProductCapacityExceeded", "MarketProductNotActive", "MarketConditionHolds",
  "PoolWithdrawalExceedsFreeCapital", "PoolWithdrawalCoolingDown", "PoolZeroAmount", "MarketTriggerNotTripped",
  "MarketIncidentBeforeListing", "MarketIncidentTooOld", "MarketVetoWindowOpen", "MarketIncidentTransitionInvalid",
  "MarketVetoWindowClosed", "PoolWithdrawalLapsed", "ERC4626ExceededMaxDeposit",
]);

async function attempt<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    const name = revertName(err);
    if (name && EXPECTED.has(name)) return undefined;
    throw err;
  }
}

const addr = (x: Wallet) => x.account!.address;

/** What the runs exercised, so a run that silently did nothing shows up. */
const stats = new Map<string, number>();
const count = (k: string, n = 1) => stats.set(k, (stats.get(k) ?? 0) + n);

/** Every command counts itself and checks every invariant after it acts. */
abstract class Step implements fc.AsyncCommand<Model, Real> {
  abstract check(m: Readonly<Model>): boolean;
  abstract act(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
  async run(m: Model, r: Real) {
    count(this.constructor.name);
    await this.act(m, r);
    await invariants(m, r);
  }
}

class Deposit extends Step {
  constructor(readonly lp: number, readonly amount: bigint) {
    super();
  }
  check = () => true;
  async act(_m: Model, r: Real) {
    // Refused (ERC4626ExceededMaxDeposit) while an incident is pending or exits are frozen.
    await attempt(r.w.deposit(r.lps[this.lp]!, this.amount * SCALE));
  }
  toString = () => `deposit(lp${this.lp}, ${this.amount / USD})`;
}

class RequestWithdraw extends Step {
  constructor(readonly lp: number, readonly pct: number) {
    super();
  }
  check = () => true;
  async act(m: Model, r: Real) {
    const lp = r.lps[this.lp]!;
    const shares = (await r.w.core.pool.read.balanceOf([addr(lp)])) * BigInt(this.pct) / 100n;
    if (shares === 0n) return;
    await r.w.send(r.w.as(r.w.core.pool, lp).write.requestRedeem([shares]));
    m.requests.push({ id: await r.w.core.pool.read.lastRequestId(), lp: this.lp });
  }
  toString = () => `requestWithdraw(lp${this.lp}, ${this.pct}%)`;
}

class CompleteWithdraw extends Step {
  constructor(readonly pick: number, readonly pct: number) {
    super();
  }
  check = (m: Readonly<Model>) => m.requests.length > 0;
  async act(m: Model, r: Real) {
    const req = m.requests[this.pick % m.requests.length]!;
    const lp = r.lps[req.lp]!;
    const queued = (await r.w.core.pool.read.withdrawalRequest([req.id])).shares;
    const shares = (queued * BigInt(this.pct)) / 100n;
    if (shares === 0n) return;
    // The most this exit may take: its pro-rata share of (assets − open incident liability), in
    // the block before (premium earned in the one block of the completion adds a few units).
    const fair = await r.w.core.pool.read.exitValue([shares]);
    const before = await r.w.balance(addr(lp));
    const done = await attempt(r.w.send(r.w.as(r.w.core.pool, lp).write.completeRedeem([req.id, shares, addr(lp)])));
    if (!done && (await r.w.now()) > (await r.w.core.pool.read.withdrawalRequest([req.id])).claimableAt + (await r.w.core.pool.read.REDEEM_WINDOW_SECONDS())) {
      // Lapsed: take the shares back and queue them again (an LP who requested early and waited).
      await r.w.send(r.w.as(r.w.core.pool, lp).write.cancelRedeem([req.id]));
      m.requests.splice(m.requests.indexOf(req), 1);
      count("lapsed");
      return;
    }
    if (done) {
      count("withdrawn");
      expect((await r.w.balance(addr(lp))) - before).toBeLessThanOrEqual(fair + fair / 1_000_000n + 10n * SCALE);
      // Locked capital never withdrawn: what remains still backs every active cover and incident.
      const [assets, active, pending, leverage] = await Promise.all([
        r.w.core.pool.read.totalAssets(), r.w.core.pool.read.activeCover(), r.w.core.pool.read.pendingLiability(), r.w.core.pool.read.leverageBps(),
      ]);
      expect(assets).toBeGreaterThanOrEqual((active * 10_000n + BigInt(leverage) - 1n) / BigInt(leverage) + pending);
    }
  }
  toString = () => `completeWithdraw(#${this.pick}, ${this.pct}%)`;
}

class Buy extends Step {
  /** `startIn`: seconds after now the quote asks cover to start (0: as soon as the lag allows). */
  constructor(readonly product: number, readonly buyer: number, readonly amount: bigint, readonly days: number, readonly startIn = 0) {
    super();
  }
  check = () => true;
  async act(m: Model, r: Real) {
    const p = r.products[this.product]!;
    const cover = this.amount * SCALE;
    const start = (await r.w.now()) + BigInt(this.startIn);
    const q = await r.w.quote(p.id, { amount: cover, premium: cover / 50n + 1n, duration: BigInt(this.days) * 86_400n + BigInt(this.startIn % 977), start });
    const id = await attempt(r.w.buy(r.buyers[this.buyer]!, q));
    if (id === undefined) return;
    count("bought");
    const pol = await r.w.core.market.read.policy([id]);
    m.policies.push({ id, product: p.id, cover, start: BigInt(pol.start), end: BigInt(pol.end), generation: pol.generation });
  }
  toString = () => `buy(p${this.product}, buyer${this.buyer}, ${this.amount / USD}, ${this.days}d, +${this.startIn}s)`;
}

class Travel extends Step {
  constructor(readonly seconds: number) {
    super();
  }
  check = () => true;
  async act(_m: Model, r: Real) {
    await r.w.advance(this.seconds);
    // Feeds keep their heartbeat: a fresh round at the same value after every stretch of time.
    for (const p of r.products) if (p.feed) await r.w.send(p.feed.write.updateAnswer([await p.feed.read.latestAnswer()]));
    for (const p of r.products) if (p.proxy) await r.w.send(p.proxy.write.updateAnswer([await p.proxy.read.latestAnswer()]));
  }
  toString = () => `travel(${this.seconds}s)`;
}

/** Hours pass (cover bought before starts), then a TVL feed falls by more than any drop level. */
class Crash extends Step {
  constructor(readonly product: number, readonly hours: number) {
    super();
  }
  check = () => true;
  async act(_m: Model, r: Real) {
    const feed = r.products[this.product]!.feed!;
    await r.w.advance(this.hours * 3600);
    await r.w.send(feed.write.updateAnswer([await feed.read.latestAnswer()])); // heartbeat
    await r.w.advance(60);
    await r.w.send(feed.write.updateAnswer([((await feed.read.latestAnswer()) * 40n) / 100n || 1n]));
    count("crashes");
  }
  toString = () => `crash(p${this.product}, after ${this.hours}h)`;
}

class MoveOracle extends Step {
  constructor(readonly product: number, readonly pct: number) {
    super();
  }
  check = () => true;
  async act(_m: Model, r: Real) {
    const feed = r.products[this.product]!.feed!;
    const now = await feed.read.latestAnswer();
    const next = (now * BigInt(100 + this.pct)) / 100n;
    await r.w.send(feed.write.updateAnswer([next > 0n ? next : 1n]));
  }
  toString = () => `oracle(p${this.product}, ${this.pct > 0 ? "+" : ""}${this.pct}%)`;
}

/** The dense feed moves by `pct` in `rounds` deviation rounds, 20 s apart (a crisis burst). */
class DenseBurst extends Step {
  constructor(readonly pct: number, readonly rounds: number) {
    super();
  }
  check = () => true;
  async act(_m: Model, r: Real) {
    const proxy = r.products[3]!.proxy!;
    const from = await proxy.read.latestAnswer();
    const to = (from * BigInt(100 + this.pct)) / 100n;
    await r.w.advance(20 * this.rounds);
    const start = (await r.w.now()) - BigInt(20 * this.rounds);
    const answers = Array.from({ length: this.rounds }, (_, i) => from + ((to - from) * BigInt(i + 1)) / BigInt(this.rounds));
    await r.w.send(proxy.write.postRounds([answers.map((a) => (a > 0n ? a : 0n)), answers.map((_, i) => start + BigInt(20 * (i + 1)))]));
    count("denseRounds", this.rounds);
  }
  toString = () => `burst(${this.pct > 0 ? "+" : ""}${this.pct}% in ${this.rounds} rounds)`;
}

/** The dense feed's proxy moves to a new aggregator (a phase change), starting at the same answer. */
class PhaseChange extends Step {
  check = () => true;
  async act(_m: Model, r: Real) {
    const proxy = r.products[3]!.proxy!;
    await r.w.send(proxy.write.upgradeAggregator([await proxy.read.latestAnswer(), 0n]));
    count("phaseChanges");
  }
  toString = () => "phaseChange()";
}

class TogglePause extends Step {
  check = () => true;
  async act(_m: Model, r: Real) {
    const protocol = r.products[2]!.protocol!;
    await r.w.send((await protocol.read.paused()) ? protocol.write.unpause() : protocol.write.pause());
    await r.w.send(r.w.core.market.write.observe([r.products[2]!.id]));
  }
  toString = () => "togglePause()";
}

class Fire extends Step {
  constructor(readonly product: number) {
    super();
  }
  check = () => true;
  async act(m: Model, r: Real) {
    const p = r.products[this.product]!;
    const prod = await r.w.core.market.read.product([p.id]);
    let found: boolean;
    let proof: Hex;
    if (p.kind === "dense") {
      // The Worker keeper's off-chain search over the whole history, then `advance` segments.
      const block = await r.w.clients.publicClient.getBlockNumber();
      const [id, answer, , at] = await p.proxy!.read.latestRoundData();
      const reader = new FeedReader(new RoundCache(r.w.clients.publicClient, r.w.core.multicall.address, block), p.proxy!.address);
      const fall = await findTvlFall(reader, { id, answer, at }, 4000, 86_400, BigInt(prod.activeSince));
      if (!fall) return;
      [found, proof] = [true, fall.proof];
      for (let k = 0; k < 20 && !(await r.w.core.tvlDrop.simulate.advance([p.params!, proof, 1_000n])).result; k++) {
        await r.w.send(r.w.core.tvlDrop.write.advance([p.params!, proof, 1_000n]));
      }
      // What the contract will decide is what the off-chain search said.
      const [tripped, t] = await r.w.core.tvlDrop.read.check([p.params!, proof]);
      expect([tripped, BigInt(t)]).toEqual([true, fall.incidentTime]);
    } else {
      const trigger = p.kind === "tvl" ? r.w.core.tvlDrop : r.w.core.paused;
      [found, proof] = await trigger.read.findProof([await r.w.core.market.read.productParams([p.id]), BigInt(prod.activeSince)]);
    }
    if (!found) return;
    const receipt = await attempt(r.w.send(r.w.core.market.write.fire([p.id, proof])));
    if (!receipt) return;
    const [opened] = parseEventLogs({ abi: CoverMarket.abi, logs: receipt.logs, eventName: "IncidentOpened" });
    m.incidents.set(opened!.args.incidentId, { product: p.id, t: BigInt(opened!.args.incidentTime) });
    count("fired");
  }
  toString = () => `fire(p${this.product})`;
}

class Confirm extends Step {
  constructor(readonly pick: number) {
    super();
  }
  check = (m: Readonly<Model>) => m.incidents.size > 0;
  async act(m: Model, r: Real) {
    const ids = [...m.incidents.keys()];
    await attempt(r.w.send(r.w.core.market.write.confirmIncident([ids[this.pick % ids.length]!])));
  }
  toString = () => `confirm(#${this.pick})`;
}

class Veto extends Step {
  constructor(readonly pick: number) {
    super();
  }
  check = (m: Readonly<Model>) => m.incidents.size > 0;
  async act(m: Model, r: Real) {
    const ids = [...m.incidents.keys()];
    await attempt(r.w.send(r.w.as(r.w.core.market, r.w.acc.guardian).write.vetoIncident([ids[this.pick % ids.length]!])));
  }
  toString = () => `veto(#${this.pick})`;
}

class Settle extends Step {
  constructor(readonly pick: number) {
    super();
  }
  check = (m: Readonly<Model>) => m.incidents.size > 0 && m.policies.length > 0;
  async act(m: Model, r: Real) {
    const ids = [...m.incidents.keys()];
    const incidentId = ids[this.pick % ids.length]!;
    const receipt = await attempt(r.w.send(r.w.core.market.write.settle([incidentId, m.policies.map((p) => p.id)])));
    if (receipt) recordSettled(m, receipt.logs);
  }
  toString = () => `settle(#${this.pick})`;
}

/** What a settlement transaction paid, checked against the model: once each, only the active. */
function recordSettled(m: Model, logs: Parameters<typeof parseEventLogs>[0]["logs"]) {
  for (const log of parseEventLogs({ abi: CoverMarket.abi, logs, eventName: "PoliciesSettled" })) {
    const incidentId = log.args.incidentId;
    const t = m.incidents.get(incidentId)!.t;
    for (const [i, id] of log.args.policyIds.entries()) {
      expect(m.paid.has(id), `policy ${id} paid twice`).toBe(false);
      // Nobody inactive at the canonical incident time is ever paid.
      const pol = m.policies.find((x) => x.id === id)!;
      expect(pol.start <= t && t < pol.end, `policy ${id} [${pol.start}, ${pol.end}) paid for incident time ${t}`).toBe(true);
      m.paid.add(id);
      count("paid");
      m.paidByIncident.set(incidentId, (m.paidByIncident.get(incidentId) ?? 0n) + log.args.amounts[i]!);
    }
  }
}

/**
 * Chainlink Automation's pass: TripwireKeeper's checkUpkeep and performUpkeep until it finds no
 * work (fires, confirmations, settlement windows, releases of ended generations, cursor moves).
 */
class AutomationPass extends Step {
  check = () => true;
  async act(m: Model, r: Real) {
    const keeper = r.w.core.keeper;
    for (let i = 0; i < 60; i++) {
      const [needed, data] = await keeper.read.checkUpkeep(["0x"]);
      if (!needed) return;
      const receipt = await r.w.send(r.w.as(keeper, r.w.acc.keeper).write.performUpkeep([data]));
      for (const opened of parseEventLogs({ abi: CoverMarket.abi, logs: receipt.logs, eventName: "IncidentOpened" })) {
        m.incidents.set(opened.args.incidentId, { product: opened.args.productId, t: BigInt(opened.args.incidentTime) });
        count("firedByAutomation");
      }
      recordSettled(m, receipt.logs);
      for (const e of parseEventLogs({ abi: CoverMarket.abi, logs: receipt.logs, eventName: "EndedCoverReleased" })) {
        if (e.args.released > 0n) count("releasedByAutomation");
        if (e.args.done) m.released.add(`${e.args.productId}:${e.args.generation}`);
      }
    }
    throw new Error("the Automation keeper never ran out of work");
  }
  toString = () => "automationPass()";
}

/** After the settlement window, anyone closes a confirmed incident; its unpaid reserve is streamed back. */
class Close extends Step {
  constructor(readonly pick: number) {
    super();
  }
  check = (m: Readonly<Model>) => m.incidents.size > 0;
  async act(m: Model, r: Real) {
    const ids = [...m.incidents.keys()];
    const id = ids[this.pick % ids.length]!;
    const inc = await r.w.core.market.read.incident([id]);
    if (inc.status !== 2) return;
    const endsAt = BigInt(inc.confirmedAt) + (await r.w.core.market.read.SETTLEMENT_WINDOW_SECONDS());
    const now = await r.w.now();
    if (now < endsAt) await r.w.advance(endsAt - now);
    // A deposit just before the close: right after it, the new shares are worth no more than
    // what went in (plus premium of a block or two), whatever reserve returns.
    const lp = r.lps[1]!;
    const deposit = 50_000n * USD * SCALE;
    const sharesBefore = await r.w.core.pool.read.balanceOf([addr(lp)]);
    await attempt(r.w.deposit(lp, deposit)); // refused while another incident is pending
    const minted = (await r.w.core.pool.read.balanceOf([addr(lp)])) - sharesBefore;
    const assetsBefore = await r.w.core.pool.read.totalAssets();
    await r.w.send(r.w.core.market.write.closeIncident([id]));
    expect(await r.w.core.pool.read.totalAssets()).toBeLessThanOrEqual(assetsBefore + (inc.reserve - inc.paid) / 1_000n + 10n * SCALE);
    expect(await r.w.core.pool.read.exitValue([minted])).toBeLessThanOrEqual(deposit + deposit / 100_000n + 10n * SCALE);
    count("closed");
  }
  toString = () => `close(#${this.pick})`;
}

/** The curator puts a product closed by an incident back on sale. */
class Reopen extends Step {
  constructor(readonly product: number) {
    super();
  }
  check = () => true;
  async act(_m: Model, r: Real) {
    const p = r.products[this.product]!;
    if ((await r.w.core.market.read.product([p.id])).status !== 3) return;
    await r.w.send(r.w.core.market.write.reopenProduct([p.id]));
    count("reopened");
  }
  toString = () => `reopen(p${this.product})`;
}

/** Anyone releases the cover of every ended generation of a product from the pool. */
class Release extends Step {
  constructor(readonly product: number) {
    super();
  }
  check = () => true;
  async act(m: Model, r: Real) {
    const p = r.products[this.product]!;
    const view = await r.w.core.market.read.product([p.id]);
    const last = view.status === 3 ? view.generation : view.generation - 1;
    for (let g = 0; g <= last; g++) {
      const receipt = await r.w.send(r.w.core.market.write.releaseEndedCover([p.id, BigInt(g), 10_000n]));
      const [e] = parseEventLogs({ abi: CoverMarket.abi, logs: receipt.logs, eventName: "EndedCoverReleased" });
      expect(e!.args.done).toBe(true);
      if (e!.args.released > 0n) count("releasedCover");
      m.released.add(`${p.id}:${g}`);
    }
  }
  toString = () => `release(p${this.product})`;
}

/** The cron keeper's pass: fire what has tripped, confirm what can be, settle every policy, release ended cover. */
class KeeperPass extends Step {
  check = () => true;
  async act(m: Model, r: Real) {
    for (let i = 0; i < r.products.length; i++) await new Fire(i).act(m, r);
    for (const id of m.incidents.keys()) {
      await new Confirm(Number(id) - 1).act(m, r);
      await new Settle(Number(id) - 1).act(m, r);
    }
    for (let i = 0; i < r.products.length; i++) await new Release(i).act(m, r);
  }
  toString = () => "keeperPass()";
}

async function invariants(m: Model, r: Real) {
  const { pool, market } = r.w.core;
  // Share balances sum to totalSupply (LPs plus the pool's withdrawal escrow).
  const holders: Address[] = [...r.lps.map(addr), pool.address];
  const balances = await Promise.all(holders.map((h) => pool.read.balanceOf([h])));
  expect(balances.reduce((a, b) => a + b, 0n)).toBe(await pool.read.totalSupply());
  // Capital reserved for confirmed incidents (and deferred payouts) is held by the market.
  let owed = 0n;
  for (const id of m.incidents.keys()) {
    const inc = await market.read.incident([id]);
    if (inc.status === 2) owed += inc.reserve - inc.paid;
    expect(inc.paid).toBeLessThanOrEqual(inc.reserve);
    // The liability is exactly the brute-force cover active at the incident time: the product's
    // policies of the incident's generation with start ≤ t < end (a generation's cover ends with
    // its confirmed incident, so none of them was paid before).
    const t = BigInt(inc.incidentTime);
    const activeAtT = m.policies
      .filter((p) => p.product === BigInt(inc.productId) && p.generation === inc.generation && p.start <= t && t < p.end)
      .reduce((a, p) => a + p.cover, 0n);
    expect(inc.liability).toBe(activeAtT);
    expect(inc.paid).toBeLessThanOrEqual(activeAtT);
    expect(inc.paid).toBe(m.paidByIncident.get(id) ?? 0n);
    expect(inc.reserve).toBeLessThanOrEqual(inc.liability);
  }
  // The pool counts exactly the cover that can still be paid: every policy until the end of its
  // last UTC day, except those of a generation a confirmed incident ended and whose release ran.
  const today = (await r.w.now()) / 86_400n;
  const live = m.policies
    .filter((p) => (p.end + 86_399n) / 86_400n > today && !m.released.has(`${p.product}:${p.generation}`))
    .reduce((a, p) => a + p.cover, 0n);
  expect(await pool.read.activeCover()).toBe(live);
  // Capacity is the pool's own figure, and what is left of it is that less the active cover.
  const [capacity, capacityLeft] = await Promise.all([pool.read.capacity(), pool.read.capacityLeft()]);
  expect(capacityLeft).toBe(capacity > live ? capacity - live : 0n);
  const claimable = (await Promise.all(r.buyers.map((b) => market.read.claimable([addr(b)])))).reduce((a, b) => a + b, 0n);
  expect(await r.w.balance(market.address)).toBeGreaterThanOrEqual(owed + claimable);
}


const amount = (min: number, max: number) => fc.integer({ min, max }).map((n) => BigInt(n) * USD);
const buy = fc
  .tuple(
    fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), amount(100, 150_000), fc.integer({ min: 1, max: 60 }),
    // Mostly as soon as the lag allows; sometimes scheduled (cover that may start after an incident time).
    fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 * 86_400 }) }),
  )
  .map(([p, b, a, d, s]) => new Buy(p, b, a, d, s));
// Short hops (inside a purchase's lag) and long ones (past the start: terms begin on the hour).
const travel = fc.oneof(fc.integer({ min: 60, max: 3_600 }), fc.integer({ min: 3_600, max: 4 * 86_400 })).map((s) => new Travel(s));
const move = fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: -60, max: 25 })).map(([p, pct]) => new MoveOracle(p, pct));
const completeWithdraw = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 100 })).map(([i, p]) => new CompleteWithdraw(i, p));
const keeper = fc.constant(new KeeperPass());
const automation = fc.constant(new AutomationPass());
// Repeated entries weigh the draw towards the actions that lead to payouts and withdrawals.
const commands = [
  fc.tuple(fc.integer({ min: 0, max: 1 }), amount(1_000, 200_000)).map(([lp, a]) => new Deposit(lp, a)),
  fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 100 })).map(([lp, p]) => new RequestWithdraw(lp, p)),
  completeWithdraw, completeWithdraw,
  buy, buy, buy, buy,
  travel, travel, travel,
  move, move,
  fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 30 })).map(([p, h]) => new Crash(p, h)),
  fc.constant(new TogglePause()),
  fc.tuple(fc.integer({ min: -45, max: 25 }), fc.integer({ min: 5, max: 300 })).map(([pct, n]) => new DenseBurst(pct, n)),
  fc.constant(new PhaseChange()),
  fc.integer({ min: 0, max: 3 }).map((p) => new Fire(p)),
  keeper, automation,
  fc.integer({ min: 0, max: 3 }).map((p) => new Reopen(p)),
  fc.integer({ min: 0, max: 3 }).map((p) => new Reopen(p)),
  fc.nat().map((i) => new Confirm(i)),
  fc.nat().map((i) => new Veto(i)),
  fc.nat().map((i) => new Settle(i)),
  fc.nat().map((i) => new Close(i)),
  fc.integer({ min: 0, max: 3 }).map((p) => new Release(p)),
];

describe.each([6, 18])("model-based: random LP, buyer, oracle and keeper sequences (%i-decimal asset)", (decimals) => {
  beforeAll(async () => {
    await w?.anvil.stop();
    stats.clear();
    await setup(decimals);
  });
  it(`keeps every invariant after every step (${RUNS} runs)`, async () => {
    let snap: Hex = await w.snapshot();
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: "max" }), async (cmds) => {
        await w.revert(snap);
        snap = await w.snapshot();
        stats.set("commands", (stats.get("commands") ?? 0) + [...cmds].length);
        const model: Model = { policies: [], paid: new Set(), paidByIncident: new Map(), incidents: new Map(), requests: [], released: new Set() };
        await fc.asyncModelRun(() => ({ model, real: base }), cmds);
      }),
      { seed: 424242, numRuns: RUNS, endOnFailure: true },
    );
    const paidPolicies = stats.get("paid") ?? 0;
    console.log(`model runs: ${[...stats].map(([k, v]) => `${k}=${v}`).join(" ")}`);
    // The sequences must reach the interesting states, or the invariants prove nothing.
    expect(stats.get("fired") ?? 0).toBeGreaterThan(0);
    expect(paidPolicies).toBeGreaterThan(0);
    expect(stats.get("withdrawn") ?? 0).toBeGreaterThan(0);
    expect(stats.get("denseRounds") ?? 0).toBeGreaterThan(0);
    expect(stats.get("phaseChanges") ?? 0).toBeGreaterThan(0);
    expect(stats.get("releasedCover") ?? 0).toBeGreaterThan(0);
  }, 600_000);
});
