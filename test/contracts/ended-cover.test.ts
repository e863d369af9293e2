import { encodeFunctionData, zeroAddress, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { quoteTypedData, type Quote } from "../../workers/chain/quote";
import { encodeDepegParams, encodeDepegProof } from "../../workers/triggers/depeg";
import { addr, DAY, expectRevert, releaseEnded, USD, useWorld, type World } from "./helpers/fixture";

// Review 3 of exact liability, findings 1 and 3 (reproduced first on branch `review-liability`,
// test/contracts/attacks-review3-liability.test.ts, where they succeed on the code before this
// change): cover of an ended generation held the pool's capital until its original end, and a
// book idle over thousands of marked grid steps could not be brought forward within a block.

let w: World;
const E8 = 10n ** 8n;
const HOUR = 3600n;
const COOLDOWN = 7n * DAY;

useWorld(async (world) => {
  w = world;
}, { leverageBps: 10_000, cooldownSeconds: Number(COOLDOWN) });


const release = (productId: bigint, generation: bigint, maxSteps: bigint) => releaseEnded(w, w.core.market.address, w.acc.attacker, productId, generation, maxSteps);

describe("an ended generation's cover leaves the pool (review 3, finding 1)", () => {
  it("after a paid incident, the release frees the pool: the LP exits and every product sells again", async () => {
    const { feed, productId } = await w.tvlProduct();
    const other = await w.tvlProduct(); // a second product on the same pool, never tripped
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    // Alice: 500k for a year, active at the crash. Bob: 400k for a year scheduled in 30 days
    // (not active at the crash: his cover ends with the generation, unpaid).
    const alice = await w.buy(w.acc.alice, await w.quote(productId, { amount: 500_000n * USD, premium: 5_000n * USD, duration: 365n * DAY }));
    const bob = await w.buy(w.acc.bob, await w.quote(productId, { amount: 400_000n * USD, premium: 4_000n * USD, duration: 365n * DAY, start: (await w.now()) + 30n * DAY }));
    await w.advance(2n * HOUR);
    const id = await w.fireAndConfirm(productId, (await w.crash(feed)).proof);
    await w.send(w.core.market.write.settle([id, [alice, bob]]));
    expect(await w.balance(addr(w.acc.alice))).toBe(500_000n * USD);
    expect(await w.core.market.read.payableAmount([id, bob])).toBe(0n);

    // The state the review found: all 900k still counted, nothing free for a year.
    expect(await w.core.pool.read.activeCover()).toBe(900_000n * USD);
    expect(await w.core.pool.read.freeCapital()).toBe(0n);

    // Anyone releases the ended generation: both policies' ends leave the pool's book.
    const r = await release(productId, 0n, 1_000n);
    expect(r).toMatchObject({ released: 900_000n * USD, done: true });
    console.log(`release of 2 end steps: ${r.gasUsed} gas`);
    expect(await w.core.pool.read.activeCover()).toBe(0n);
    const assets = await w.core.pool.read.totalAssets();
    expect(assets).toBeGreaterThan(500_000n * USD); // 1M + earned premium − 500k paid
    expect(await w.core.pool.read.freeCapital()).toBe(assets);

    // The untouched product sells at once; the closed one after its reopening.
    await w.buy(w.acc.carol, await w.quote(other.productId, { amount: 10_000n * USD, premium: 100n * USD }));
    await w.send(w.core.market.write.reopenProduct([productId]));
    await w.advance(2n * DAY); // past the TVL trigger's window: its condition no longer holds
    await w.buy(w.acc.carol, await w.quote(productId, { amount: 10_000n * USD, premium: 100n * USD }));

    // The LP takes out all but what backs Carol's 20k (1× leverage).
    const shares = await w.core.pool.read.balanceOf([addr(w.acc.lp)]);
    await w.send(w.as(w.core.pool, w.acc.lp).write.requestRedeem([shares]));
    const req = await w.core.pool.read.lastRequestId();
    await w.advance(COOLDOWN);
    const part = (shares * 95n) / 100n;
    await w.send(w.as(w.core.pool, w.acc.lp).write.completeRedeem([req, part, addr(w.acc.lp)]));
    expect(await w.balance(addr(w.acc.lp))).toBeGreaterThan(450_000n * USD);
  });

  it("bounded: one marked end step per call, each released once, the pool's later expiry not subtracted twice", async () => {
    const { feed, productId } = await w.tvlProduct();
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    const q = async (amount: bigint, duration: bigint) => w.buy(w.acc.alice, await w.quote(productId, { amount: amount * USD, premium: USD, duration }));
    await q(10_000n, 10n * DAY); // four end steps on three end days
    await q(20_000n, 20n * DAY);
    await q(30_000n, 20n * DAY + 5n * HOUR);
    await q(40_000n, 40n * DAY);
    const short = await q(5_000n, DAY); // ends before the release: the pool expires it itself
    await w.advance(2n * HOUR);
    const id = await w.fireAndConfirm(productId, (await w.crash(feed)).proof);
    await w.send(w.core.market.write.settle([id, [short]]));
    await w.advance(2n * DAY);
    expect(await w.core.pool.read.activeCover()).toBe(100_000n * USD);

    const steps: bigint[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await release(productId, 0n, 1n);
      steps.push(r.released / USD);
      if (r.done) break;
    }
    // One end step a call; the fourth finds nothing after it up to the walk's horizon (the short
    // policy's end, and the starts, are before today: not walked).
    expect(steps).toEqual([10_000n, 20_000n, 30_000n, 40_000n]);
    expect(await w.core.pool.read.activeCover()).toBe(0n);
    expect(await release(productId, 0n, 1_000n)).toMatchObject({ released: 0n, done: true });

    // Days pass beyond every original end: the pool's buckets expire without going negative.
    await w.send(w.core.market.write.reopenProduct([productId]));
    await w.advance(45n * DAY);
    expect(await w.core.pool.read.activeCover()).toBe(0n);
    await w.buy(w.acc.bob, await w.quote(productId, { amount: 50_000n * USD, premium: 500n * USD }));
    expect(await w.core.pool.read.activeCover()).toBe(50_000n * USD);
  });

  it("cover ending later today is released; cover of the same day bucket from another product stays", async () => {
    const { feed, productId } = await w.tvlProduct();
    const other = await w.tvlProduct();
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    // Both end on the same UTC day (one pool bucket), a few hours apart.
    const aliceId = await w.buy(w.acc.alice, await w.quote(productId, { amount: 70_000n * USD, premium: USD, duration: 3n * DAY }));
    await w.buy(w.acc.bob, await w.quote(other.productId, { amount: 30_000n * USD, premium: USD, duration: 3n * DAY }));
    await w.advance(2n * HOUR);
    const alice = await w.core.market.read.policy([aliceId]);
    await w.fireAndConfirm(productId, (await w.crash(feed)).proof);
    // Half an hour before Alice's end, on its UTC day: its pool bucket (the day after) is live.
    await w.advance(BigInt(alice.end) - 1800n - (await w.now()));
    expect((await w.now()) / DAY).toBe(BigInt(alice.end) / DAY);
    expect(await w.core.pool.read.activeCover()).toBe(100_000n * USD);
    expect((await release(productId, 0n, 100n)).released).toBe(70_000n * USD);
    expect(await w.core.pool.read.activeCover()).toBe(30_000n * USD);
    await w.advance(2n * DAY);
    expect(await w.core.pool.read.activeCover()).toBe(0n);
  });

  it("MarketGenerationNotEnded for a generation selling, pending, vetoed, or not yet reached", async () => {
    const { feed, productId } = await w.tvlProduct({ veto: 3600 });
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 10_000n * USD, premium: 100n * USD }));
    const m = w.as(w.core.market, w.acc.attacker);
    await expectRevert(m.write.releaseEndedCover([productId, 0n, 10n]), "MarketGenerationNotEnded", [productId, 0n]);
    await w.advance(2n * HOUR);
    await w.send(w.core.market.write.fire([productId, (await w.crash(feed)).proof]));
    const [, , first] = await w.core.market.read.counts();
    await expectRevert(m.write.releaseEndedCover([productId, 0n, 10n]), "MarketGenerationNotEnded", [productId, 0n]); // pending
    await w.send(w.as(w.core.market, w.acc.guardian).write.vetoIncident([first]));
    await expectRevert(m.write.releaseEndedCover([productId, 0n, 10n]), "MarketGenerationNotEnded", [productId, 0n]); // vetoed: still selling
    expect(await w.core.pool.read.activeCover()).toBe(10_000n * USD);
    await w.advance(2n * DAY);
    await w.send(w.core.market.write.fire([productId, (await w.crash(feed)).proof]));
    const [, , second] = await w.core.market.read.counts();
    await w.advance(3600n);
    await w.send(w.core.market.write.confirmIncident([second]));
    await expectRevert(m.write.releaseEndedCover([productId, 1n, 10n]), "MarketGenerationNotEnded", [productId, 1n]);
    await w.send(w.core.market.write.reopenProduct([productId]));
    await expectRevert(m.write.releaseEndedCover([productId, 1n, 10n]), "MarketGenerationNotEnded", [productId, 1n]); // the new one sells
    expect(await release(productId, 0n, 10n)).toMatchObject({ released: 10_000n * USD, done: true });
    await expectRevert(m.write.releaseEndedCover([99n, 0n, 10n]), "MarketProductNotActive");
  });
});

// ─── finding 3 ───────────────────────────────────────────────────────────────────────────────

async function depegProduct() {
  const feed = await w.newFeed(8, E8);
  const params = encodeDepegParams({ feed: feed.address, thresholdE18: 995n * 10n ** 15n, durationSeconds: 3600, maxAgeSeconds: 400 * 86_400 });
  const { productId, termsHash } = await w.listProduct(w.core.depeg.address, params, { cap: 100_000_000n * USD });
  return { feed, productId, termsHash };
}

/** Below the threshold now, recovered an hour later: a tripped episode. */
async function episode(feed: Awaited<ReturnType<typeof depegProduct>>["feed"]) {
  await w.send(feed.write.updateAnswer([99n * 10n ** 6n]));
  const onset = await feed.read.latestRound();
  await w.advance(HOUR + 1n);
  await w.send(feed.write.updateAnswer([E8]));
  return encodeDepegProof(BigInt(onset));
}

/** `n` one-unit policies ending on `n` distinct grid hours, sent in bulk by the attacker. */
async function markHours(productId: bigint, termsHash: Hex, n: number, firstQuoteId: bigint) {
  await w.fund(w.acc.attacker, BigInt(n));
  const m = w.as(w.core.market, w.acc.attacker);
  const t0 = await w.now();
  const maxH = 365 * 24 - 24;
  await w.clients.testClient.setAutomine(false);
  let nonce = await w.clients.publicClient.getTransactionCount({ address: addr(w.acc.attacker), blockTag: "pending" });
  let last: Hex = "0x";
  for (let i = 0; i < n; i++) {
    // Durations walk the year; past it, scheduled starts walk the 90 days after.
    const extra = i > maxH ? i - maxH : 0;
    const q: Quote = {
      productId, amount: 1n, premium: 1n, start: t0 + BigInt(extra) * HOUR, duration: DAY + BigInt(i - extra) * HOUR, buyer: zeroAddress,
      deadline: t0 + 30n * DAY, quoteId: firstQuoteId + BigInt(i), termsHash, integrator: zeroAddress, integratorFeeBps: 0,
    };
    const sig = await w.acc.signer.signTypedData({ account: w.acc.signer.account!, ...quoteTypedData(q, w.chainId, w.core.market.address) });
    last = await m.write.buyCover([q, sig], { nonce: nonce++, gas: 400_000n });
    if (i % 70 === 69) await w.clients.testClient.mine({ blocks: 1 });
  }
  await w.clients.testClient.mine({ blocks: 1 });
  await w.clients.testClient.setAutomine(true);
  expect((await w.clients.publicClient.waitForTransactionReceipt({ hash: last })).status).toBe("success");
}

const fireGas = (productId: bigint, proof: Hex) =>
  w.clients.publicClient.estimateGas({
    account: addr(w.acc.keeper), to: w.core.market.address, data: encodeFunctionData({ abi: w.core.market.abi, functionName: "fire", args: [productId, proof] }),
  });

describe("an idle book is brought forward in bounded steps (review 3, finding 3)", () => {
  it("300 marked hours: foldProduct in steps of 100, then the fire costs what a fire over one marked hour does", async () => {
    await w.deposit(w.acc.lp, 10_000_000n * USD);
    const baseline = async () => {
      const snap = await w.snapshot();
      const { feed, productId, termsHash } = await depegProduct();
      await markHours(productId, termsHash, 1, 900_000_000n);
      await w.advance(DAY + 3n * HOUR);
      const gas = await fireGas(productId, await episode(feed));
      await w.revert(snap);
      return gas;
    };
    const oneMark = await baseline();

    const { feed, productId, termsHash } = await depegProduct();
    await markHours(productId, termsHash, 300, 910_000_000n);
    await w.send(w.core.market.write.setProductSalesPaused([productId, true])); // nobody buys: nothing folds the book
    await w.advance(DAY + 302n * HOUR);
    const proof = await episode(feed);
    const unfolded = await fireGas(productId, proof);
    const m = w.as(w.core.market, w.acc.attacker);
    const done: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const { result } = await m.simulate.foldProduct([productId, 100n]);
      await w.send(m.write.foldProduct([productId, 100n]));
      done.push(result);
    }
    expect(done).toEqual([false, false, false, true, true]); // 300 end steps and their start step
    const p = await w.core.market.read.product([productId]);
    expect(p.activeCover).toBe(0n); // every one of the 300 has ended
    expect(BigInt(p.lastHour)).toBe((await w.now()) / HOUR);
    const folded = await fireGas(productId, proof);
    console.log(`fire over 300 marked hours: ${unfolded} gas unfolded, ${folded} after foldProduct; over 1 marked hour ${oneMark}`);
    expect(unfolded - oneMark).toBeGreaterThan(300n * 2_000n);
    expect(folded).toBeLessThan(oneMark + 20_000n);
  });

  it("a partial fold leaves the book exact: the liability of a later incident is the cover active at its time", async () => {
    await w.deposit(w.acc.lp, 10_000_000n * USD);
    const { feed, productId, termsHash } = await depegProduct();
    await markHours(productId, termsHash, 60, 920_000_000n); // 60 units ending on days 1 … 3.5
    const alice = await w.buy(w.acc.alice, await w.quote(productId, { amount: 50_000n * USD, premium: 500n * USD, duration: 10n * DAY }));
    await w.advance(DAY + 30n * HOUR); // about 30 of the 60 have ended
    expect(await w.as(w.core.market, w.acc.attacker).simulate.foldProduct([productId, 7n]).then((s) => s.result)).toBe(false);
    await w.send(w.as(w.core.market, w.acc.attacker).write.foldProduct([productId, 7n])); // 7 of them folded
    const proof = await episode(feed);
    await w.send(w.core.market.write.fire([productId, proof]));
    const [, , id] = await w.core.market.read.counts();
    const inc = await w.core.market.read.incident([id]);
    // Brute force: Alice's 50k plus each 1-unit policy still active at t.
    let units = 0n;
    for (let i = 0n; i < 60n; i++) {
      const pol = await w.core.market.read.policy([920_000_000n + i]);
      if (BigInt(pol.start) <= BigInt(inc.incidentTime) && BigInt(inc.incidentTime) < BigInt(pol.end)) units++;
    }
    expect(units).toBeGreaterThan(20n);
    expect(units).toBeLessThan(40n);
    expect(inc.liability).toBe(50_000n * USD + units);
    expect((await w.core.market.read.policy([alice])).coverAmount).toBe(50_000n * USD);
  });

  // ~9,300 purchases sent in bulk: about a minute on anvil.
  it("the review's stuck product (9,300 marked hours, 400 quiet days) is caught up in 2,000-step folds and fires", async () => {
    await w.deposit(w.acc.lp, 100_000_000n * USD);
    const { feed, productId, termsHash } = await depegProduct();
    await markHours(productId, termsHash, 9_300, 500_000_000n);
    await w.send(w.core.market.write.setProductSalesPaused([productId, true]));
    await w.advance(400n * DAY);
    const proof = await episode(feed);
    // As the review found: the fire alone does not fit a 30M-gas block.
    const hash = await w.as(w.core.market, w.acc.keeper).write.fire([productId, proof], { gas: 30_000_000n });
    expect((await w.clients.publicClient.waitForTransactionReceipt({ hash })).status).toBe("reverted");
    const m = w.as(w.core.market, w.acc.attacker);
    const gas: bigint[] = [];
    for (let i = 0; i < 10; i++) {
      const { result } = await m.simulate.foldProduct([productId, 2_000n]);
      gas.push((await w.send(m.write.foldProduct([productId, 2_000n]))).gasUsed);
      if (result) break;
    }
    console.log(`9,300 marked hours folded in ${gas.length} transactions of ${gas.map((g) => `${(Number(g) / 1e6).toFixed(1)}M`).join(", ")} gas`);
    expect(gas.length).toBe(5);
    for (const g of gas) expect(g).toBeLessThan(15_000_000n);
    const fired = await w.send(w.as(w.core.market, w.acc.keeper).write.fire([productId, proof]));
    expect(fired.status).toBe("success");
    expect(fired.gasUsed).toBeLessThan(1_000_000n);
  }, 1_500_000);
});
