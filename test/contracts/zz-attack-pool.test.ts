import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { encodeDepegParams, encodeTvlDropParams, encodeTvlDropProof } from "../../workers/chain/triggerParams";
import { DAY, expectRevert, USD, useWorld, type World } from "./helpers/fixture";

// Adversarial review: pool-side value transfers and exit freezes.

let w: World;
const E8 = 10n ** 8n;
const COOLDOWN = 7n * DAY;

useWorld(async (world) => {
  w = world;
}, { leverageBps: 20_000, cooldownSeconds: Number(COOLDOWN) });

const addr = (x: { account?: { address: Address } }) => x.account!.address;

describe("pool", () => {
  it("a deposit during a pending incident is priced gross of the liability: the newcomer pays part of the loss", async () => {
    const feed = await w.newFeed(8, 100n * E8);
    const params = encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 400 * 86_400 });
    const { productId } = await w.listProduct(w.core.tvlDrop.address, params, { veto: Number(DAY), cap: 10_000_000n * USD });
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 60_000n * USD, premium: 1n * USD }));
    await w.advance(60);
    await w.send(feed.write.updateAnswer([100n * E8]));
    const from = await feed.read.latestRound();
    await w.advance(600);
    await w.send(feed.write.updateAnswer([40n * E8]));
    await w.send(w.core.market.write.fire([productId, encodeTvlDropProof(1n, from, from + 1n)]));
    const sharesFor100k = await w.core.pool.read.previewDeposit([100_000n * USD]);
    console.log("pending:", (await w.core.pool.read.pendingLiability()) / USD, "exit value of 100k-worth of shares minted now:", (await w.core.pool.read.exitValue([sharesFor100k])) / USD);
    await w.deposit(w.acc.lp2, 100_000n * USD); // newcomer during the veto window
    await w.advance(DAY);
    await w.send(w.core.market.write.confirmIncident([1n]));
    const v1 = await w.core.pool.read.exitValue([await w.core.pool.read.balanceOf([addr(w.acc.lp)])]);
    const v2 = await w.core.pool.read.exitValue([await w.core.pool.read.balanceOf([addr(w.acc.lp2)])]);
    console.log("after confirm: incumbent LP (put in 100k, owed the whole 60k loss):", v1 / USD, " newcomer (put in 100k after the fire):", v2 / USD);
    expect(v2).toBeLessThan(71_000n * USD);
  });

  it("a stale feed on any listed depeg product lets anyone freeze every LP exit, with no way to clear it", async () => {
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
    await w.advance(3n * DAY + 1n);
    await expectRevert(w.as(w.core.pool, w.acc.lp).write.completeRedeem([id, shares, addr(w.acc.lp)]), "PoolExitsFrozen");
    console.log("exitFreezes:", await w.core.pool.read.exitFreezes(), "(request now lapsed too)");
  });
});
