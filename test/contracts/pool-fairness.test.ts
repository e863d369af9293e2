import { describe, expect, it } from "vitest";
import { addr, DAY, expectRevert, USD, useWorld, type World } from "./helpers/fixture";

/**
 * Attacks on the pool's LPs and claimants (issue 12), each written as the behaviour the fix
 * guarantees. Figures from the code before the fix are in the comments.
 */
let w: World;
const HOUR = 3600n;
const COOLDOWN = 7n * DAY;

useWorld(async (world) => {
  w = world;
}, { leverageBps: 20_000, cooldownSeconds: Number(COOLDOWN) });


async function request(lp: World["acc"]["lp"]) {
  const shares = await w.core.pool.read.balanceOf([addr(lp)]);
  await w.send(w.as(w.core.pool, lp).write.requestRedeem([shares]));
  return { id: await w.core.pool.read.lastRequestId(), shares };
}

async function complete(lp: World["acc"]["lp"], r: { id: bigint; shares: bigint }) {
  const before = await w.balance(addr(lp));
  await w.send(w.as(w.core.pool, lp).write.completeRedeem([r.id, r.shares, addr(lp)]));
  return (await w.balance(addr(lp))) - before;
}

describe("no exit ahead of a known loss (issue 12.1)", () => {
  it("an LP with a matured request cannot leave at the pre-loss price during the veto window", async () => {
    const { feed, productId } = await w.tvlProduct({ veto: Number(DAY) });
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.deposit(w.acc.lp2, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 40_000n * USD, premium: 1n * USD }));
    const r = await request(w.acc.lp2);
    await w.advance(COOLDOWN);
    const { proof } = await w.crash(feed);
    await w.send(w.core.market.write.fire([productId, proof]));
    expect(await w.core.pool.read.pendingLiability()).toBe(40_000n * USD);
    // Fair: (200k − 40k) / 2 = 80k each (plus a sliver of premium). Before the fix: 100,000.
    const got = await complete(w.acc.lp2, r);
    expect(got).toBeLessThanOrEqual(80_001n * USD);
    expect(got).toBeGreaterThan(79_999n * USD);
  });

  it("a request values its shares at the lower of request-time and completion-time price: it stops earning once made", async () => {
    const { productId } = await w.tvlProduct();
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.deposit(w.acc.lp2, 100_000n * USD);
    const r = await request(w.acc.lp2);
    // A large premium is earned after the request; the request does not share in it.
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 100_000n * USD, premium: 5_000n * USD, duration: 2n * DAY }));
    await w.advance(COOLDOWN);
    expect(await w.core.pool.read.totalAssets()).toBe(205_000n * USD);
    const got = await complete(w.acc.lp2, r);
    expect(got).toBeLessThanOrEqual(100_000n * USD); // before the fix: 102,500
    expect(got).toBeGreaterThan(100_000n * USD - 2n);
  });

  it("a matured request lapses after the completion window: no free option on later losses", async () => {
    await w.deposit(w.acc.lp, 100_000n * USD);
    const r = await request(w.acc.lp);
    const window = BigInt(await w.core.pool.read.REDEEM_WINDOW_SECONDS());
    await w.advance(COOLDOWN + window + 1n);
    await expectRevert(w.as(w.core.pool, w.acc.lp).write.completeRedeem([r.id, r.shares, addr(w.acc.lp)]), "PoolWithdrawalLapsed");
    // The shares come back with a cancel and can be queued again.
    await w.send(w.as(w.core.pool, w.acc.lp).write.cancelRedeem([r.id]));
    expect(await w.core.pool.read.balanceOf([addr(w.acc.lp)])).toBe(r.shares);
  });
});

describe("a returned reserve stays on the books (issue 12.3)", () => {
  it("a deposit just before closeIncident gains nothing from the returned reserve on a quick exit, and only a time-held slice later", async () => {
    const { feed, productId } = await w.tvlProduct();
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 20_000n * USD, premium: 1n * USD }));
    await w.advance(2n * HOUR);
    const { proof } = await w.crash(feed);
    await w.send(w.core.market.write.fire([productId, proof]));
    await w.send(w.core.market.write.confirmIncident([1n]));
    // Nobody settles the policy: its 20k reserve returns when the incident closes.
    await w.advance(90n * DAY);
    await w.deposit(w.acc.attacker, 100_000n * USD);
    await w.send(w.core.market.write.closeIncident([1n]));
    const r = await request(w.acc.attacker);
    await w.advance(COOLDOWN);
    const gained = (await complete(w.acc.attacker, r)) - 100_000n * USD;
    // Before the fix: +11,111. Now: the 20k is
    // earned back over RETURN_STREAM_SECONDS; the request made a few blocks after the close is
    // worth what it was then.
    expect(gained).toBeLessThanOrEqual(1n * USD);
  });

  it("the returned reserve is earned back linearly over the stream period", async () => {
    const { feed, productId } = await w.tvlProduct();
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 20_000n * USD, premium: 1n * USD }));
    await w.advance(2n * HOUR);
    const { proof } = await w.crash(feed);
    await w.send(w.core.market.write.fire([productId, proof]));
    await w.send(w.core.market.write.confirmIncident([1n]));
    await w.advance(90n * DAY);
    const before = await w.core.pool.read.totalAssets();
    await w.send(w.core.market.write.closeIncident([1n]));
    expect((await w.core.pool.read.totalAssets()) - before).toBeLessThan(1n * USD);
    await w.advance(15n * DAY);
    const half = (await w.core.pool.read.totalAssets()) - before;
    expect(half).toBeGreaterThan(9_000n * USD);
    expect(half).toBeLessThan(11_000n * USD);
    await w.advance(17n * DAY);
    expect(await w.core.pool.read.totalAssets()).toBe(before + 20_000n * USD);
  });
});

describe("a visible condition not yet fired freezes exits (issue 12.1, second case)", () => {
  it("anyone can freeze completions while a product's condition holds; after fire and clear they pay net of the incident", async () => {
    const { encodePausedParams } = await import("../../workers/triggers/paused");
    const protocol = await w.newPausable();
    const { productId } = await w.listProduct(w.core.paused.address, encodePausedParams({ target: protocol.address, durationSeconds: 3600, maxGapSeconds: 3600 }), { cap: 10_000_000n * USD });
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.deposit(w.acc.lp2, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 60_000n * USD, premium: 1n * USD }));
    const r = await request(w.acc.lp2);
    await w.advance(COOLDOWN);
    // The pause is visible on-chain; it cannot be fired for another hour.
    await w.send(protocol.write.pause());
    await w.send(w.core.market.write.observe([productId]));
    await w.send(w.as(w.core.market, w.acc.lp).write.flagCondition([productId]));
    // Before the hook the matured request took 100,000 here, leaving the other LP 40,000 after
    // the 60k incident (with 150k of cover: 100,000 taken, the other LP's exit value 0).
    await expectRevert(w.as(w.core.pool, w.acc.lp2).write.completeRedeem([r.id, r.shares, addr(w.acc.lp2)]), "PoolExitsFrozen");
    await expectRevert(w.core.market.write.clearCondition([productId]), "MarketConditionStillHolds");
    await expectRevert(w.core.market.write.flagCondition([productId]), "MarketConditionAlreadyFlagged");
    await w.advance(1800);
    await w.send(w.core.market.write.observe([productId])); // still paused: continuity kept
    await w.advance(1800);
    await w.send(w.core.market.write.fire([productId, "0x"]));
    await w.send(w.core.market.write.clearCondition([productId])); // fired: pending pricing takes over
    const got = await complete(w.acc.lp2, r);
    expect(got).toBeLessThanOrEqual(70_001n * USD); // (200k − 60k) / 2
    expect(got).toBeGreaterThan(69_999n * USD);
  });

  it("a condition that does not hold cannot freeze exits", async () => {
    const { productId } = await w.tvlProduct();
    await expectRevert(w.core.market.write.flagCondition([productId]), "MarketConditionNotHolding");
  });
});
