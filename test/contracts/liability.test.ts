import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { encodeTvlDropParams, encodeTvlDropProof } from "../../workers/chain/triggerParams";
import { DAY, USD, useWorld, type World } from "./helpers/fixture";

// Issue 12, item 2: an incident's liability is exactly the cover active at its incident time.
// Each attack below was written first against the day-bucket liability (which counted every
// booked policy whose end day was after t) and succeeded there.

let w: World;
const E8 = 10n ** 8n;
const HOUR = 3600n;

useWorld(async (world) => {
  w = world;
}, { leverageBps: 20_000 });

const addr = (x: { account?: { address: Address } }) => x.account!.address;

async function tvlProduct() {
  const feed = await w.newFeed(8, 100n * E8);
  const params = encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 400 * 86_400 });
  const { productId } = await w.listProduct(w.core.tvlDrop.address, params, { cap: 10_000_000n * USD });
  return { feed, productId };
}

/** 100 → 40 over two rounds; the proof of that fall. */
async function crash(feed: Awaited<ReturnType<typeof tvlProduct>>["feed"]) {
  await w.advance(60);
  await w.send(feed.write.updateAnswer([100n * E8]));
  const from = await feed.read.latestRound();
  await w.advance(600);
  await w.send(feed.write.updateAnswer([40n * E8]));
  return encodeTvlDropProof(1n, from, from + 1n);
}

async function fireAndConfirm(productId: bigint, proof: Hex) {
  await w.send(w.core.market.write.fire([productId, proof]));
  const [, , incidents] = await w.core.market.read.counts();
  await w.send(w.core.market.write.confirmIncident([incidents]));
  return incidents;
}

describe("exact liability: attacks", () => {
  it("cover scheduled to start after the crash does not dilute the claimant of a short pool", async () => {
    const { feed, productId } = await tvlProduct();
    await w.deposit(w.acc.lp, 100_000n * USD);
    const alice = await w.buy(w.acc.alice, await w.quote(productId, { amount: 100_000n * USD, premium: 1_000n * USD }));
    // The attacker (an LP who profits from the surplus returning at close) books 50k of cover
    // for 10, starting in 20 days: never active at the incident, counted in its liability before.
    const now = await w.now();
    await w.buy(w.acc.attacker, await w.quote(productId, { amount: 50_000n * USD, premium: 10n * USD, start: now + 20n * DAY }));
    await w.advance(2n * HOUR);
    const id = await fireAndConfirm(productId, await crash(feed));
    const inc = await w.core.market.read.incident([id]);
    expect(inc.liability).toBe(100_000n * USD); // was 150,000: the scheduled cover counted
    await w.send(w.core.market.write.settle([id, [alice]]));
    // The pool holds 101,010 of assets: Alice is paid in full (was 100k × 101k / 150k ≈ 67.3k).
    expect(await w.balance(addr(w.acc.alice))).toBe(100_000n * USD);
  });

  it("a policy paid by an incident does not count again after the product reopens", async () => {
    const { feed, productId } = await tvlProduct();
    await w.deposit(w.acc.lp, 100_000n * USD);
    const alice = await w.buy(w.acc.alice, await w.quote(productId, { amount: 100_000n * USD, premium: 1_000n * USD }));
    await w.advance(2n * HOUR);
    const first = await fireAndConfirm(productId, await crash(feed));
    await w.send(w.core.market.write.settle([first, [alice]]));
    expect(await w.balance(addr(w.acc.alice))).toBe(100_000n * USD);
    // New capital, the product back on sale, Bob covered; Alice's policy runs for weeks yet.
    await w.deposit(w.acc.lp2, 120_000n * USD);
    await w.send(w.core.market.write.reopenProduct([productId]));
    const bob = await w.buy(w.acc.bob, await w.quote(productId, { amount: 100_000n * USD, premium: 1_000n * USD }));
    await w.advance(2n * HOUR);
    const second = await fireAndConfirm(productId, await crash(feed));
    const inc = await w.core.market.read.incident([second]);
    expect(inc.liability).toBe(100_000n * USD); // was 200,000: Alice's paid policy counted again
    await w.send(w.core.market.write.settle([second, [alice, bob]]));
    expect(await w.balance(addr(w.acc.bob))).toBe(100_000n * USD); // was ≈ 61k
    expect(await w.balance(addr(w.acc.alice))).toBe(100_000n * USD); // paid once
  });
});
