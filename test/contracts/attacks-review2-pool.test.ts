import { describe, expect, it } from "vitest";
import { encodeDepegParams } from "../../workers/triggers/depeg";
import { encodeTvlDropParams, encodeTvlDropProof } from "../../workers/triggers/tvlDrop";
import { addr, DAY, expectRevert, USD, useWorld, type World } from "./helpers/fixture";

// Second adversarial review: each attack reproduced on the code it was found in (figures in the
// comments), now refused.

let w: World;
const E8 = 10n ** 8n;
const COOLDOWN = 7n * DAY;

useWorld(async (world) => {
  w = world;
}, { leverageBps: 20_000, cooldownSeconds: Number(COOLDOWN) });


/** A TVL product with `cover` sold and an incident fired (pending, 1-day veto window). */
async function firedIncident(cover: bigint) {
  const feed = await w.newFeed(8, 100n * E8);
  const params = encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 400 * 86_400 });
  const { productId } = await w.listProduct(w.core.tvlDrop.address, params, { veto: Number(DAY), cap: 10_000_000n * USD });
  await w.deposit(w.acc.lp, 100_000n * USD);
  await w.buy(w.acc.alice, await w.quote(productId, { amount: cover, premium: 1n * USD }));
  await w.advance(2n * 3600n); // past the start (lag, rounded up to the hour): active at the fall
  await w.send(feed.write.updateAnswer([100n * E8]));
  const from = await feed.read.latestRound();
  await w.advance(600);
  await w.send(feed.write.updateAnswer([40n * E8])); // an oracle glitch the guardian will veto
  await w.send(w.core.market.write.fire([productId, encodeTvlDropProof(1n, from, from + 1n)]));
  return productId;
}

describe("review 2: deposits during a pending incident", () => {
  it("a deposit cannot front-run a veto: deposits and mints are refused while an incident is pending", async () => {
    await firedIncident(60_000n * USD);
    expect(await w.core.pool.read.pendingLiability()).toBe(60_000n * USD);
    // Was: a 1M deposit in the block before the veto took 57.7k of the incumbent's 100k, risk-free.
    await w.fund(w.acc.attacker, 1_000_000n * USD);
    await expectRevert(w.as(w.core.pool, w.acc.attacker).write.deposit([1_000_000n * USD, addr(w.acc.attacker)]), "ERC4626ExceededMaxDeposit");
    await expectRevert(w.as(w.core.pool, w.acc.attacker).write.mint([1_000_000n * USD, addr(w.acc.attacker)]), "ERC4626ExceededMaxMint");
    expect(await w.core.pool.read.maxDeposit([addr(w.acc.attacker)])).toBe(0n);
    // Once the incident is decided (here vetoed) deposits reopen at a price that holds.
    await w.send(w.as(w.core.market, w.acc.guardian).write.vetoIncident([1n]));
    await w.send(w.as(w.core.pool, w.acc.attacker).write.deposit([1_000_000n * USD, addr(w.acc.attacker)]));
    const lpValue = await w.core.pool.read.exitValue([await w.core.pool.read.balanceOf([addr(w.acc.lp)])]);
    expect(lpValue).toBeGreaterThan(99_999n * USD);
  });

  it("pending ≥ assets: 1-wei deposits can no longer buy the pool", async () => {
    await firedIncident(150_000n * USD); // pending 150k > assets 100k: net assets 0
    await w.fund(w.acc.attacker, 100n);
    // Was: 30 deposits of 1 wei bought > 99.999999% of the shares, and the LP's 100k after a veto.
    await expectRevert(w.as(w.core.pool, w.acc.attacker).write.deposit([1n, addr(w.acc.attacker)]), "ERC4626ExceededMaxDeposit");
  });
});

describe("review 2: exit freeze", () => {
  it("a guardian's lifting of a flag holds for a week against re-flagging", async () => {
    const feed = await w.newFeed(8, E8);
    const params = encodeDepegParams({ feed: feed.address, thresholdE18: 995n * 10n ** 15n, durationSeconds: 3600, maxAgeSeconds: 86_400 });
    const { productId } = await w.listProduct(w.core.depeg.address, params);
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.advance(2n * DAY); // stale feed
    await w.send(w.as(w.core.market, w.acc.attacker).write.flagCondition([productId]));
    await w.send(w.as(w.core.market, w.acc.guardian).write.clearCondition([productId]));
    // Was: re-flagged in the next block, exits frozen again.
    await expectRevert(w.as(w.core.market, w.acc.attacker).write.flagCondition([productId]), "MarketConditionFlagExempt");
    expect(await w.core.pool.read.exitFreezes()).toBe(0n);
    await w.advance(7n * DAY);
    await w.send(w.as(w.core.market, w.acc.attacker).write.flagCondition([productId])); // still stale a week on
    expect(await w.core.pool.read.exitFreezes()).toBe(1n);
  });
});
