import fc from "fast-check";
import type {  Hex } from "viem";
import { describe, expect, it } from "vitest";
import { addr, DAY, USD, useWorld, type World } from "./helpers/fixture";

// Issue 12, item 2: an incident's liability is exactly the cover active at its incident time.
// Each attack below was written first against the day-bucket liability (which counted every
// booked policy whose end day was after t) and succeeded there.

let w: World;
const HOUR = 3600n;

useWorld(async (world) => {
  w = world;
}, { leverageBps: 20_000 });


const fireAndConfirm = (productId: bigint, proof: Hex) => w.fireAndConfirm(productId, proof);

describe("exact liability: attacks", () => {
  it("cover scheduled to start after the crash does not dilute the claimant of a short pool", async () => {
    const { feed, productId } = await w.tvlProduct();
    await w.deposit(w.acc.lp, 100_000n * USD);
    const alice = await w.buy(w.acc.alice, await w.quote(productId, { amount: 100_000n * USD, premium: 1_000n * USD }));
    // The attacker (an LP who profits from the surplus returning at close) books 50k of cover
    // for 10, starting in 20 days: never active at the incident, counted in its liability before.
    const now = await w.now();
    await w.buy(w.acc.attacker, await w.quote(productId, { amount: 50_000n * USD, premium: 10n * USD, start: now + 20n * DAY }));
    await w.advance(2n * HOUR);
    const id = await fireAndConfirm(productId, (await w.crash(feed)).proof);
    const inc = await w.core.market.read.incident([id]);
    expect(inc.liability).toBe(100_000n * USD); // was 150,000: the scheduled cover counted
    await w.send(w.core.market.write.settle([id, [alice]]));
    // The pool holds 101,010 of assets: Alice is paid in full (was 100k × 101k / 150k ≈ 67.3k).
    expect(await w.balance(addr(w.acc.alice))).toBe(100_000n * USD);
  });

  it("a policy paid by an incident does not count again after the product reopens", async () => {
    const { feed, productId } = await w.tvlProduct();
    await w.deposit(w.acc.lp, 100_000n * USD);
    const alice = await w.buy(w.acc.alice, await w.quote(productId, { amount: 100_000n * USD, premium: 1_000n * USD }));
    await w.advance(2n * HOUR);
    const first = await fireAndConfirm(productId, (await w.crash(feed)).proof);
    await w.send(w.core.market.write.settle([first, [alice]]));
    expect(await w.balance(addr(w.acc.alice))).toBe(100_000n * USD);
    // New capital, the product back on sale, Bob covered; Alice's policy runs for weeks yet.
    await w.deposit(w.acc.lp2, 120_000n * USD);
    await w.send(w.core.market.write.reopenProduct([productId]));
    const bob = await w.buy(w.acc.bob, await w.quote(productId, { amount: 100_000n * USD, premium: 1_000n * USD }));
    await w.advance(2n * HOUR);
    const second = await fireAndConfirm(productId, (await w.crash(feed)).proof);
    const inc = await w.core.market.read.incident([second]);
    expect(inc.liability).toBe(100_000n * USD); // was 200,000: Alice's paid policy counted again
    await w.send(w.core.market.write.settle([second, [alice, bob]]));
    expect(await w.balance(addr(w.acc.bob))).toBe(100_000n * USD); // was ≈ 61k
    expect(await w.balance(addr(w.acc.alice))).toBe(100_000n * USD); // paid once
  });
});

const RUNS = Number(process.env.FC_RUNS ?? 12);

type Booked = { start: bigint; end: bigint; cover: bigint; generation: number };

/** The cover of `book` active at `t` in `generation`, one policy at a time. */
const bruteForce = (book: Booked[], t: bigint, generation: number) =>
  book.filter((p) => p.generation === generation && p.start <= t && t < p.end).reduce((a, p) => a + p.cover, 0n);

describe("exact liability: property", () => {
  // A random book: purchases spread over days, some scheduled to start later, durations of any
  // length in seconds (the grid rounds them), an incident at a random time, sometimes a second
  // incident after a reopening. The liability the market records equals the brute-force sum.
  const purchase = fc.record({
    gap: fc.integer({ min: 0, max: 2 * 86_400 }),
    startIn: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 * 86_400 }) }),
    duration: fc.integer({ min: 86_400, max: 9 * 86_400 }),
    cover: fc.integer({ min: 1, max: 50_000 }),
  });
  const book = fc.record({
    first: fc.array(purchase, { minLength: 1, maxLength: 10 }),
    firstAfter: fc.integer({ min: 60, max: 5 * 86_400 }),
    second: fc.array(purchase, { maxLength: 6 }),
    secondAfter: fc.integer({ min: 60, max: 3 * 86_400 }),
  });

  it(`equals the brute-force sum of cover active at the incident time over random books (${RUNS} runs)`, async () => {
    const { feed, productId } = await w.tvlProduct();
    await w.deposit(w.acc.lp, 10_000_000n * USD);
    const base = await w.snapshot();
    let snap = base;
    const checked: number[] = [];
    await fc.assert(
      fc.asyncProperty(book, async ({ first, firstAfter, second, secondAfter }) => {
        await w.revert(snap);
        snap = await w.snapshot();
        const booked: Booked[] = [];
        const ids: bigint[] = [];
        const buyAll = async (list: typeof first) => {
          for (const x of list) {
            await w.advance(x.gap + 1);
            const q = await w.quote(productId, { amount: BigInt(x.cover) * USD, premium: 1n * USD, start: (await w.now()) + BigInt(x.startIn), duration: BigInt(x.duration) });
            const id = await w.buy(w.acc.alice, q);
            ids.push(id);
            const pol = await w.core.market.read.policy([id]);
            booked.push({ start: BigInt(pol.start), end: BigInt(pol.end), cover: pol.coverAmount, generation: pol.generation });
          }
        };
        const incident = async (after: number) => {
          await w.advance(after);
          const id = await fireAndConfirm(productId, (await w.crash(feed)).proof);
          const inc = await w.core.market.read.incident([id]);
          expect(inc.liability, `t=${inc.incidentTime} book=${booked.map((p) => `[${p.start},${p.end})g${p.generation}:${p.cover}`).join(" ")}`).toBe(bruteForce(booked, BigInt(inc.incidentTime), inc.generation));
          checked.push(Number(inc.liability > 0n));
          // Every policy the incident pays is one of the brute force's, and it pays them all.
          // The pool holds 10M: every incident is paid in full, so the payable sum is the liability.
          const payable = await Promise.all(ids.map((p) => w.core.market.read.payableAmount([id, p])));
          expect(inc.reserve).toBe(inc.liability);
          expect(payable.reduce((a, b) => a + b, 0n)).toBe(inc.liability);
          return inc;
        };
        await buyAll(first);
        // The product's active cover is the brute-force sum of cover not yet ended.
        const now = await w.now();
        const ending = booked.filter((p) => p.end > now).reduce((a, p) => a + p.cover, 0n);
        expect(await w.core.market.read.productActiveCover([productId]), "active cover").toBe(ending);
        await incident(firstAfter);
        if (second.length === 0) return;
        await w.send(w.core.market.write.reopenProduct([productId]));
        await buyAll(second);
        await incident(secondAfter);
      }),
      { seed: 1212, numRuns: RUNS, endOnFailure: true },
    );
    await w.revert(base);
    // The draw exercised both empty and non-empty liabilities.
    expect(checked.some((x) => x === 1)).toBe(true);
    expect(checked.some((x) => x === 0)).toBe(true);
  });
});
