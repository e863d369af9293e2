import { encodeFunctionData, type Address, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { encodeAllOfParams, encodeAllOfProof } from "../../workers/triggers/allOf";
import { encodeDepegParams, encodeDepegProof } from "../../workers/triggers/depeg";
import { encodePausedParams } from "../../workers/triggers/paused";
import { encodeTvlDropParams, encodeTvlDropProof } from "../../workers/triggers/tvlDrop";
import { addr, DAY, expectRevert, revertName, USD, useWorld, type World } from "./helpers/fixture";

// Real shapes: dense deviation-triggered feeds (a round a minute for days), phase changes in the
// middle of an event, and the attacks each canonical rule closes.

let w: World;
const E8 = 10n ** 8n;
const HOUR = 3600n;
const MIN = 60n;

useWorld(async (world) => {
  w = world;
});

type ProxyFeed = Awaited<ReturnType<World["newProxyFeed"]>>;

/** Posts `answers` as consecutive rounds `step` seconds apart from `from` (in chunks that fit a block). */
async function post(feed: ProxyFeed, from: bigint, step: bigint, answers: bigint[]) {
  for (let s = 0; s < answers.length; s += 800) {
    const chunk = answers.slice(s, s + 800);
    await w.send(feed.write.postRounds([chunk, chunk.map((_, i) => from + BigInt(s + i) * step)]));
  }
}

async function gasOf(hash: Promise<Hex>) {
  return (await w.send(hash)).gasUsed;
}

const depegParams = (feed: Hex, durationSeconds = 86_400) =>
  encodeDepegParams({ feed, thresholdE18: 995n * 10n ** 15n, durationSeconds, maxAgeSeconds: 2 * 86_400 }); // $0.995

describe("depeg: long, dense episodes", () => {
  /** Listed at $1.00; `rounds` one-minute rounds below $0.995 from T0 + 2 h; chain time then moves to just after the last. */
  async function episode(rounds: number, o: { recoverAt?: number; duration?: number } = {}) {
    const feed = await w.newProxyFeed(8, E8);
    const params = depegParams(feed.address, o.duration);
    const { productId } = await w.listProduct(w.core.depeg.address, params, { lag: 3600 });
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    const policy = await w.buy(w.acc.alice, await w.quote(productId));
    const t0 = await w.now();
    const onsetAt = t0 + 2n * HOUR;
    await w.advance(2n * HOUR + BigInt(rounds) * MIN + 30n);
    await post(feed, onsetAt - 30n * MIN, 30n * MIN, [E8]); // a heartbeat just before
    const answers = Array.from({ length: rounds }, (_, i) => (i === o.recoverAt ? 100n * E8 / 100n : 99n * E8 / 100n - BigInt(i % 7) * 10_000n));
    await post(feed, onsetAt, MIN, answers);
    const onsetId = (2n << 64n) * 0n + (1n << 64n) + 3n; // phase 1: round 1 initial, 2 heartbeat, 3 onset
    return { feed, params, productId, policy, onsetAt, onsetId };
  }

  it("a 72 h depeg on a feed posting every minute (4,320 rounds) fires with the onset as incident time", async () => {
    const { params, productId, policy, onsetAt, onsetId } = await episode(4320);
    const proof = encodeDepegProof(onsetId);
    await expectRevert(w.core.depeg.read.check([params, proof]), "DepegProofIncomplete");
    let advances = 0;
    while (!(await w.core.depeg.simulate.advance([params, proof, 1500n])).result) {
      await w.send(w.core.depeg.write.advance([params, proof, 1500n]));
      advances++;
    }
    await w.send(w.core.depeg.write.advance([params, proof, 1500n]));
    expect(advances).toBe(2);
    expect(await w.core.depeg.read.check([params, proof])).toEqual([true, onsetAt, onsetAt]);
    await w.send(w.core.market.write.fire([productId, proof]));
    const inc = await w.core.market.read.incident([1n]);
    expect(BigInt(inc.incidentTime)).toBe(onsetAt);
    await w.send(w.core.market.write.confirmIncident([1n]));
    await w.send(w.core.market.write.settle([1n, [policy]]));
    expect(await w.balance(w.acc.alice.account!.address)).toBe(10_000n * USD);
  });

  it("the same episode with one round back at the peg in the middle does not pay", async () => {
    const { params, onsetId } = await episode(2000, { recoverAt: 1000 });
    const proof = encodeDepegProof(onsetId);
    await w.send(w.core.depeg.write.advance([params, proof, 1500n]));
    // The episode ended after 1,000 minutes (16.7 h < 24 h): not tripped, whatever came after.
    expect(await w.core.depeg.read.check([params, proof])).toEqual([false, 0n, 0n]);
    // And the later run is a new episode, too short on its own.
    const later = encodeDepegProof(onsetId + 1001n);
    expect((await w.core.depeg.read.check([params, later]))[0]).toBe(false);
  });

  it("the walk judges the round it stops at: exactly the threshold ends the episode wherever the segments break; an insane round reverts", async () => {
    const THRESHOLD = 995n * E8 / 1000n;
    const { feed, params, onsetAt, onsetId } = await episode(300, { duration: 6 * 3600 });
    // Round 200 of the episode (onset + 200 min) is rewritten to exactly the threshold: not below.
    await w.send(feed.write.updateRoundData([3n + 200n, THRESHOLD, onsetAt + 200n * MIN, onsetAt + 200n * MIN]));
    await w.send(feed.write.updateRoundData([3n + 299n, 99n * E8 / 100n, onsetAt + 299n * MIN, onsetAt + 299n * MIN])); // keep the latest round last
    const proof = encodeDepegProof(onsetId);
    const key = await w.core.depeg.read.scanKey([feed.address, THRESHOLD, onsetId]);
    // Segments of 199 rounds then 1: the first stops on round 199, the second reads round 200.
    expect((await w.core.depeg.simulate.advance([params, proof, 199n])).result).toBe(false);
    await w.send(w.core.depeg.write.advance([params, proof, 199n]));
    const [cursor, cursorAt, , recovered] = await w.core.depeg.read.scans([key]);
    expect([cursor, BigInt(cursorAt), recovered]).toEqual([onsetId + 199n, onsetAt + 199n * MIN, 0]);
    expect((await w.core.depeg.simulate.advance([params, proof, 1n])).result).toBe(true);
    await w.send(w.core.depeg.write.advance([params, proof, 1n]));
    const after = await w.core.depeg.read.scans([key]);
    expect([after[0], BigInt(after[3])]).toEqual([onsetId + 200n, onsetAt + 200n * MIN]);
    // The episode lasted 200 min < 6 h: not tripped.
    expect(await w.core.depeg.read.check([params, proof])).toEqual([false, 0n, 0n]);

    // A negative answer (or a round stamped in the future) inside an episode is an oracle error, never a skip.
    const bad = await episode(120, { duration: 3600 });
    await w.send(bad.feed.write.updateRoundData([3n + 60n, -1n, bad.onsetAt + 60n * MIN, bad.onsetAt + 60n * MIN]));
    await w.send(bad.feed.write.updateRoundData([3n + 119n, 99n * E8 / 100n, bad.onsetAt + 119n * MIN, bad.onsetAt + 119n * MIN]));
    await expectRevert(w.core.depeg.read.check([bad.params, encodeDepegProof(bad.onsetId)]), "OracleAnswerNotPositive");
    const future = await episode(120, { duration: 3600 });
    const ahead = (await w.now()) + DAY;
    await w.send(future.feed.write.updateRoundData([3n + 30n, 99n * E8 / 100n, ahead, ahead]));
    await w.send(future.feed.write.updateRoundData([3n + 119n, 99n * E8 / 100n, future.onsetAt + 119n * MIN, future.onsetAt + 119n * MIN]));
    await expectRevert(w.core.depeg.read.check([future.params, encodeDepegProof(future.onsetId)]), "OracleUpdatedInFuture");
  });

  it("a depeg shorter than the duration does not pay; a proof that skips the onset is refused", async () => {
    const { params, onsetId } = await episode(600); // 10 h
    expect(await w.core.depeg.read.check([params, encodeDepegProof(onsetId)])).toEqual([false, 0n, 0n]);
    await expectRevert(w.core.depeg.read.check([params, encodeDepegProof(onsetId + 10n)]), "DepegOnsetNotFirst");
  });

  it("a 1,445-round (24 h, one a minute) depeg fires after one advance segment (its gas is printed; the target lives in bench)", async () => {
    const { params, productId, onsetId } = await episode(1445);
    const proof = encodeDepegProof(onsetId);
    let total = await gasOf(w.core.depeg.write.advance([params, proof, 1000n]));
    total += await gasOf(w.core.market.write.fire([productId, proof]));
    console.log(`fire.depegLong (1,445 rounds: one advance + fire): ${total} gas`);
    expect((await w.core.market.read.incident([1n])).status).toBe(1); // Pending: fired
  });

  it("buying during a depeg with a still-valid quote is refused on-chain (MarketConditionHolds)", async () => {
    const feed = await w.newProxyFeed(8, E8);
    const { productId } = await w.listProduct(w.core.depeg.address, depegParams(feed.address));
    const q = await w.quote(productId); // signed at a healthy peg
    await w.send(feed.write.updateAnswer([99n * E8 / 100n]));
    await w.fund(w.acc.attacker, q.premium);
    await expectRevert(w.as(w.core.market, w.acc.attacker).write.buyCover([q, await w.sign(q)]), "MarketConditionHolds", [productId]);
  });

  it("a phase change in the middle of a depeg: the episode is proven across it", async () => {
    const feed = await w.newProxyFeed(8, E8);
    const params = depegParams(feed.address, 6 * 3600);
    const { productId } = await w.listProduct(w.core.depeg.address, params);
    await w.advance(10n * HOUR);
    const t = await w.now();
    const start = t - 9n * HOUR;
    await post(feed, start, MIN, Array.from({ length: 240 }, () => 98n * E8 / 100n)); // 4 h below in phase 1
    // The new aggregator had run before the switch: its early rounds predate the old phase's last.
    await w.send(feed.write.upgradeAggregator([97n * E8 / 100n, start + 60n]));
    await post(feed, start + 240n * MIN, MIN, Array.from({ length: 300 }, () => 98n * E8 / 100n)); // 5 h more in phase 2
    const onsetId = (1n << 64n) + 2n;
    expect(await w.core.depeg.read.check([params, encodeDepegProof(onsetId)])).toEqual([true, start, start]);
    await w.send(w.core.market.write.fire([productId, encodeDepegProof(onsetId)]));
    // A recovery in the new phase right after the switch would have voided it.
    const feed2 = await w.newProxyFeed(8, E8);
    const p2 = depegParams(feed2.address, 6 * 3600);
    await post(feed2, start, MIN, Array.from({ length: 240 }, () => 98n * E8 / 100n));
    await w.send(feed2.write.upgradeAggregator([98n * E8 / 100n, start + 60n]));
    await post(feed2, start + 240n * MIN, MIN, [E8, ...Array.from({ length: 299 }, () => 98n * E8 / 100n)]);
    expect((await w.core.depeg.read.check([p2, encodeDepegProof(onsetId)]))[0]).toBe(false);
  });
});

describe("TVL drop: slow drains, crashes, canonical incident time", () => {
  const tvl = (feed: Hex, o: Partial<Parameters<typeof encodeTvlDropParams>[0]> = {}) =>
    encodeTvlDropParams({ feed, dropBps: 5000, windowSeconds: 86_400, maxAgeSeconds: 2 * 86_400, ...o });

  it("a slow drain, 1% a round over hundreds of rounds, pays; the incident time is the first reading of the fall", async () => {
    const feed = await w.newProxyFeed(8, 1_000_000n * E8);
    const params = tvl(feed.address);
    const { productId } = await w.listProduct(w.core.tvlDrop.address, params, { lag: 3600 });
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    const early = await w.buy(w.acc.alice, await w.quote(productId));
    await w.advance(2n * HOUR);
    // Heartbeats for 6 h, then a drain of 1% a round, a round every 2 minutes (400 rounds ≈ 13 h).
    const t = await w.now();
    await w.advance(20n * HOUR);
    await post(feed, t, HOUR, Array.from({ length: 6 }, () => 1_000_000n * E8));
    const fallFrom = t + 6n * HOUR;
    let v = 1_000_000n * E8;
    const drain = Array.from({ length: 400 }, () => (v = (v * 99n) / 100n));
    await post(feed, fallFrom, 2n * MIN, drain);
    // Rounds: 1 initial, 2..7 heartbeats, 8.. the drain; 1% a round trips at the 69th drained round.
    const base = 1n << 64n;
    const trip = base + 7n + 69n;
    const proof = encodeTvlDropProof(base + 1n, trip - 1n, trip);
    expect(await w.core.tvlDrop.read.check([params, proof])).toEqual([true, fallFrom, fallFrom]);
    // Every other choice of the trip round is refused: the incident time is one number.
    await expectRevert(w.core.tvlDrop.read.check([params, encodeTvlDropProof(base + 1n, trip, trip + 1n)]), "TvlDropTripNotFirst");
    expect((await w.core.tvlDrop.read.check([params, encodeTvlDropProof(base + 1n, trip - 2n, trip - 1n)]))[0]).toBe(false);
    const [found, p2] = await w.core.tvlDrop.read.findProof([params, 0n]);
    expect(found).toBe(false); // the fall lies further back than the on-chain search; the Worker's keeper finds it
    expect(p2).toBe("0x");
    await w.send(w.core.market.write.fire([productId, proof]));
    await w.send(w.core.market.write.confirmIncident([1n]));
    await w.send(w.core.market.write.settle([1n, [early]]));
    expect(await w.balance(w.acc.alice.account!.address)).toBe(10_000n * USD);
  });

  it("attack: cover bought after the fall first showed is not paid for it", async () => {
    const feed = await w.newProxyFeed(8, 1_000n * E8);
    const params = tvl(feed.address);
    const { productId } = await w.listProduct(w.core.tvlDrop.address, params, { lag: 60 });
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([700n * E8])); // a visible 30% fall
    const fallAt = await w.now();
    const late = await w.buy(w.acc.attacker, await w.quote(productId)); // buys into it
    await w.advance(2n * HOUR);
    await w.send(feed.write.updateAnswer([400n * E8])); // the drain completes
    const base = 1n << 64n;
    const [tripped, t] = await w.core.tvlDrop.read.check([params, encodeTvlDropProof(base + 1n, base + 2n, base + 3n)]);
    expect(tripped).toBe(true);
    expect(BigInt(t)).toBe(fallAt);
    await w.send(w.core.market.write.fire([productId, encodeTvlDropProof(base + 1n, base + 2n, base + 3n)]));
    await w.send(w.core.market.write.confirmIncident([1n]));
    expect(await w.core.market.read.payableAmount([1n, late])).toBe(0n);
  });

  it("attack: an older heartbeat round cannot move the incident time back to pay an expired policy", async () => {
    const feed = await w.newProxyFeed(8, 1_000n * E8);
    const params = tvl(feed.address);
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([1_000n * E8])); // heartbeat (round 2)
    await w.advance(12n * HOUR);
    await w.send(feed.write.updateAnswer([1_000n * E8])); // heartbeat (round 3)
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([300n * E8])); // crash (round 4)
    const crashAt = await w.now();
    const base = 1n << 64n;
    // Every proof that names rounds of this history either gives the crash time or is refused.
    for (const [s, p, j] of [[1n, 3n, 4n], [2n, 3n, 4n], [1n, 2n, 4n], [3n, 3n, 4n], [1n, 1n, 4n]] as const) {
      try {
        const [tripped, t] = await w.core.tvlDrop.read.check([params, encodeTvlDropProof(base + s, base + p, base + j)]);
        if (tripped) expect(BigInt(t)).toBe(crashAt);
      } catch (err) {
        expect(String(err)).toMatch(/TvlDrop(StartTooLate|PrevNotAdjacent|TripNotFirst)/);
      }
    }
  });

  it("near misses: a 47% fall over 24 h, and a market-wide drift, do not pay a 50%/24 h product", async () => {
    const feed = await w.newProxyFeed(8, 1_000n * E8);
    const params = tvl(feed.address);
    await w.advance(30n * HOUR);
    const t = (await w.now()) - 25n * HOUR;
    let v = 1_000n * E8;
    const answers = Array.from({ length: 24 }, (_, i) => (i < 23 ? (v = (v * 9727n) / 10_000n) : v)); // ≈ −47% in 24 h
    await post(feed, t, HOUR, answers);
    const base = 1n << 64n;
    for (let j = 2n; j <= 25n; j++) expect((await w.core.tvlDrop.read.check([params, encodeTvlDropProof(base + 1n, base + j - 1n, base + j)]))[0]).toBe(false);
    expect((await w.core.tvlDrop.read.findProof([params, 0n]))[0]).toBe(false);
  });

  it("a one-block crash pays, and a phase change in the middle of a fall is walked across", async () => {
    const feed = await w.newProxyFeed(8, 1_000n * E8);
    const params = tvl(feed.address);
    await w.advance(5n * HOUR);
    const t = (await w.now()) - 4n * HOUR;
    await post(feed, t, MIN, [900n * E8, 800n * E8]);
    await w.send(feed.write.upgradeAggregator([700n * E8, t + 3n * MIN]));
    await post(feed, t + 4n * MIN, MIN, [450n * E8]);
    const base = 1n << 64n;
    const phase2 = 2n << 64n;
    // Trip: phase 2 round 2 (450 ≤ 50% of 1,000); prev: phase 2 round 1 (700: 30% down, not tripping).
    const [tripped, at] = await w.core.tvlDrop.read.check([params, encodeTvlDropProof(base + 1n, phase2 + 1n, phase2 + 2n)]);
    expect(tripped).toBe(true);
    // The last reading high enough for 450 to be a 50% fall from it is 900 (phase 1 round 2): the
    // incident time is the reading after it.
    expect(BigInt(at)).toBe(t + MIN);
    // One-block crash on a quiet feed.
    const quiet = await w.newProxyFeed(8, 1_000n * E8);
    await w.advance(60);
    await w.send(quiet.write.updateAnswer([100n * E8]));
    const [q, qt] = await w.core.tvlDrop.read.check([tvl(quiet.address), encodeTvlDropProof(base + 1n, base + 1n, base + 2n)]);
    expect([q, BigInt(qt)]).toEqual([true, await w.now()]);
  });
});

/**
 * A one-frame forwarder in front of `target` (STATICCALL with all gas, return or revert its data):
 * gas-wise an ERC1967/Transparent proxy's delegation, one extra call frame.
 */
async function forwarder(target: Address): Promise<Address> {
  const runtime = "0x36600060003760006000366000" + "73" + target.slice(2).toLowerCase() + "5afa3d600060003e603157" + "3d6000fd" + "5b3d6000f3";
  const init = ("0x6036600c60003960366000f3" + runtime.slice(2)) as Hex;
  const hash = await w.acc.owner.sendTransaction({ account: w.acc.owner.account!, chain: w.acc.owner.chain, data: init });
  return (await w.clients.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
}

describe("all-of and paused: the stale-leg and pause-unpause-pause attacks", () => {
  it("a TVL leg from before listing, long recovered, plus a fresh pause does not pay", async () => {
    const feed = await w.newProxyFeed(8, 1_000n * E8);
    await w.advance(60);
    await w.send(feed.write.updateAnswer([300n * E8])); // an old fall
    await w.advance(60);
    await w.send(feed.write.updateAnswer([1_000n * E8])); // recovered
    await w.advance(DAY);
    await w.send(feed.write.updateAnswer([1_000n * E8]));
    const protocol = await w.newPausable();
    const legs = [
      encodeTvlDropParams({ feed: feed.address, dropBps: 5000, windowSeconds: 86_400, maxAgeSeconds: 40 * 86_400 }),
      encodePausedParams({ target: protocol.address, durationSeconds: 3600, maxGapSeconds: 600 }),
    ];
    const params = encodeAllOfParams({ triggers: [w.core.tvlDrop.address, w.core.paused.address], params: legs, maxSpreadSeconds: 7 * 86_400 });
    const { productId } = await w.listProduct(w.core.allOf.address, params);
    await w.send(protocol.write.pause());
    for (let i = 0; i < 7; i++) {
      await w.send(w.core.paused.write.observe([legs[1]!]));
      await w.advance(590);
    }
    await w.send(w.core.paused.write.observe([legs[1]!]));
    const base = 1n << 64n;
    const proof = encodeAllOfProof([encodeTvlDropProof(base + 1n, base + 1n, base + 2n), "0x"]);
    await expectRevert(w.core.market.write.fire([productId, proof]), "MarketIncidentBeforeListing");
  });

  it("a protocol whose paused() is dear to call, behind a proxy: an observation starved of gas never clears a recorded pause", async () => {
    // Before: a paused() call that ran out of gas read as "not paused", and the observation
    // deleted the record; anyone could send observe with the gas that starves the inner call but
    // leaves the trigger enough to clear it, after every keeper observation. A first fix (revert
    // when the failed call left ≤ 1/64 of its gas) was bypassed by one proxy frame (the
    // implementation starves, the proxy returns its 1/64): the adversarial review cleared a real
    // pause with a target behind a forwarder. Now paused() gets a fixed allowance or nothing.
    const protocol = await w.newPausable();
    await w.send(protocol.write.setModules([120n])); // ~250k gas per paused(), under the 300k allowance
    const target = await forwarder(protocol.address);
    const params = encodePausedParams({ target, durationSeconds: 3600, maxGapSeconds: 600 });
    const { productId } = await w.listProduct(w.core.paused.address, params);
    await w.send(protocol.write.pause());
    await w.send(w.core.market.write.observe([productId])); // the wallet's own estimate: recorded
    const key = await w.core.paused.read.observationKey([target, 600]);
    const firstSeen = (await w.core.paused.read.observations([key]))[0];
    expect(BigInt(firstSeen)).toBe(await w.now());
    const data = encodeFunctionData({ abi: w.core.market.abi, functionName: "observe", args: [productId] });
    const attacker = w.acc.carol;
    const gas = await w.clients.publicClient.estimateGas({ account: addr(attacker), to: w.core.market.address, data });
    expect(gas).toBeGreaterThan(300_000n); // the allowance, always forwarded in full
    let cleared = 0;
    for (let g = gas; g > gas / 4n; g -= gas / 60n) {
      const hash = await attacker.sendTransaction({ account: attacker.account!, chain: attacker.chain, to: w.core.market.address, data, gas: g });
      await w.clients.publicClient.waitForTransactionReceipt({ hash });
      if ((await w.core.paused.read.observations([key]))[0] !== firstSeen) cleared++;
    }
    expect(cleared).toBe(0);
    // An eth_call below the allowance names the problem.
    let named = false;
    for (let g = gas; g > gas / 4n && !named; g -= gas / 60n) {
      try {
        await w.clients.publicClient.call({ account: addr(attacker), to: w.core.market.address, data, gas: g });
      } catch (err) {
        named = revertName(err) === "PausedOutOfGas";
      }
    }
    expect(named).toBe(true);
    // A target that needs more than the allowance cannot be read: refused at listing.
    const dear = await w.newPausable();
    await w.send(dear.write.setModules([400n]));
    await expectRevert(w.listProduct(w.core.paused.address, encodePausedParams({ target: dear.address, durationSeconds: 3600, maxGapSeconds: 600 })), "PausedTargetUnsupported");
    // And a pause longer than the incident age limit allows cannot be listed.
    await expectRevert(w.listProduct(w.core.paused.address, encodePausedParams({ target: protocol.address, durationSeconds: 30 * 86_400, maxGapSeconds: 600 })), "PausedDurationInvalid");
  }, 180_000);

  it("pause, unpause and pause again between observations further apart than the max gap is not continuous", async () => {
    const protocol = await w.newPausable();
    const params = encodePausedParams({ target: protocol.address, durationSeconds: 3600, maxGapSeconds: 600 });
    const { productId } = await w.listProduct(w.core.paused.address, params);
    await w.send(protocol.write.pause());
    await w.send(w.core.market.write.observe([productId]));
    const firstSeen = await w.now();
    await w.send(protocol.write.unpause()); // unseen by any observation
    await w.advance(1200);
    await w.send(protocol.write.pause());
    await w.send(w.core.market.write.observe([productId])); // 20 min after the last: a new pause
    const key = await w.core.paused.read.observationKey([protocol.address, 600]);
    const [since] = await w.core.paused.read.observations([key]);
    expect(BigInt(since)).toBeGreaterThan(firstSeen);
    for (let i = 0; i < 5; i++) {
      await w.advance(500);
      await w.send(w.core.market.write.observe([productId]));
    }
    // 2,500 s since the new pause began: not an hour, though an hour since the first sighting.
    expect((await w.core.paused.read.check([params, "0x"]))[0]).toBe(false);
    await expectRevert(w.core.market.write.fire([productId, "0x"]), "MarketTriggerNotTripped");
  });
});
