import { type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { encodeAllOfParams, encodeAllOfProof } from "../../workers/triggers/allOf";
import { encodeDepegParams, encodeDepegProof } from "../../workers/triggers/depeg";
import { encodePausedParams } from "../../workers/triggers/paused";
import { encodeTvlDropParams, encodeTvlDropProof } from "../../workers/triggers/tvlDrop";
import { DAY, revertName, USD, useWorld, type World } from "./helpers/fixture";

// Adversarial review findings, each reproduced on the code it was found in (the attack paid
// 100,000 for a 1,000 premium, or the drain could not be proven) and now shown to fail.

let w: World;
const E8 = 10n ** 8n;
const HOUR = 3600n;

useWorld(async (world) => {
  w = world;
});

async function pauseFor(protocol: Awaited<ReturnType<World["newPausable"]>>, leg: Hex, seconds: bigint) {
  await w.send(protocol.write.pause());
  for (let s = 0n; s <= seconds; s += 500n) {
    await w.send(w.core.paused.write.observe([leg]));
    await w.advance(500);
  }
  await w.send(w.core.paused.write.observe([leg]));
}

describe("all-of: sales reopen while a leg is tripped but its conditionHolds is false", () => {
  it("TVL leg crashed (nobody advanced it); cover bought after it is not paid when the pause follows", async () => {
    const feed = await w.newProxyFeed(8, 1_000n * E8);
    const protocol = await w.newPausable();
    const legs = [
      encodeTvlDropParams({ feed: feed.address, dropBps: 5000, windowSeconds: 86_400, maxAgeSeconds: 2 * 86_400 }),
      encodePausedParams({ target: protocol.address, durationSeconds: 3600, maxGapSeconds: 600 }),
    ];
    const params = encodeAllOfParams({ triggers: [w.core.tvlDrop.address, w.core.paused.address], params: legs, maxSpreadSeconds: 86_400 });
    const { productId } = await w.listProduct(w.core.allOf.address, params, { lag: 3600 });
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([300n * E8])); // the hack: TVL −70%, visible on-chain
    const crashAt = await w.now();
    expect(await w.core.allOf.read.conditionHolds([params])).toBe(false);
    // The attacker buys after the crash (quote signed now; the on-chain admission lets it through).
    const before = await w.balance(w.acc.attacker.account!.address);
    const policy = await w.buy(w.acc.attacker, await w.quote(productId, { amount: 100_000n * USD, premium: 1_000n * USD }));
    await w.advance(2n * HOUR); // the team pauses two hours after the drain
    await pauseFor(protocol, legs[1]!, 3600n);
    const base = 1n << 64n;
    const proof = encodeAllOfProof([encodeTvlDropProof(base + 1n, base + 1n, base + 2n), "0x"]);
    const [tripped, t, e] = await w.core.allOf.read.check([params, proof]);
    expect(tripped).toBe(true);
    expect([BigInt(t), BigInt(e)]).toEqual([crashAt, crashAt]); // the earliest leg: before the purchase
    await w.send(w.core.market.write.fire([productId, proof]));
    await w.send(w.core.market.write.confirmIncident([1n]));
    await w.send(w.core.market.write.settle([1n, [policy]]));
    const after = await w.balance(w.acc.attacker.account!.address);
    expect(after - before).toBe(0n); // was 100,000: the incident time is now the earliest leg's, before the purchase
  });

  it("TVL leg advanced: cover bought once the window has passed is still not paid for the event", async () => {
    const feed = await w.newProxyFeed(8, 1_000n * E8);
    const protocol = await w.newPausable();
    const legs = [
      encodeTvlDropParams({ feed: feed.address, dropBps: 5000, windowSeconds: 3600, maxAgeSeconds: 2 * 86_400 }),
      encodePausedParams({ target: protocol.address, durationSeconds: 3600, maxGapSeconds: 600 }),
    ];
    const params = encodeAllOfParams({ triggers: [w.core.tvlDrop.address, w.core.paused.address], params: legs, maxSpreadSeconds: 86_400 });
    const { productId } = await w.listProduct(w.core.allOf.address, params, { lag: 60 });
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([300n * E8]));
    const base = 1n << 64n;
    const tvlProof = encodeTvlDropProof(base + 1n, base + 1n, base + 2n);
    await w.send(w.core.tvlDrop.write.advance([legs[0]!, tvlProof, 10n]));
    expect(await w.core.allOf.read.conditionHolds([params])).toBe(true);
    await w.advance(HOUR + 1n);
    expect(await w.core.allOf.read.conditionHolds([params])).toBe(false); // the fall is still a provable leg
    const before = await w.balance(w.acc.attacker.account!.address);
    const policy = await w.buy(w.acc.attacker, await w.quote(productId, { amount: 100_000n * USD, premium: 1_000n * USD }));
    await w.advance(600);
    await pauseFor(protocol, legs[1]!, 3600n);
    const proof = encodeAllOfProof([tvlProof, "0x"]);
    await w.send(w.core.market.write.fire([productId, proof]));
    await w.send(w.core.market.write.confirmIncident([1n]));
    await w.send(w.core.market.write.settle([1n, [policy]]));
    const after = await w.balance(w.acc.attacker.account!.address);
    expect(after - before).toBe(0n); // was 100,000: the incident time is now the earliest leg's, before the purchase
  });

  it("depeg leg tripped and recovered; cover bought then is not paid when the pause follows", async () => {
    const feed = await w.newProxyFeed(8, E8);
    const protocol = await w.newPausable();
    const legs = [
      encodeDepegParams({ feed: feed.address, thresholdE18: 995n * 10n ** 15n, durationSeconds: 3600, maxAgeSeconds: 2 * 86_400 }),
      encodePausedParams({ target: protocol.address, durationSeconds: 3600, maxGapSeconds: 600 }),
    ];
    const params = encodeAllOfParams({ triggers: [w.core.depeg.address, w.core.paused.address], params: legs, maxSpreadSeconds: 86_400 });
    const { productId } = await w.listProduct(w.core.allOf.address, params, { lag: 60 });
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([90n * E8 / 100n])); // onset: round 2
    await w.advance(2n * HOUR);
    await w.send(feed.write.updateAnswer([E8])); // recovered after 2 h (≥ 1 h duration)
    expect(await w.core.allOf.read.conditionHolds([params])).toBe(false);
    const before = await w.balance(w.acc.attacker.account!.address);
    const policy = await w.buy(w.acc.attacker, await w.quote(productId, { amount: 100_000n * USD, premium: 1_000n * USD }));
    await w.advance(600);
    await pauseFor(protocol, legs[1]!, 3600n);
    const proof = encodeAllOfProof([encodeDepegProof((1n << 64n) + 2n), "0x"]);
    await w.send(w.core.market.write.fire([productId, proof]));
    await w.send(w.core.market.write.confirmIncident([1n]));
    await w.send(w.core.market.write.settle([1n, [policy]]));
    const after = await w.balance(w.acc.attacker.account!.address);
    expect(after - before).toBe(0n); // was 100,000: the incident time is now the earliest leg's, before the purchase
  });
});

describe("TVL: unprovable and misattributed falls", () => {
  it("a total drain reported as 0 is proven and trips", async () => {
    const feed = await w.newProxyFeed(8, 1_000n * E8);
    const params = encodeTvlDropParams({ feed: feed.address, dropBps: 5000, windowSeconds: 86_400, maxAgeSeconds: 2 * 86_400 });
    await w.advance(60);
    await w.send(feed.write.updateAnswer([0n]));
    const base = 1n << 64n;
    // Was OracleAnswerNotPositive: the largest possible loss paid nothing.
    expect(await w.core.tvlDrop.read.check([params, encodeTvlDropProof(base + 1n, base + 1n, base + 2n)])).toEqual([true, await w.now(), await w.now()]);
    await w.advance(60);
    await w.send(feed.write.updateAnswer([1n])); // a later dust reading does not change it
    expect((await w.core.tvlDrop.read.check([params, encodeTvlDropProof(base + 1n, base + 1n, base + 2n)]))[0]).toBe(true);
    expect(revertName).toBeTypeOf("function");
  });

  it("drift then crash: the incident time is the crash reading; the policy expired before it is not paid, the active one is", async () => {
    const feed = await w.newProxyFeed(8, 1_000n * E8);
    const params = encodeTvlDropParams({ feed: feed.address, dropBps: 5000, windowSeconds: 86_400, maxAgeSeconds: 2 * 86_400 });
    const { productId } = await w.listProduct(w.core.tvlDrop.address, params, { lag: 60 });
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    // Alice: a 1-day policy that ends during an ordinary drift.
    const alice = await w.buy(w.acc.alice, await w.quote(productId, { duration: DAY }));
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([995n * E8])); // −0.5%: market drift starts (the incident time, it turns out)
    const driftAt = await w.now();
    for (let i = 0; i < 21; i++) {
      await w.advance(HOUR);
      await w.send(feed.write.updateAnswer([(990n - BigInt(i) * 5n) * E8]));
    }
    // Bob buys during the drift (TVL only −10%: no loss), well before the crash.
    const bob = await w.buy(w.acc.bob, await w.quote(productId, { duration: 30n * DAY }));
    await w.advance(3n * HOUR); // Alice's policy has ended by now
    await w.send(feed.write.updateAnswer([400n * E8])); // the hack: −55% in one round from 890
    const crashAt = await w.now();
    const base = 1n << 64n;
    const latest = await feed.read.latestRound();
    const proof = encodeTvlDropProof(base + 1n, latest - 1n, latest);
    const [tripped, t] = await w.core.tvlDrop.read.check([params, proof]);
    const pa = await w.core.market.read.policy([alice]);
    const pb = await w.core.market.read.policy([bob]);
    expect(BigInt(pa.end)).toBeLessThan(crashAt);
    expect(BigInt(pb.start)).toBeLessThan(crashAt);
    expect(driftAt).toBeLessThan(crashAt);
    expect(tripped).toBe(true);
    await w.send(w.core.market.write.fire([productId, proof]));
    await w.send(w.core.market.write.confirmIncident([1n]));
    // Was: alice 10,000 (expired before the crash), bob 0 (active at it).
    expect(BigInt(t)).toBe(crashAt);
    expect(await w.core.market.read.payableAmount([1n, alice])).toBe(0n);
    expect(await w.core.market.read.payableAmount([1n, bob])).toBe(10_000n * USD);
  });
});
