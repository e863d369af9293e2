import type {  Hex } from "viem";
import { describe, expect, it } from "vitest";
import { encodePausedParams } from "../../workers/triggers/paused";
import { encodeTvlDropParams, encodeTvlDropProof } from "../../workers/triggers/tvlDrop";
import { addr, DAY, expectRevert, USD, useWorld, type World } from "./helpers/fixture";

let w: World;
const E8 = 10n ** 8n;
const HOUR = 3600n;

useWorld(async (world) => {
  w = world;
}, { leverageBps: 20_000 });


/** A TVL product whose feed starts at 100 (round 1). */
const fireAndConfirm = (productId: bigint, proof: Hex) => w.fireAndConfirm(productId, proof);

describe("who gets paid", () => {
  it("pays policies active at the incident time, not expired or not-yet-started ones", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400 });
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    const now = await w.now();
    const active = await w.buy(w.acc.alice, await w.quote(productId, { amount: 10_000n * USD }));
    const expired = await w.buy(w.acc.bob, await w.quote(productId, { amount: 20_000n * USD, duration: DAY }));
    const future = await w.buy(w.acc.carol, await w.quote(productId, { amount: 30_000n * USD, start: now + 10n * DAY }));
    await w.advance(3n * DAY);
    const { proof, incidentTime } = await w.crash(feed);
    const incidentId = await fireAndConfirm(productId, proof);
    const inc = await w.core.market.read.incident([incidentId]);
    expect(BigInt(inc.incidentTime)).toBe(incidentTime);
    expect(inc.status).toBe(2); // Confirmed
    expect(await w.core.market.read.payableAmount([incidentId, active])).toBe(10_000n * USD);
    expect(await w.core.market.read.payableAmount([incidentId, expired])).toBe(0n);
    expect(await w.core.market.read.payableAmount([incidentId, future])).toBe(0n);

    const before = { a: await w.balance(addr(w.acc.alice)), b: await w.balance(addr(w.acc.bob)), c: await w.balance(addr(w.acc.carol)) };
    const receipt = await w.send(w.core.market.write.settle([incidentId, [active, expired, future]]));
    expect((await w.balance(addr(w.acc.alice))) - before.a).toBe(10_000n * USD);
    expect(await w.balance(addr(w.acc.bob))).toBe(before.b);
    expect(await w.balance(addr(w.acc.carol))).toBe(before.c);
    const [settled] = await w.core.market.getEvents.PoliciesSettled({}, { blockHash: receipt.blockHash });
    expect(settled!.args).toMatchObject({ incidentId, policyIds: [active], amounts: [10_000n * USD], recipients: [addr(w.acc.alice)] });
    expect((await w.core.market.read.incident([incidentId])).paid).toBe(10_000n * USD);
  });

  it("pays the current owner of a transferred policy", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400 });
    await w.deposit(w.acc.lp, 100_000n * USD);
    const id = await w.buy(w.acc.alice, await w.quote(productId));
    await w.advance(2n * HOUR);
    await w.send(w.as(w.core.market, w.acc.alice).write.transferFrom([addr(w.acc.alice), addr(w.acc.carol), id]));
    const { proof } = await w.crash(feed);
    const incidentId = await fireAndConfirm(productId, proof);
    await w.send(w.core.market.write.settle([incidentId, [id]]));
    expect(await w.balance(addr(w.acc.carol))).toBe(10_000n * USD);
  });

  it("never pays a policy twice: a second settlement skips it", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400 });
    await w.deposit(w.acc.lp, 100_000n * USD);
    const id = await w.buy(w.acc.alice, await w.quote(productId));
    await w.advance(2n * HOUR);
    const { proof } = await w.crash(feed);
    const incidentId = await fireAndConfirm(productId, proof);
    await w.send(w.core.market.write.settle([incidentId, [id, id]]));
    await w.send(w.core.market.write.settle([incidentId, [id]]));
    expect(await w.balance(addr(w.acc.alice))).toBe(10_000n * USD);
    expect(await w.core.market.read.policyPaid([id])).toBe(true);
    expect((await w.core.market.read.incident([incidentId])).paid).toBe(10_000n * USD);
    const sim = await w.core.market.simulate.settle([incidentId, [id]]);
    expect(sim.result).toEqual([0n, 0n]);
  });

  it("pays every policy the same pro-rata share when the pool is short", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400 });
    await w.deposit(w.acc.lp, 100_000n * USD); // 2× leverage: 200k of cover
    const a = await w.buy(w.acc.alice, await w.quote(productId, { amount: 120_000n * USD, premium: 10n * USD }));
    const b = await w.buy(w.acc.bob, await w.quote(productId, { amount: 60_000n * USD, premium: 10n * USD }));
    await w.advance(2n * HOUR);
    const { proof } = await w.crash(feed);
    const assets = await w.core.pool.read.totalAssets();
    const incidentId = await fireAndConfirm(productId, proof);
    const inc = await w.core.market.read.incident([incidentId]);
    expect(inc.liability).toBe(180_000n * USD);
    // Premium keeps being earned block by block (one second each) between the read and the
    // confirmation: at most a few base units.
    expect(inc.reserve).toBeGreaterThanOrEqual(assets);
    expect(inc.reserve).toBeLessThanOrEqual(assets + 100n);
    await w.send(w.core.market.write.settle([incidentId, [a, b]]));
    const paidA = await w.balance(addr(w.acc.alice));
    const paidB = await w.balance(addr(w.acc.bob));
    expect(paidA).toBe((120_000n * USD * inc.reserve) / inc.liability);
    expect(paidB).toBe((60_000n * USD * inc.reserve) / inc.liability);
    expect(paidA + paidB).toBeLessThanOrEqual(inc.reserve);
    // Same share: paidA / 120k == paidB / 60k up to one base unit of rounding.
    expect(paidA - 2n * paidB).toBeLessThanOrEqual(2n);
  });

  it("a recipient whose transfer reverts gets a claimable balance and does not block the batch", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400 });
    await w.deposit(w.acc.lp, 100_000n * USD);
    const blocked = await w.buy(w.acc.alice, await w.quote(productId));
    const fine = await w.buy(w.acc.bob, await w.quote(productId, { amount: 5_000n * USD }));
    await w.advance(2n * HOUR);
    await w.send(w.core.asset.write.setBlocked([addr(w.acc.alice), true]));
    const { proof } = await w.crash(feed);
    const incidentId = await fireAndConfirm(productId, proof);
    const receipt = await w.send(w.core.market.write.settle([incidentId, [blocked, fine]]));
    expect(await w.balance(addr(w.acc.bob))).toBe(5_000n * USD);
    expect(await w.core.market.read.claimable([addr(w.acc.alice)])).toBe(10_000n * USD);
    const deferred = await w.core.market.getEvents.PayoutDeferred({}, { blockHash: receipt.blockHash });
    expect(deferred.map((e) => e.args.policyId)).toEqual([blocked]);
    expect(await w.core.market.read.policyPaid([blocked])).toBe(true);
    await w.send(w.as(w.core.market, w.acc.alice).write.claim([addr(w.acc.carol)]));
    expect(await w.balance(addr(w.acc.carol))).toBe(10_000n * USD);
    await expectRevert(w.as(w.core.market, w.acc.alice).write.claim([addr(w.acc.carol)]), "MarketNothingToClaim");
  });

  it("two products tripping together share the pool at the same ratio", async () => {
    const one = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400 });
    const two = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400 });
    await w.deposit(w.acc.lp, 100_000n * USD);
    const a = await w.buy(w.acc.alice, await w.quote(one.productId, { amount: 90_000n * USD, premium: 1n * USD }));
    const b = await w.buy(w.acc.bob, await w.quote(two.productId, { amount: 60_000n * USD, premium: 1n * USD }));
    await w.advance(2n * HOUR);
    const p1 = await w.crash(one.feed);
    const p2 = await w.crash(two.feed);
    await w.send(w.core.market.write.fire([one.productId, p1.proof]));
    await w.send(w.core.market.write.fire([two.productId, p2.proof]));
    expect(await w.core.pool.read.pendingLiability()).toBe(150_000n * USD);
    const assets = await w.core.pool.read.totalAssets();
    await w.send(w.core.market.write.confirmIncident([1n]));
    await w.send(w.core.market.write.confirmIncident([2n]));
    await w.send(w.core.market.write.settle([1n, [a]]));
    await w.send(w.core.market.write.settle([2n, [b]]));
    const paidA = await w.balance(addr(w.acc.alice));
    const paidB = await w.balance(addr(w.acc.bob));
    // All the pool's assets (plus premium earned during the few one-second blocks since the read).
    expect(paidA + paidB).toBeLessThanOrEqual(assets + 100n);
    expect(paidA + paidB).toBeGreaterThanOrEqual(assets - 2n);
    // Both at assets / 150k: paidA / 90k == paidB / 60k, up to the premium earned in the one
    // block between the two confirmations (a few base units on $150k).
    const skew = paidA * 2n - paidB * 3n;
    expect(skew < 0n ? -skew : skew).toBeLessThanOrEqual(100n);
    expect(await w.core.pool.read.pendingLiability()).toBe(0n);
  });
});

describe("no buying into a known loss (the Cozy v2 drain)", () => {
  it("cover bought after the TVL crash is not paid for that crash", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400 });
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    const honest = await w.buy(w.acc.alice, await w.quote(productId, { amount: 10_000n * USD }));
    await w.advance(2n * HOUR);
    const { proof } = await w.crash(feed);
    // The attacker sees the crash on-chain before anyone fires, and buys big cover at once.
    const attack = await w.buy(w.acc.attacker, await w.quote(productId, { amount: 500_000n * USD, premium: 5_000n * USD }));
    const p = await w.core.market.read.policy([attack]);
    const incidentId = await fireAndConfirm(productId, proof);
    const inc = await w.core.market.read.incident([incidentId]);
    expect(BigInt(p.start)).toBeGreaterThan(BigInt(inc.incidentTime));
    expect(await w.core.market.read.payableAmount([incidentId, attack])).toBe(0n);
    const before = await w.balance(addr(w.acc.attacker));
    await w.send(w.core.market.write.settle([incidentId, [honest, attack]]));
    expect(await w.balance(addr(w.acc.attacker))).toBe(before);
    expect(await w.balance(addr(w.acc.alice))).toBe(10_000n * USD);
  });

  it("no cover is sold while an incident is open", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400, veto: 3600 });
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    const { proof } = await w.crash(feed);
    await w.send(w.core.market.write.fire([productId, proof]));
    const q = await w.quote(productId);
    await w.fund(w.acc.attacker, q.premium);
    await expectRevert(w.as(w.core.market, w.acc.attacker).write.buyCover([q, await w.sign(q)]), "MarketProductNotActive");
  });

  it("no cover is sold while a pause is observed, and the pause pays policies bought before it", async () => {
    const protocol = await w.newPausable();
    const params = encodePausedParams({ target: protocol.address, durationSeconds: 3600, maxGapSeconds: 3600 });
    const { productId } = await w.listProduct(w.core.paused.address, params);
    await w.deposit(w.acc.lp, 100_000n * USD);
    const id = await w.buy(w.acc.alice, await w.quote(productId));
    await w.advance(2n * HOUR);
    await w.send(protocol.write.pause());
    const q = await w.quote(productId);
    await w.fund(w.acc.attacker, q.premium);
    await expectRevert(w.as(w.core.market, w.acc.attacker).write.buyCover([q, await w.sign(q)]), "MarketConditionHolds");
    await w.send(w.core.market.write.observe([productId]));
    await expectRevert(w.core.market.write.fire([productId, "0x"]), "MarketTriggerNotTripped");
    await w.advance(1800);
    await w.send(w.core.market.write.observe([productId])); // still paused: the pause stays continuous
    await w.advance(1800);
    const incidentId = await fireAndConfirm(productId, "0x");
    await w.send(w.core.market.write.settle([incidentId, [id]]));
    expect(await w.balance(addr(w.acc.alice))).toBe(10_000n * USD);
  });
});

describe("wiring", () => {
  it("MarketTermGridInvalid for a term grid outside [60 s, 1 day] or not dividing a day", async () => {
    const { deploy } = await import("../../scripts/lib/deploy");
    const CoverMarketArtifact = await import("../../contracts/out/CoverMarket");
    for (const grid of [0n, 59n, 7n * 60n, 86_401n, 2n * 86_400n]) {
      await expectRevert(deploy(w.clients, w.acc.owner, CoverMarketArtifact, [w.core.pool.address, addr(w.acc.owner), grid]), "MarketTermGridInvalid", [grid]);
    }
    expect(await w.core.market.read.termGridSeconds()).toBe(3600n);
  });

  it("MarketPoolMismatch when listing on a market its pool does not know", async () => {
    const { deploy } = await import("../../scripts/lib/deploy");
    const CoverMarketArtifact = await import("../../contracts/out/CoverMarket");
    const { getAddress, getContract } = await import("viem");
    const other = await deploy(w.clients, w.acc.owner, CoverMarketArtifact, [w.core.pool.address, addr(w.acc.owner), 3600n]);
    const market = getContract({ address: other.address, abi: CoverMarketArtifact.abi, client: { public: w.clients.publicClient, wallet: w.acc.owner } });
    const feed = await w.newFeed(8, 100n * E8);
    const params = encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 86_400 });
    await expectRevert(
      market.write.listProduct([{ trigger: w.core.tvlDrop.address, params, termsHash: `0x${"ab".repeat(32)}`, capAmount: 1n, coverageLagSeconds: 60, vetoWindowSeconds: 0 }]),
      "MarketPoolMismatch",
      [getAddress(w.core.market.address)],
    );
  });
});

describe("incident lifecycle", () => {
  it("confirmation waits for the veto window; a guardian can veto only while it is open", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400, veto: 86_400 });
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId));
    await w.advance(2n * HOUR);
    const { proof } = await w.crash(feed);
    await w.send(w.core.market.write.fire([productId, proof]));
    expect(await w.core.pool.read.pendingLiability()).toBe(10_000n * USD);
    await expectRevert(w.core.market.write.confirmIncident([1n]), "MarketVetoWindowOpen");
    await expectRevert(w.as(w.core.market, w.acc.bob).write.vetoIncident([1n]), "AccessControlUnauthorizedAccount");
    await w.send(w.as(w.core.market, w.acc.guardian).write.vetoIncident([1n]));
    expect((await w.core.market.read.incident([1n])).status).toBe(3); // Vetoed
    expect((await w.core.market.read.product([productId])).status).toBe(1); // Active again
    expect(await w.core.pool.read.pendingLiability()).toBe(0n);
    // The vetoed readings cannot be used again: incidents must begin after the veto.
    await expectRevert(w.core.market.write.fire([productId, proof]), "MarketIncidentBeforeListing");
    await expectRevert(w.core.market.write.confirmIncident([1n]), "MarketIncidentTransitionInvalid");
  });

  it("MarketVetoWindowClosed after the window; then anyone confirms", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400, veto: 3600 });
    await w.deposit(w.acc.lp, 100_000n * USD);
    const { proof } = await w.crash(feed);
    await w.send(w.core.market.write.fire([productId, proof]));
    await w.advance(3600);
    await expectRevert(w.as(w.core.market, w.acc.guardian).write.vetoIncident([1n]), "MarketVetoWindowClosed");
    await w.send(w.as(w.core.market, w.acc.bob).write.confirmIncident([1n]));
    expect((await w.core.market.read.product([productId])).status).toBe(3); // Closed
  });

  it("refuses a fall whose first reading came before the product was listed", async () => {
    const feed = await w.newFeed(8, 100n * E8);
    await w.advance(60);
    await w.send(feed.write.updateAnswer([60n * E8])); // a 40% fall, tripping, before listing
    const params = encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 40 * 86_400 });
    const { productId } = await w.listProduct(w.core.tvlDrop.address, params);
    await w.advance(60);
    await w.send(feed.write.updateAnswer([10n * E8]));
    await expectRevert(w.core.market.write.fire([productId, encodeTvlDropProof(1n, 1n, 2n)]), "MarketIncidentBeforeListing");
    // The later round belongs to the same fall: it cannot be named as a new one.
    await expectRevert(w.core.market.write.fire([productId, encodeTvlDropProof(1n, 2n, 3n)]), "TvlDropTripNotFirst");
  });

  it("refuses untripped, too old and closed-product fires", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400 });
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.advance(60);
    await w.send(feed.write.updateAnswer([80n * E8]));
    await expectRevert(w.core.market.write.fire([productId, encodeTvlDropProof(1n, 1n, 2n)]), "MarketTriggerNotTripped");
    const { proof } = await w.crash(feed);
    await w.advance(31n * DAY);
    await w.send(feed.write.updateAnswer([40n * E8]));
    await expectRevert(w.core.market.write.fire([productId, proof]), "MarketIncidentTooOld");
    const fresh = await w.crash(feed);
    await fireAndConfirm(productId, fresh.proof);
    await expectRevert(w.core.market.write.fire([productId, fresh.proof]), "MarketProductNotActive");
  });

  it("settlement needs a confirmed incident; closing waits for the window and returns the unpaid reserve", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400, veto: 3600 });
    await w.deposit(w.acc.lp, 100_000n * USD);
    const a = await w.buy(w.acc.alice, await w.quote(productId));
    await w.buy(w.acc.bob, await w.quote(productId, { amount: 4_000n * USD }));
    await w.advance(2n * HOUR);
    const { proof } = await w.crash(feed);
    await w.send(w.core.market.write.fire([productId, proof]));
    await expectRevert(w.core.market.write.settle([1n, [a]]), "MarketIncidentTransitionInvalid");
    await w.advance(3600);
    await w.send(w.core.market.write.confirmIncident([1n]));
    await w.send(w.core.market.write.settle([1n, [a]]));
    await expectRevert(w.core.market.write.closeIncident([1n]), "MarketSettlementWindowOpen");
    await w.advance(90n * DAY);
    const poolBefore = await w.balance(w.core.pool.address);
    await w.send(w.core.market.write.closeIncident([1n]));
    expect((await w.balance(w.core.pool.address)) - poolBefore).toBe(4_000n * USD);
    expect((await w.core.market.read.incident([1n])).status).toBe(4); // Closed
    await expectRevert(w.core.market.write.settle([1n, [a]]), "MarketIncidentTransitionInvalid");
  });

  it("pausing new cover never stops payouts owed", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400 });
    await w.deposit(w.acc.lp, 100_000n * USD);
    const id = await w.buy(w.acc.alice, await w.quote(productId));
    await w.advance(2n * HOUR);
    await w.send(w.core.market.write.setPauseFlags([1]));
    await w.send(w.core.market.write.setProductSalesPaused([productId, true]));
    const { proof } = await w.crash(feed);
    const incidentId = await fireAndConfirm(productId, proof);
    await w.send(w.core.market.write.settle([incidentId, [id]]));
    expect(await w.balance(addr(w.acc.alice))).toBe(10_000n * USD);
  });

  it("a reopened product sells again and its next incident must begin after the reopening", async () => {
    const { feed, productId } = await w.tvlProduct({ maxAgeSeconds: 40 * 86_400 });
    await w.deposit(w.acc.lp, 100_000n * USD);
    const first = await w.crash(feed);
    await fireAndConfirm(productId, first.proof);
    await expectRevert(w.as(w.core.market, w.acc.bob).write.reopenProduct([productId]), "AccessControlUnauthorizedAccount");
    await w.send(w.core.market.write.reopenProduct([productId]));
    await expectRevert(w.core.market.write.fire([productId, first.proof]), "MarketIncidentBeforeListing");
    const id = await w.buy(w.acc.alice, await w.quote(productId));
    await w.advance(2n * HOUR);
    const second = await w.crash(feed);
    const incidentId = await fireAndConfirm(productId, second.proof);
    await w.send(w.core.market.write.settle([incidentId, [id]]));
    expect(await w.balance(addr(w.acc.alice))).toBe(10_000n * USD);
    await expectRevert(w.core.market.write.reopenProduct([99n]), "MarketProductNotActive");
  });
});
