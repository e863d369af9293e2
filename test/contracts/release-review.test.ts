import { getContract, parseEventLogs, zeroAddress, type Address, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import * as CoverMarket from "../../contracts/out/CoverMarket";
import { deployCore, type Core } from "../../scripts/lib/deploy";
import { quoteTypedData, type Quote } from "../../workers/chain/quote";
import { encodeDepegParams, encodeDepegProof } from "../../workers/triggers/depeg";
import { addr, DAY, expectRevert, releaseEnded, USD, useWorld, type World } from "./helpers/fixture";

// Review 4: the cover book moved into the CoverBook library, `releaseEndedCover` (an ended
// generation's future end buckets leave the pool) and `foldProduct` (bounded catch-up).
// Attacks tried: double release (partial steps, across day boundaries, after the pool's own
// expiry), release of a live / pending / vetoed / future generation or of an out-of-range id,
// a release subtracting another product's (or the next generation's) cover in the same hour or
// day bucket, partial folds before buys and fires (liability = brute force), release before
// settlement, the premium stream of released cover, ends exactly at midnight and later today,
// a one-minute grid, and calling the library's state-changing walks directly.
// Every attack below HELD on the current code: each `it` asserts the good outcome.

let w: World;
const E8 = 10n ** 8n;
const HOUR = 3600n;
const COOLDOWN = 7n * DAY;

useWorld(async (world) => {
  w = world;
}, { leverageBps: 10_000, cooldownSeconds: Number(COOLDOWN) });

type Wallet = World["acc"]["alice"];

// ─── harness: works on any deployed core (the fixture's 1-hour grid, or a 1-minute one) ─────

type Sys = { core: Core; grid: bigint; lag: number };
type Booked = { id: bigint; product: bigint; generation: number; start: bigint; end: bigint; cover: bigint };

let nextQuote = 7_000_000_000n;

async function fundFor(core: Core, wallet: Wallet, amount: bigint) {
  await w.send(w.core.asset.write.mint([addr(wallet), amount]));
  const asset = getContract({ address: w.core.asset.address, abi: w.core.asset.abi, client: { public: w.clients.publicClient, wallet } });
  await w.send(asset.write.approve([core.market.address, 2n ** 255n]));
  await w.send(asset.write.approve([core.pool.address, 2n ** 255n]));
}

async function depositTo(core: Core, wallet: Wallet, amount: bigint) {
  await fundFor(core, wallet, amount);
  const pool = getContract({ address: core.pool.address, abi: core.pool.abi, client: { public: w.clients.publicClient, wallet } });
  await w.send(pool.write.deposit([amount, addr(wallet)]));
}

async function depegProduct(s: Sys, veto = 0) {
  const feed = await w.newFeed(8, E8);
  const params = encodeDepegParams({ feed: feed.address, thresholdE18: 995n * 10n ** 15n, durationSeconds: 3600, maxAgeSeconds: 400 * 86_400 });
  const termsHash = `0x${"cd".repeat(32)}` as Hex;
  const [, before] = await s.core.market.read.counts();
  await w.send(
    s.core.market.write.listProduct([{ trigger: s.core.depeg.address, params, termsHash, capAmount: 1_000_000_000n * USD, coverageLagSeconds: s.lag, vetoWindowSeconds: veto }]),
  );
  return { feed, productId: before + 1n, termsHash };
}
type Product = Awaited<ReturnType<typeof depegProduct>>;

/** Signs and sends a purchase; returns the policy as stored. */
async function buyOn(s: Sys, wallet: Wallet, p: Product, o: { amount: bigint; start?: bigint; duration: bigint; premium?: bigint }): Promise<Booked> {
  const t = await w.now();
  const q: Quote = {
    productId: p.productId, amount: o.amount, premium: o.premium ?? 1n, start: o.start ?? t, duration: o.duration, buyer: zeroAddress,
    deadline: t + 30n * DAY, quoteId: nextQuote++, termsHash: p.termsHash, integrator: zeroAddress, integratorFeeBps: 0,
  };
  const sig = await w.acc.signer.signTypedData({ account: w.acc.signer.account!, ...quoteTypedData(q, w.chainId, s.core.market.address) });
  const m = getContract({ address: s.core.market.address, abi: s.core.market.abi, client: { public: w.clients.publicClient, wallet } });
  await w.send(m.write.buyCover([q, sig]));
  const pol = await s.core.market.read.policy([q.quoteId]);
  return { id: q.quoteId, product: p.productId, generation: Number(pol.generation), start: BigInt(pol.start), end: BigInt(pol.end), cover: o.amount };
}

/** Below the threshold now, recovered an hour later: a tripped episode whose onset is t. */
async function episode(p: Product) {
  await w.send(p.feed.write.updateAnswer([99n * 10n ** 6n]));
  const onset = await p.feed.read.latestRound();
  const t = (await w.clients.publicClient.getBlock()).timestamp;
  await w.advance(HOUR + 1n);
  await w.send(p.feed.write.updateAnswer([E8]));
  return { proof: encodeDepegProof(BigInt(onset)), t };
}

async function fire(s: Sys, p: Product, proof: Hex) {
  await w.send(s.core.market.write.fire([p.productId, proof]));
  const [, , id] = await s.core.market.read.counts();
  return id;
}

async function release(s: Sys, productId: bigint, generation: bigint, maxSteps: bigint) {
  const { released, done } = await releaseEnded(w, s.core.market.address, w.acc.attacker, productId, generation, maxSteps);
  return { released, done };
}

const stats = new Map<string, number>();
const count = (k: string) => stats.set(k, (stats.get(k) ?? 0) + 1);

async function foldAs(s: Sys, productId: bigint, maxSteps: bigint) {
  const m = getContract({ address: s.core.market.address, abi: s.core.market.abi, client: { public: w.clients.publicClient, wallet: w.acc.attacker } });
  const { result } = await m.simulate.foldProduct([productId, maxSteps]);
  if (!result) count("partialFold");
  await w.send(m.write.foldProduct([productId, maxSteps]));
}

const SEEDS = Number(process.env.REVIEW4_SEEDS ?? 8);
const bucketOf = (end: bigint) => (end + DAY - 1n) / DAY;
const sum = (xs: Booked[]) => xs.reduce((a, p) => a + p.cover, 0n);
/** What the pool must count: cover of a live generation until the end of its last UTC day. */
const poolBrute = (book: Booked[], today: bigint, ended: Set<string>) =>
  sum(book.filter((p) => bucketOf(p.end) > today && !ended.has(`${p.product}:${p.generation}`)));
const liabilityBrute = (book: Booked[], product: bigint, generation: number, t: bigint) =>
  sum(book.filter((p) => p.product === product && p.generation === generation && p.start <= t && t < p.end));

/** Deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

/**
 * One random scenario on `s`: two products on one pool, random purchases (scheduled starts, odd
 * durations, ends on day boundaries), random partial folds by an attacker between them, an
 * episode on A with cover bought and ended between its onset and the fire, a fire (liability vs
 * brute force), confirmation, a release in random small steps interleaved with time (across
 * UTC days) and with purchases of B, reopen and a second generation sharing A's end hours, a
 * second incident and release. After every step the pool never counts less than the live cover;
 * once a release is done it counts exactly the live cover.
 */
async function scenario(s: Sys, seed: number) {
  const r = rng(seed);
  const A = await depegProduct(s);
  const B = await depegProduct(s);
  const book: Booked[] = [];
  const ended = new Set<string>();
  const dead = new Set<string>();
  const gridSec = s.grid;

  // `dead`: generations a confirmed incident ended; `ended`: those whose release is done.
  const check = async (exact: boolean) => {
    const today = (await w.now()) / DAY;
    const live = poolBrute(book, today, dead);
    const notReleased = poolBrute(book, today, ended);
    const counted = await s.core.pool.read.activeCover();
    expect(counted, `pool under-counts live cover (seed ${seed})`).toBeGreaterThanOrEqual(live);
    expect(counted, `pool counts released cover (seed ${seed})`).toBeLessThanOrEqual(notReleased);
    if (exact) expect(counted, `seed ${seed}`).toBe(notReleased);
    // The product cap's view: current generation's cover whose end step is after now.
    const nowStep = (await w.now()) / gridSec;
    for (const p of [A, B]) {
      const gen = Number((await s.core.market.read.product([p.productId])).generation);
      const mine = sum(book.filter((x) => x.product === p.productId && x.generation === gen && x.end / gridSec > nowStep));
      expect(await s.core.market.read.productActiveCover([p.productId])).toBe(mine);
    }
  };

  const advanceRandom = async (maxSec: number) => {
    const kind = r.int(0, 4);
    const now = await w.now();
    if (kind === 0) await w.advance(gridSec - (now % gridSec)); // onto a grid boundary
    else if (kind === 1) await w.advance(DAY - (now % DAY) + BigInt(r.int(0, 2))); // just across midnight
    else if (kind === 2) await w.advance(BigInt(r.int(1, 120)));
    else await w.advance(BigInt(r.int(1, maxSec)));
  };

  const buyRandom = async (p: Product, wallet: Wallet) => {
    const now = await w.now();
    const startKind = r.int(0, 3);
    const start = startKind === 0 ? now : startKind === 1 ? now + BigInt(r.int(1, 48)) * gridSec : startKind === 2 ? ((now / DAY) + BigInt(r.int(1, 5))) * DAY : now + BigInt(r.int(1, 20 * 86_400));
    const durKind = r.int(0, 2);
    const duration = durKind === 0 ? BigInt(r.int(1, 12)) * DAY : durKind === 1 ? DAY + BigInt(r.int(0, 10 * 86_400)) : DAY + BigInt(r.int(0, 48)) * gridSec;
    book.push(await buyOn(s, wallet, p, { amount: BigInt(r.int(1, 5_000)) * USD, start, duration }));
  };

  const randomPhase = async (n: number, products: Product[], maxAdvance: number, exact: boolean) => {
    for (let i = 0; i < n; i++) {
      const k = r.int(0, 9);
      if (k <= 4) await buyRandom(r.pick(products), r.pick([w.acc.alice, w.acc.bob]));
      else if (k <= 7) await advanceRandom(maxAdvance);
      else await foldAs(s, r.pick(products).productId, BigInt(r.int(0, 3)));
      await check(exact);
    }
  };

  const releaseInSteps = async (productId: bigint, generation: bigint) => {
    let total = 0n;
    for (let i = 0; i < 400; i++) {
      const res = await release(s, productId, generation, BigInt(r.int(0, 3)));
      total += res.released;
      if (res.released > 0n) count("releasedSomething");
      if (res.done) {
        ended.add(`${productId}:${generation}`);
        await check(true);
        return total;
      }
      count("partialRelease");
      await check(false);
      if (r.next() < 0.4) await advanceRandom(20 * 3600);
      if (r.next() < 0.3) await buyRandom(B, w.acc.carol);
      await check(false);
    }
    throw new Error("release never done");
  };

  // Generation 0 of A, and B.
  await randomPhase(14, [A, B], 30 * 3600, true);
  const e1 = await episode(A);
  await randomPhase(10, [A, B], 20 * 3600, true); // bought after the onset: starts after t
  for (let i = 0; i < 3; i++) await foldAs(s, A.productId, BigInt(r.int(0, 2)));
  const id1 = await fire(s, A, e1.proof);
  expect((await s.core.market.read.incident([id1])).liability, `seed ${seed}`).toBe(liabilityBrute(book, A.productId, 0, e1.t));
  await w.send(s.core.market.write.confirmIncident([id1]));
  dead.add(`${A.productId}:0`);
  await check(true);
  const released0 = await releaseInSteps(A.productId, 0n);
  // Released exactly once: a second full walk finds nothing.
  expect(await release(s, A.productId, 0n, 10_000n)).toEqual({ released: 0n, done: true });
  await check(true);

  // Generation 1 of A: ends on the same hours as generation 0's, released cursor must not touch them.
  await w.send(s.core.market.write.reopenProduct([A.productId]));
  await randomPhase(12, [A, B], 30 * 3600, true);
  expect(await release(s, A.productId, 0n, 10_000n)).toEqual({ released: 0n, done: true });
  await check(true);
  const e2 = await episode(A);
  await randomPhase(6, [A, B], 10 * 3600, true);
  const id2 = await fire(s, A, e2.proof);
  expect((await s.core.market.read.incident([id2])).liability, `seed ${seed}`).toBe(liabilityBrute(book, A.productId, 1, e2.t));
  await w.send(s.core.market.write.confirmIncident([id2]));
  dead.add(`${A.productId}:1`);
  await check(true);
  await releaseInSteps(A.productId, 1n);
  // Everything expires in the end without any bucket going negative.
  await w.advance(60n * DAY);
  await check(true);
  return { released0, policies: book.length };
}

// ─── held: random differential on the production grid and on a one-minute grid ─────────────

describe("held: release and partial folds vs brute force (random scenarios)", () => {
  it("1-hour grid: pool never under-counts, exact after each release, liability exact after partial folds", async () => {
    const s: Sys = { core: w.core, grid: 3600n, lag: 3600 };
    await depositTo(w.core, w.acc.lp, 1_000_000_000n * USD);
    for (const wallet of [w.acc.alice, w.acc.bob, w.acc.carol]) await fundFor(w.core, wallet, 100_000_000n * USD);
    const base = await w.snapshot();
    stats.clear();
    for (let seed = 1; seed <= SEEDS; seed++) {
      await scenario(s, seed * 7919);
      await w.revert(base);
      await w.snapshot();
    }
    console.log("1-hour grid", Object.fromEntries(stats));
    expect(stats.get("partialFold") ?? 0).toBeGreaterThan(0);
    expect(stats.get("partialRelease") ?? 0).toBeGreaterThan(0);
    expect(stats.get("releasedSomething") ?? 0).toBeGreaterThan(0);
  }, 900_000);

  it("1-minute grid (lag 60 s): the same", async () => {
    const core60 = await deployCore(w.clients, {
      owner: w.acc.owner, quoteSigner: addr(w.acc.signer), guardian: addr(w.acc.guardian), pauser: addr(w.acc.owner),
      leverageBps: 10_000, cooldownSeconds: Number(COOLDOWN), asset: w.core.asset.address, termGridSeconds: 60,
    });
    expect(await core60.market.read.termGridSeconds()).toBe(60n);
    const s: Sys = { core: core60, grid: 60n, lag: 60 };
    await depositTo(core60, w.acc.lp, 1_000_000_000n * USD);
    for (const wallet of [w.acc.alice, w.acc.bob, w.acc.carol]) await fundFor(core60, wallet, 100_000_000n * USD);
    const base = await w.snapshot();
    stats.clear();
    for (let seed = 1; seed <= Math.ceil(SEEDS / 2); seed++) {
      await scenario(s, seed * 104_729);
      await w.revert(base);
      await w.snapshot();
    }
    console.log("1-minute grid", Object.fromEntries(stats));
    expect(stats.get("partialFold") ?? 0).toBeGreaterThan(0);
    expect(stats.get("partialRelease") ?? 0).toBeGreaterThan(0);
  }, 900_000);
});

// ─── held: targeted attacks ──────────────────────────────────────────────────────────────────

describe("held: targeted attacks on releaseEndedCover", () => {
  const s = () => ({ core: w.core, grid: 3600n, lag: 3600 }) as Sys;

  it("same end hour on two products, and on the next generation: a release takes only its own generation's amount", async () => {
    await depositTo(w.core, w.acc.lp, 10_000_000n * USD);
    await fundFor(w.core, w.acc.alice, 1_000_000n * USD);
    const A = await depegProduct(s());
    const B = await depegProduct(s());
    const start = ((await w.now()) / DAY + 2n) * DAY; // same start, same duration: same end hour
    const a = await buyOn(s(), w.acc.alice, A, { amount: 70_000n * USD, start, duration: 10n * DAY + 5n * HOUR });
    const b = await buyOn(s(), w.acc.alice, B, { amount: 30_000n * USD, start, duration: 10n * DAY + 5n * HOUR });
    expect(a.end).toBe(b.end);
    const e = await episode(A);
    await w.send(w.core.market.write.confirmIncident([await fire(s(), A, e.proof)]));
    await w.send(w.core.market.write.reopenProduct([A.productId]));
    await w.advance(2n * HOUR);
    const a1 = await buyOn(s(), w.acc.alice, A, { amount: 5_000n * USD, start, duration: 10n * DAY + 5n * HOUR }); // generation 1, same end
    expect(a1.end).toBe(a.end);
    expect(a1.generation).toBe(1);
    expect(await w.core.pool.read.activeCover()).toBe(105_000n * USD);
    // One marked step (the gathered start was never bucketed: the product closed first).
    expect(await release(s(), A.productId, 0n, 1n)).toEqual({ released: 70_000n * USD, done: true });
    expect(await release(s(), A.productId, 0n, 10n)).toEqual({ released: 0n, done: true });
    expect(await w.core.pool.read.activeCover()).toBe(35_000n * USD); // B's 30k and generation 1's 5k stay
    await expectRevert(w.as(w.core.market, w.acc.attacker).write.releaseEndedCover([A.productId, 1n, 10n]), "MarketGenerationNotEnded", [A.productId, 1n]);
    await w.advance(15n * DAY);
    expect(await w.core.pool.read.activeCover()).toBe(0n); // the shared bucket expires to exactly zero
  });

  it("an end exactly at today's midnight is not released again; an end later today is; the pool's expiry is not subtracted twice", async () => {
    await depositTo(w.core, w.acc.lp, 10_000_000n * USD);
    await fundFor(w.core, w.acc.alice, 1_000_000n * USD);
    const A = await depegProduct(s());
    const B = await depegProduct(s());
    const midnight = ((await w.now()) / DAY + 2n) * DAY;
    const atMidnight = await buyOn(s(), w.acc.alice, A, { amount: 11_000n * USD, start: midnight, duration: 3n * DAY }); // ends at a midnight
    const laterThatDay = await buyOn(s(), w.acc.alice, A, { amount: 22_000n * USD, start: midnight, duration: 3n * DAY + 20n * HOUR });
    const other = await buyOn(s(), w.acc.alice, B, { amount: 33_000n * USD, start: midnight, duration: 3n * DAY + 1n * HOUR });
    expect(atMidnight.end % DAY).toBe(0n);
    const e = await episode(A);
    await w.send(w.core.market.write.confirmIncident([await fire(s(), A, e.proof)]));
    // On the day the midnight end is due: its bucket (that day) has expired; the other is live.
    await w.advance(atMidnight.end + 2n * HOUR - (await w.now()));
    expect((await w.now()) / DAY).toBe(atMidnight.end / DAY);
    expect(await w.core.pool.read.activeCover()).toBe(55_000n * USD);
    expect(await release(s(), A.productId, 0n, 100n)).toEqual({ released: 22_000n * USD, done: true });
    expect(await w.core.pool.read.activeCover()).toBe(33_000n * USD);
    expect(laterThatDay.end / DAY).toBe((await w.now()) / DAY);
    expect(other.end / DAY).toBe((await w.now()) / DAY);
    await w.advance(DAY);
    expect(await w.core.pool.read.activeCover()).toBe(0n);
  });

  it("partial release, then the pool's own expiry overtakes the cursor: nothing is subtracted twice or skipped", async () => {
    await depositTo(w.core, w.acc.lp, 10_000_000n * USD);
    await fundFor(w.core, w.acc.alice, 1_000_000n * USD);
    const A = await depegProduct(s());
    const B = await depegProduct(s());
    const book: Booked[] = [];
    for (let d = 1n; d <= 6n; d++) {
      book.push(await buyOn(s(), w.acc.alice, A, { amount: d * 1_000n * USD, duration: d * DAY + 3n * HOUR }));
      book.push(await buyOn(s(), w.acc.alice, A, { amount: d * 100n * USD, duration: d * DAY + 9n * HOUR }));
      book.push(await buyOn(s(), w.acc.alice, B, { amount: d * 10n * USD, duration: d * DAY + 3n * HOUR }));
    }
    const e = await episode(A);
    await w.send(w.core.market.write.confirmIncident([await fire(s(), A, e.proof)]));
    expect((await release(s(), A.productId, 0n, 3n)).done).toBe(false); // days 1 and half of 2
    await w.advance(3n * DAY + 5n * HOUR); // the cursor's next hours have expired in the pool
    const ended = new Set([`${A.productId}:0`]);
    for (;;) {
      const r = await release(s(), A.productId, 0n, 2n);
      if (r.done) break;
    }
    expect(await w.core.pool.read.activeCover()).toBe(poolBrute(book, (await w.now()) / DAY, ended));
    await w.advance(10n * DAY);
    expect(await w.core.pool.read.activeCover()).toBe(0n);
  });

  it("refused for a live, pending, vetoed or not-yet generation, and for ids out of range", async () => {
    await depositTo(w.core, w.acc.lp, 10_000_000n * USD);
    await fundFor(w.core, w.acc.alice, 1_000_000n * USD);
    const A = await depegProduct(s(), 3600);
    await buyOn(s(), w.acc.alice, A, { amount: 10_000n * USD, duration: 30n * DAY });
    const m = w.as(w.core.market, w.acc.attacker);
    const pid = A.productId;
    await expectRevert(m.write.releaseEndedCover([pid, 0n, 10n]), "MarketGenerationNotEnded", [pid, 0n]);
    await expectRevert(m.write.releaseEndedCover([pid, 2n ** 32n, 10n]), "MarketGenerationNotEnded", [pid, 2n ** 32n]);
    await expectRevert(m.write.releaseEndedCover([pid, 2n ** 256n - 1n, 10n]), "MarketGenerationNotEnded");
    // A product id with bits above 32 (would alias the book key) is not a product.
    await expectRevert(m.write.releaseEndedCover([pid + 2n ** 32n, 0n, 10n]), "MarketProductNotActive");
    await expectRevert(m.write.releaseEndedCover([pid | (1n << 255n), 0n, 10n]), "MarketProductNotActive");
    await expectRevert(m.write.foldProduct([pid + 2n ** 32n, 10n]), "MarketProductNotActive");
    const e = await episode(A);
    const id = await fire(s(), A, e.proof);
    await expectRevert(m.write.releaseEndedCover([pid, 0n, 10n]), "MarketGenerationNotEnded", [pid, 0n]); // pending
    await w.send(w.as(w.core.market, w.acc.guardian).write.vetoIncident([id]));
    await expectRevert(m.write.releaseEndedCover([pid, 0n, 10n]), "MarketGenerationNotEnded", [pid, 0n]); // vetoed
    expect(await w.core.pool.read.activeCover()).toBe(10_000n * USD);
  });

  it("release before settlement changes nothing claimants are paid; the reserve stays with the market", async () => {
    await depositTo(w.core, w.acc.lp, 1_000_000n * USD);
    await fundFor(w.core, w.acc.alice, 1_000_000n * USD);
    await fundFor(w.core, w.acc.bob, 1_000_000n * USD);
    const A = await depegProduct(s());
    const a = await buyOn(s(), w.acc.alice, A, { amount: 600_000n * USD, duration: 100n * DAY, premium: 1_000n * USD });
    const b = await buyOn(s(), w.acc.bob, A, { amount: 300_000n * USD, duration: 200n * DAY, premium: 1_000n * USD });
    await w.advance(2n * HOUR);
    const e = await episode(A);
    const id = await fire(s(), A, e.proof);
    await w.send(w.core.market.write.confirmIncident([id]));
    const inc = await w.core.market.read.incident([id]);
    expect(inc.reserve).toBe(900_000n * USD);
    const before = [await w.core.market.read.payableAmount([id, a.id]), await w.core.market.read.payableAmount([id, b.id])];
    const marketBal = await w.balance(w.core.market.address);
    expect(await release(s(), A.productId, 0n, 100n)).toEqual({ released: 900_000n * USD, done: true });
    expect([await w.core.market.read.payableAmount([id, a.id]), await w.core.market.read.payableAmount([id, b.id])]).toEqual(before);
    expect(await w.balance(w.core.market.address)).toBe(marketBal);
    // The LP takes everything free at once (exits ahead of settlement): claimants are still whole.
    const shares = await w.core.pool.read.balanceOf([addr(w.acc.lp)]);
    await w.send(w.as(w.core.pool, w.acc.lp).write.requestRedeem([shares]));
    const req = await w.core.pool.read.lastRequestId();
    await w.advance(COOLDOWN);
    const free = await w.core.pool.read.freeCapital();
    const ev = await w.core.pool.read.exitValue([shares]);
    expect(free).toBeGreaterThanOrEqual(ev);
    await w.send(w.as(w.core.pool, w.acc.lp).write.completeRedeem([req, shares, addr(w.acc.lp)]));
    const aliceBefore = await w.balance(addr(w.acc.alice));
    const bobBefore = await w.balance(addr(w.acc.bob));
    await w.send(w.core.market.write.settle([id, [a.id, b.id]]));
    expect((await w.balance(addr(w.acc.alice))) - aliceBefore).toBe(600_000n * USD);
    expect((await w.balance(addr(w.acc.bob))) - bobBefore).toBe(300_000n * USD);
    expect(await w.balance(w.core.market.address)).toBe(0n);
  });

  it("release moves only capacity: total assets, unearned premium and share price are what they would be without it", async () => {
    await depositTo(w.core, w.acc.lp, 1_000_000n * USD);
    await fundFor(w.core, w.acc.alice, 1_000_000n * USD);
    const A = await depegProduct(s());
    const B = await depegProduct(s());
    await buyOn(s(), w.acc.alice, A, { amount: 300_000n * USD, duration: 300n * DAY, premium: 30_000n * USD });
    await buyOn(s(), w.acc.alice, A, { amount: 200_000n * USD, start: (await w.now()) + 40n * DAY, duration: 300n * DAY, premium: 20_000n * USD });
    await buyOn(s(), w.acc.alice, B, { amount: 100_000n * USD, duration: 100n * DAY, premium: 5_000n * USD });
    await w.advance(2n * HOUR);
    const e = await episode(A);
    await w.send(w.core.market.write.confirmIncident([await fire(s(), A, e.proof)]));
    await w.advance(3n * DAY);
    const at = (await w.now()) + 100n;
    const read = async () => ({
      assets: await w.core.pool.read.totalAssets(),
      unearned: await w.core.pool.read.unearnedPremium(),
      exit: await w.core.pool.read.exitValue([10n ** 12n]),
      cover: await w.core.pool.read.activeCover(),
    });
    const snap = await w.snapshot();
    await w.clients.testClient.setNextBlockTimestamp({ timestamp: at });
    await w.send(w.core.asset.write.mint([addr(w.acc.carol), 1n])); // a no-op for the pool, same block time
    const without = await read();
    await w.revert(snap);
    await w.clients.testClient.setNextBlockTimestamp({ timestamp: at });
    await release(s(), A.productId, 0n, 100n);
    const withRelease = await read();
    expect(withRelease.assets).toBe(without.assets);
    expect(withRelease.unearned).toBe(without.unearned);
    expect(withRelease.exit).toBe(without.exit);
    expect(without.cover - withRelease.cover).toBe(500_000n * USD);
    // The released cover's premium keeps streaming and leaves the books with its day bucket.
    await w.advance(400n * DAY);
    expect(await w.core.pool.read.unearnedPremium()).toBe(0n);
    expect(await w.core.pool.read.activeCover()).toBe(0n);
  });

  it("partial folds between buys and fires, stopping on a start-only step: liability and the cap view stay exact", async () => {
    await depositTo(w.core, w.acc.lp, 100_000_000n * USD);
    await fundFor(w.core, w.acc.alice, 10_000_000n * USD);
    const A = await depegProduct(s());
    const book: Booked[] = [];
    const now0 = await w.now();
    // Start-only steps: scheduled starts at hours nobody's cover ends at.
    for (let i = 1n; i <= 6n; i++) book.push(await buyOn(s(), w.acc.alice, A, { amount: i * 1_000n * USD, start: now0 + i * 7n * HOUR, duration: DAY + i * HOUR }));
    for (let i = 1n; i <= 6n; i++) book.push(await buyOn(s(), w.acc.alice, A, { amount: i * 10n * USD, duration: DAY + i * 5n * HOUR }));
    await w.advance(30n * HOUR);
    for (let k = 0; k < 4; k++) {
      await foldAs(s(), A.productId, 1n);
      const nowStep = (await w.now()) / HOUR;
      expect(await w.core.market.read.productActiveCover([A.productId])).toBe(sum(book.filter((p) => p.end / HOUR > nowStep)));
    }
    book.push(await buyOn(s(), w.acc.alice, A, { amount: 777n * USD, duration: 2n * DAY }));
    await foldAs(s(), A.productId, 0n);
    const e = await episode(A);
    book.push(await buyOn(s(), w.acc.alice, A, { amount: 999n * USD, duration: 2n * DAY })); // after t: not liable
    await w.advance(20n * HOUR);
    await foldAs(s(), A.productId, 2n);
    const id = await fire(s(), A, e.proof);
    expect((await w.core.market.read.incident([id])).liability).toBe(liabilityBrute(book, A.productId, 0, e.t));
  });

  it("the library's state-changing walks cannot be called on it directly (only by DELEGATECALL)", async () => {
    // The market links CoverBook: find the linked address in its runtime code.
    const code = (await w.clients.publicClient.getCode({ address: w.core.market.address }))!.slice(2);
    let lib: Address | undefined;
    for (let i = code.indexOf("73"); i >= 0 && !lib; i = code.indexOf("73", i + 2)) {
      if (i % 2) continue;
      const cand = `0x${code.slice(i + 2, i + 42)}` as Address;
      if (cand.length !== 42 || cand === w.core.pool.address.toLowerCase()) continue;
      const c = await w.clients.publicClient.getCode({ address: cand }).catch(() => undefined);
      if (c && c.length > 2 && c.length / 2 - 1 > 4000 && c.length / 2 - 1 < 6000) lib = cand;
    }
    expect(lib).toBeDefined();
    // release(CoverBook.Ledger storage,ICoverPool,uint256,uint256,uint256) = 0x4aab0579, and foldBounded.
    const args = (n: number) => Array.from({ length: n }, (_, k) => (k === 1 ? w.core.pool.address.slice(2).padStart(64, "0") : "1".padStart(64, "0"))).join("");
    for (const data of [`0x4aab0579${args(5)}`, `0xa1974cd5${args(4)}`] as Hex[]) {
      const hash = await w.acc.attacker.sendTransaction({ account: w.acc.attacker.account!, chain: w.acc.attacker.chain, to: lib!, data, gas: 1_000_000n });
      expect((await w.clients.publicClient.waitForTransactionReceipt({ hash })).status).toBe("reverted");
    }
    // And the pool's hook answers only the market.
    await expectRevert(w.as(w.core.pool, w.acc.attacker).write.releaseCover([(await w.now()) + 10n * DAY, 1n]), "PoolOnlyMarket");
  });
});

// ─── held: an attacker cannot make the keeper's release transaction too big for a block ──────

describe("held: release gas with one marked end step on every future day", () => {
  it("~450 end days (one pool call each): the keeper's 2,000-step release fits far inside a block", async () => {
    const s: Sys = { core: w.core, grid: 3600n, lag: 3600 };
    await depositTo(w.core, w.acc.lp, 10_000_000n * USD);
    const A = await depegProduct(s);
    await fundFor(w.core, w.acc.attacker, 10_000n * USD);
    const m = w.as(w.core.market, w.acc.attacker);
    const t0 = await w.now();
    await w.clients.testClient.setAutomine(false);
    let nonce = await w.clients.publicClient.getTransactionCount({ address: addr(w.acc.attacker), blockTag: "pending" });
    let last: Hex = "0x";
    const n = 450;
    for (let i = 0; i < n; i++) {
      // Ends on distinct days: durations walk the year, then scheduled starts walk 90 days more.
      const extra = i > 360 ? i - 360 : 0;
      const q: Quote = {
        productId: A.productId, amount: 1n, premium: 1n, start: t0 + BigInt(extra) * DAY, duration: DAY + BigInt(i - extra) * DAY + 5n * HOUR,
        buyer: zeroAddress, deadline: t0 + 30n * DAY, quoteId: nextQuote++, termsHash: A.termsHash, integrator: zeroAddress, integratorFeeBps: 0,
      };
      const sig = await w.acc.signer.signTypedData({ account: w.acc.signer.account!, ...quoteTypedData(q, w.chainId, w.core.market.address) });
      last = await m.write.buyCover([q, sig], { nonce: nonce++, gas: 400_000n });
      if (i % 70 === 69) await w.clients.testClient.mine({ blocks: 1 });
    }
    await w.clients.testClient.mine({ blocks: 1 });
    await w.clients.testClient.setAutomine(true);
    expect((await w.clients.publicClient.waitForTransactionReceipt({ hash: last })).status).toBe("success");
    expect(await w.core.pool.read.activeCover()).toBe(BigInt(n));
    const e = await episode(A);
    await w.send(w.core.market.write.confirmIncident([await fire(s, A, e.proof)]));
    const receipt = await w.send(m.write.releaseEndedCover([A.productId, 0n, 2_000n]));
    const [ev] = parseEventLogs({ abi: CoverMarket.abi, logs: receipt.logs, eventName: "EndedCoverReleased" });
    console.log(`release of ${n} end steps on ${n} days: ${receipt.gasUsed} gas`);
    expect(ev!.args).toMatchObject({ released: BigInt(n), done: true });
    expect(await w.core.pool.read.activeCover()).toBe(0n);
    expect(receipt.gasUsed).toBeLessThan(15_000_000n);
  }, 300_000);
});
