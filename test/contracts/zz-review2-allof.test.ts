import { type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { encodeAllOfParams, encodeAllOfProof, encodeDepegParams, encodeDepegProof, encodePausedParams } from "../../workers/chain/triggerParams";
import { USD, useWorld, type World } from "./helpers/fixture";

// Review 2: the all-of incident time is the earliest leg of the episodes the prover picks.

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

describe("review2: all-of episode choice", () => {
  it("depeg episode A, recovery, purchase, episode B + pause: proving B pays cover bought after the event first showed", async () => {
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
    await w.send(feed.write.updateAnswer([90n * E8 / 100n])); // episode A onset: round 2
    const onsetA = await w.now();
    await w.advance(2n * HOUR);
    await w.send(feed.write.updateAnswer([E8])); // recovered after a full-duration episode
    expect(await w.core.allOf.read.conditionHolds([params])).toBe(false);
    const before = await w.balance(w.acc.attacker.account!.address);
    const policy = await w.buy(w.acc.attacker, await w.quote(productId, { amount: 100_000n * USD, premium: 1_000n * USD }));
    await w.advance(600);
    await w.send(feed.write.updateAnswer([90n * E8 / 100n])); // episode B onset: round 4 (the flapping continues)
    await pauseFor(protocol, legs[1]!, 3600n);
    const base = 1n << 64n;
    const proofA = encodeAllOfProof([encodeDepegProof(base + 2n), "0x"]);
    const proofB = encodeAllOfProof([encodeDepegProof(base + 4n), "0x"]);
    const [okA, tA] = await w.core.allOf.read.check([params, proofA]);
    const [okB, tB] = await w.core.allOf.read.check([params, proofB]);
    expect(okA && okB).toBe(true);
    expect(BigInt(tA)).toBe(onsetA); // the event's first showing: before the purchase
    expect(BigInt(tB)).toBeGreaterThan(onsetA + 2n * HOUR); // after the purchase
    // The keeper's own search picks B too (the latest episode).
    const [found, kp] = await w.core.allOf.read.findProof([params, (await w.core.market.read.product([productId])).activeSince]);
    expect(found).toBe(true);
    expect(kp).toBe(proofB);
    await w.send(w.core.market.write.fire([productId, proofB]));
    await w.send(w.core.market.write.confirmIncident([1n]));
    await w.send(w.core.market.write.settle([1n, [policy]]));
    expect((await w.balance(w.acc.attacker.account!.address)) - before).toBe(100_000n * USD);
  });
});
