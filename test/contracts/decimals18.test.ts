import type {  Hex } from "viem";
import { describe, expect, it } from "vitest";
import { encodeTvlDropParams, encodeTvlDropProof } from "../../workers/triggers/tvlDrop";
import { addr, DAY, useWorld, type World } from "./helpers/fixture";

/** The pool and market over an 18-decimal stablecoin (DAI, USDS, USDe): issue 12.4. */
let w: World;
const E18 = 10n ** 18n;
const E8 = 10n ** 8n;

useWorld(async (world) => {
  w = world;
}, { leverageBps: 20_000, assetDecimals: 18 });


describe("18-decimal asset", () => {
  it("deposits, sells, fires, confirms and pays incidents far above 2^64 base units", async () => {
    expect(await w.core.asset.read.decimals()).toBe(18);
    expect(await w.core.pool.read.decimals()).toBe(24);
    const feed = await w.newFeed(8, 100n * E8);
    const params = encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 40 * 86_400 });
    const { productId } = await w.listProduct(w.core.tvlDrop.address, params, { cap: 10_000_000n * E18 });
    await w.deposit(w.acc.lp, 1_000_000n * E18);
    const id = await w.buy(w.acc.alice, await w.quote(productId, { amount: 250_000n * E18, premium: 1_000n * E18, duration: 30n * DAY }));
    await w.advance(2n * 3600n);
    await w.advance(60);
    await w.send(feed.write.updateAnswer([100n * E8]));
    const from = await feed.read.latestRound();
    await w.advance(600);
    await w.send(feed.write.updateAnswer([40n * E8]));
    const proof: Hex = encodeTvlDropProof(1n, from, from + 1n);
    // Before the fix: SafeCastOverflowedUintDowncast(64, 250000e18) — pending liability was a uint64.
    await w.send(w.core.market.write.fire([productId, proof]));
    expect(await w.core.pool.read.pendingLiability()).toBe(250_000n * E18);
    expect(await w.core.pool.read.exitValue([await w.core.pool.read.balanceOf([addr(w.acc.lp)])])).toBeLessThanOrEqual(751_000n * E18);
    await w.send(w.core.market.write.confirmIncident([1n]));
    await w.send(w.core.market.write.settle([1n, [id]]));
    expect(await w.balance(addr(w.acc.alice))).toBe(250_000n * E18);
    expect(await w.core.pool.read.pendingLiability()).toBe(0n);
    // Capacity still counts the (rounded-up) pending figure: nothing is left pending now.
    expect(await w.core.pool.read.capacityLeft()).toBeGreaterThan(0n);
  });
});
