import { describe, expect, it } from "vitest";
import { encodeDepegParams } from "../../workers/triggers/depeg";
import { encodeTvlDropParams, encodeTvlDropProof } from "../../workers/triggers/tvlDrop";
import { addr, DAY, expectRevert, USD, useWorld, type World } from "./helpers/fixture";

// Adversarial review: pool-side value transfers and exit freezes.

let w: World;
const E8 = 10n ** 8n;
const COOLDOWN = 7n * DAY;

useWorld(async (world) => {
  w = world;
}, { leverageBps: 20_000, cooldownSeconds: Number(COOLDOWN) });


describe("pool", () => {
  it("a deposit during a pending incident is refused: no newcomer absorbs the incumbent's loss", async () => {
    const feed = await w.newFeed(8, 100n * E8);
    const params = encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 400 * 86_400 });
    const { productId } = await w.listProduct(w.core.tvlDrop.address, params, { veto: Number(DAY), cap: 10_000_000n * USD });
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 60_000n * USD, premium: 1n * USD }));
    await w.advance(2n * 3600n); // past the start (lag, rounded up to the hour): active at the fall
    await w.send(feed.write.updateAnswer([100n * E8]));
    const from = await feed.read.latestRound();
    await w.advance(600);
    await w.send(feed.write.updateAnswer([40n * E8]));
    await w.send(w.core.market.write.fire([productId, encodeTvlDropProof(1n, from, from + 1n)]));
    // Was: a 100k deposit here (priced gross) ended worth 70k, 30k moved to the incumbent.
    await w.fund(w.acc.lp2, 100_000n * USD);
    await expectRevert(w.as(w.core.pool, w.acc.lp2).write.deposit([100_000n * USD, addr(w.acc.lp2)]), "ERC4626ExceededMaxDeposit");
    await w.advance(DAY);
    await w.send(w.core.market.write.confirmIncident([1n]));
    const v1 = await w.core.pool.read.exitValue([await w.core.pool.read.balanceOf([addr(w.acc.lp)])]);
    expect(v1).toBeLessThan(40_002n * USD); // the incumbent bears the 60k loss alone
    expect(v1).toBeGreaterThan(39_999n * USD);
    await w.send(w.as(w.core.pool, w.acc.lp2).write.deposit([100_000n * USD, addr(w.acc.lp2)])); // decided: deposits reopen
    expect(await w.core.pool.read.exitValue([await w.core.pool.read.balanceOf([addr(w.acc.lp2)])])).toBeGreaterThan(99_999n * USD);
  });

  it("a stale feed lets anyone freeze exits (and deposits), and a guardian can lift it; exits were frozen for good before", async () => {
    const feed = await w.newFeed(8, E8);
    const params = encodeDepegParams({ feed: feed.address, thresholdE18: 995n * 10n ** 15n, durationSeconds: 3600, maxAgeSeconds: 86_400 });
    const { productId } = await w.listProduct(w.core.depeg.address, params);
    await w.deposit(w.acc.lp, 100_000n * USD);
    const shares = await w.core.pool.read.balanceOf([addr(w.acc.lp)]);
    await w.send(w.as(w.core.pool, w.acc.lp).write.requestRedeem([shares]));
    const id = await w.core.pool.read.lastRequestId();
    await w.advance(COOLDOWN); // the feed has not posted for 7 days (deprecated feed / long outage)
    expect(await w.core.depeg.read.conditionHolds([params])).toBe(true);
    await w.send(w.as(w.core.market, w.acc.attacker).write.flagCondition([productId]));
    await expectRevert(w.as(w.core.pool, w.acc.lp).write.completeRedeem([id, shares, addr(w.acc.lp)]), "PoolExitsFrozen");
    await expectRevert(w.core.market.write.clearCondition([productId]), "MarketConditionStillHolds");
    // The admin's levers do not touch it: pausing sales leaves the product Active and flagged.
    await w.send(w.core.market.write.setProductSalesPaused([productId, true]));
    await expectRevert(w.core.market.write.clearCondition([productId]), "MarketConditionStillHolds");
    // Nobody deposits into a pool whose exits are frozen by a visible condition.
    await w.fund(w.acc.bob, 1_000n * USD);
    await expectRevert(w.as(w.core.pool, w.acc.bob).write.deposit([1_000n * USD, addr(w.acc.bob)]), "ERC4626ExceededMaxDeposit");
    await expectRevert(w.as(w.core.market, w.acc.attacker).write.clearCondition([productId]), "MarketConditionStillHolds");
    await w.send(w.as(w.core.market, w.acc.guardian).write.clearCondition([productId]));
    expect(await w.core.pool.read.exitFreezes()).toBe(0n);
    await w.send(w.as(w.core.pool, w.acc.lp).write.completeRedeem([id, shares, addr(w.acc.lp)]));
    expect(await w.balance(addr(w.acc.lp))).toBeGreaterThan(99_999n * USD);
  });
});
