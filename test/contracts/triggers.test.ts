import { keccak256, toHex, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { encodeAllOfParams, encodeAllOfProof } from "../../workers/triggers/allOf";
import { encodeDepegParams, encodeDepegProof } from "../../workers/triggers/depeg";
import { encodePausedParams } from "../../workers/triggers/paused";
import { encodeTvlDropParams, encodeTvlDropProof } from "../../workers/triggers/tvlDrop";
import { useWorld, DAY, expectRevert, USD, type World } from "./helpers/fixture";

let w: World;
const E8 = 10n ** 8n;
const HOUR = 3600n;

useWorld(async (world) => {
  w = world;
});

const tvl = (feed: Hex, o: Partial<Parameters<typeof encodeTvlDropParams>[0]> = {}) =>
  encodeTvlDropParams({ feed, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 2 * 86_400, ...o });

describe("oracle hygiene (every read)", () => {
  const setup = async () => {
    const feed = await w.newFeed(8, 100n * E8);
    await w.advance(60);
    await w.send(feed.write.updateAnswer([60n * E8]));
    return { feed, params: tvl(feed.address), proof: encodeTvlDropProof(1n, 1n, 2n) };
  };

  it("accepts a sane latest round (baseline)", async () => {
    const { params, proof } = await setup();
    const [tripped] = await w.core.tvlDrop.read.check([params, proof]);
    expect(tripped).toBe(true);
  });

  it("a zero answer is a TVL reading (a full drain); for a price feed it means the feed cannot be trusted", async () => {
    const { feed, params, proof } = await setup();
    await w.send(feed.write.updateAnswer([0n]));
    expect((await w.core.tvlDrop.read.check([params, proof]))[0]).toBe(true);
    const price = encodeDepegParams({ feed: feed.address, thresholdE18: 97n * 10n ** 16n, durationSeconds: 3600, maxAgeSeconds: 86_400 });
    await expectRevert(w.core.depeg.read.latestBelow([{ feed: feed.address, thresholdE18: 97n * 10n ** 16n, durationSeconds: 3600, maxAgeSeconds: 86_400, sequencerFeed: "0x0000000000000000000000000000000000000000", sequencerGraceSeconds: 0 }]), "OracleAnswerNotPositive");
    expect(await w.core.depeg.read.conditionHolds([price])).toBe(true); // no sales on an untrustworthy price
  });

  it("OracleAnswerNotPositive for a negative answer", async () => {
    const { feed, params, proof } = await setup();
    await w.send(feed.write.updateAnswer([-1n]));
    await expectRevert(w.core.tvlDrop.read.check([params, proof]), "OracleAnswerNotPositive");
  });

  it("OracleStale when the latest round is older than the max age", async () => {
    const { params, proof } = await setup();
    await w.advance(2n * DAY + 1n);
    await expectRevert(w.core.tvlDrop.read.check([params, proof]), "OracleStale");
  });

  it("OracleUpdatedInFuture for a round stamped after the block", async () => {
    const { feed, params, proof } = await setup();
    const now = await w.now();
    await w.send(feed.write.updateRoundData([3n, 60n * E8, now + 3600n, now]));
    await expectRevert(w.core.tvlDrop.read.check([params, proof]), "OracleUpdatedInFuture");
  });

  it("OracleRoundIncomplete for a zero updatedAt", async () => {
    const { feed, params, proof } = await setup();
    await w.send(feed.write.updateRoundData([3n, 60n * E8, 0n, 0n]));
    await expectRevert(w.core.tvlDrop.read.check([params, proof]), "OracleRoundIncomplete");
  });

  it("FeedRoundNotInTimeline for a proof round that does not exist", async () => {
    const { params } = await setup();
    await expectRevert(w.core.tvlDrop.read.check([params, encodeTvlDropProof(1n, 0n, 2n)]), "FeedRoundNotInTimeline");
  });

  it("OracleSequencerDown and OracleSequencerGracePeriod on an L2 feed", async () => {
    const { feed } = await setup();
    const seq = await w.newFeed(0, 0n);
    const now = await w.now();
    const params = tvl(feed.address, { sequencerFeed: seq.address, sequencerGraceSeconds: 3600 });
    const proof = encodeTvlDropProof(1n, 1n, 2n);
    await w.send(seq.write.updateRoundData([2n, 0n, now, now - 100n])); // up for 100 s
    await expectRevert(w.core.tvlDrop.read.check([params, proof]), "OracleSequencerGracePeriod");
    await w.send(seq.write.updateRoundData([3n, 1n, now, now])); // down
    await expectRevert(w.core.tvlDrop.read.check([params, proof]), "OracleSequencerDown");
    await w.send(seq.write.updateRoundData([4n, 0n, now, now - 7200n])); // up for two hours
    expect((await w.core.tvlDrop.read.check([params, proof]))[0]).toBe(true);
  });

  it("OracleDecimalsUnsupported for a feed with more than 18 decimals", async () => {
    const feed = await w.newFeed(19, 10n ** 19n);
    await expectRevert(
      w.core.depeg.read.validateParams([encodeDepegParams({ feed: feed.address, thresholdE18: 97n * 10n ** 16n, durationSeconds: 3600, maxAgeSeconds: 86_400 })]),
      "OracleDecimalsUnsupported",
    );
  });
});

describe("TVL drop", () => {
  it("trips on a drop of at least X% within W; the incident time is the fall's first reading", async () => {
    const feed = await w.newFeed(8, 100n * E8);
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([70n * E8])); // exactly 30%
    const t2 = await w.now();
    const [tripped, t] = await w.core.tvlDrop.read.check([tvl(feed.address), encodeTvlDropProof(1n, 1n, 2n)]);
    expect(tripped).toBe(true);
    expect(BigInt(t)).toBe(t2);
    const [found, proof] = await w.core.tvlDrop.read.findProof([tvl(feed.address), 0n]);
    expect(found).toBe(true);
    expect(proof).toBe(encodeTvlDropProof(1n, 1n, 2n));
  });

  it("near miss: a drop just under X does not trip", async () => {
    const feed = await w.newFeed(8, 100n * E8);
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([70n * E8 + 1n]));
    expect(await w.core.tvlDrop.read.check([tvl(feed.address), encodeTvlDropProof(1n, 1n, 2n)])).toEqual([false, 0n, 0n]);
    expect((await w.core.tvlDrop.read.findProof([tvl(feed.address), 0n]))[0]).toBe(false);
  });

  it("near miss: the same drop spread over more than W does not trip", async () => {
    // 100 until 1 h, then 85 for 25 h, then 69: 31% in all, but no 24 h window holds 100 and 69.
    const feed = await w.newFeed(8, 100n * E8);
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([85n * E8]));
    await w.advance(25n * HOUR);
    await w.send(feed.write.updateAnswer([69n * E8]));
    const p = tvl(feed.address);
    expect((await w.core.tvlDrop.read.check([p, encodeTvlDropProof(1n, 2n, 3n)]))[0]).toBe(false); // 18.8% inside W
    expect((await w.core.tvlDrop.read.check([p, encodeTvlDropProof(1n, 1n, 2n)]))[0]).toBe(false); // 15%
    expect((await w.core.tvlDrop.read.findProof([p, 0n]))[0]).toBe(false);
  });

  it("findProof pairs the drop with the peak inside the window and honours notBefore", async () => {
    const feed = await w.newFeed(8, 90n * E8);
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([100n * E8]));
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([65n * E8]));
    const fallAt = await w.now();
    const p = tvl(feed.address);
    expect(await w.core.tvlDrop.read.findProof([p, 0n])).toEqual([true, encodeTvlDropProof(1n, 2n, 3n)]);
    expect((await w.core.tvlDrop.read.findProof([p, fallAt - 1n]))[0]).toBe(true);
    expect((await w.core.tvlDrop.read.findProof([p, fallAt]))[0]).toBe(false);
  });

  it("refuses proofs whose rounds are missing, out of order or not adjacent", async () => {
    const feed = await w.newFeed(8, 100n * E8);
    await w.advance(60);
    await w.send(feed.write.updateAnswer([90n * E8]));
    await w.advance(60);
    await w.send(feed.write.updateAnswer([50n * E8]));
    const p = tvl(feed.address);
    await expectRevert(w.core.tvlDrop.read.check([p, encodeTvlDropProof(1n, 3n, 5n)]), "FeedRoundNotInTimeline");
    await expectRevert(w.core.tvlDrop.read.check([p, encodeTvlDropProof(3n, 2n, 3n)]), "TvlDropStartTooLate");
    await expectRevert(w.core.tvlDrop.read.check([p, encodeTvlDropProof(1n, 1n, 3n)]), "TvlDropPrevNotAdjacent");
    await expectRevert(w.core.tvlDrop.read.check([p, encodeTvlDropProof(2n, 3n, 1n)]), "TvlDropStartTooLate");
    expect((await w.core.tvlDrop.read.check([p, encodeTvlDropProof(1n, 2n, 3n)]))[0]).toBe(true);
  });

  it("validates parameters when a product is listed", async () => {
    const feed = await w.newFeed(8, 100n * E8);
    await expectRevert(w.core.tvlDrop.read.validateParams([tvl(feed.address, { dropBps: 0 })]), "TvlDropBpsOutOfRange");
    await expectRevert(w.core.tvlDrop.read.validateParams([tvl(feed.address, { dropBps: 10_000 })]), "TvlDropBpsOutOfRange");
    await expectRevert(w.core.tvlDrop.read.validateParams([tvl(feed.address, { windowSeconds: 0 })]), "TvlDropWindowInvalid");
    await expectRevert(
      w.listProduct(w.core.tvlDrop.address, tvl(feed.address, { dropBps: 10_000 })),
      "TvlDropBpsOutOfRange",
    );
  });
});

describe("depeg", () => {
  const THRESHOLD = 97n * 10n ** 16n; // $0.97
  const params = (feed: Hex, o: Partial<Parameters<typeof encodeDepegParams>[0]> = {}) =>
    encodeDepegParams({ feed, thresholdE18: THRESHOLD, durationSeconds: 86_400, maxAgeSeconds: 2 * 86_400, ...o });

  for (const decimals of [6, 8, 18]) {
    it(`trips after the price stays below the threshold for D (${decimals} decimals)`, async () => {
      const one = 10n ** BigInt(decimals);
      const feed = await w.newFeed(decimals, one); // $1.00, round 1
      await w.advance(HOUR);
      await w.send(feed.write.updateAnswer([(one * 96n) / 100n])); // round 2: onset
      const onsetAt = await w.now();
      await w.advance(12n * HOUR);
      await w.send(feed.write.updateAnswer([(one * 95n) / 100n])); // round 3
      const p = params(feed.address);
      expect((await w.core.depeg.read.check([p, encodeDepegProof(2n)]))[0]).toBe(false); // only 12 h
      await w.advance(12n * HOUR);
      expect(await w.core.depeg.read.check([p, encodeDepegProof(2n)])).toEqual([true, onsetAt, onsetAt]);
      expect(await w.core.depeg.read.findProof([p, 0n])).toEqual([true, encodeDepegProof(2n)]);
    });
  }

  it("near miss: a brief depeg that recovers does not trip", async () => {
    const feed = await w.newFeed(8, E8);
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([96n * E8 / 100n]));
    await w.advance(6n * HOUR);
    await w.send(feed.write.updateAnswer([99n * E8 / 100n])); // recovered
    await w.advance(2n * DAY - 1n - 6n * HOUR);
    await w.send(feed.write.updateAnswer([96n * E8 / 100n])); // dips again, fresh onset
    const p = params(feed.address);
    expect((await w.core.depeg.read.check([p, encodeDepegProof(2n)]))[0]).toBe(false); // broken by round 3
    expect((await w.core.depeg.read.check([p, encodeDepegProof(4n)]))[0]).toBe(false); // too recent
    expect((await w.core.depeg.read.findProof([p, 0n]))[0]).toBe(false);
  });

  it("DepegOnsetNotFirst when the proof skips the first round below", async () => {
    const feed = await w.newFeed(8, E8);
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([96n * E8 / 100n]));
    await w.advance(HOUR);
    await w.send(feed.write.updateAnswer([95n * E8 / 100n]));
    await w.advance(DAY);
    await w.send(feed.write.updateAnswer([95n * E8 / 100n]));
    await expectRevert(w.core.depeg.read.check([params(feed.address), encodeDepegProof(3n)]), "DepegOnsetNotFirst");
  });

  it("validates parameters: threshold the feed cannot express, already below, zero duration", async () => {
    const feed = await w.newFeed(8, E8);
    await expectRevert(w.core.depeg.read.validateParams([params(feed.address, { thresholdE18: THRESHOLD + 1n })]), "DepegThresholdOutOfRange");
    await expectRevert(w.core.depeg.read.validateParams([params(feed.address, { thresholdE18: 0n })]), "DepegThresholdOutOfRange");
    await expectRevert(w.core.depeg.read.validateParams([params(feed.address, { thresholdE18: 2n * 10n ** 18n })]), "DepegAlreadyBelowThreshold");
    await expectRevert(w.core.depeg.read.validateParams([params(feed.address, { durationSeconds: 0 })]), "DepegDurationInvalid");
    await w.core.depeg.read.validateParams([params(feed.address)]);
  });
});

describe("paused", () => {
  const D = 6n * HOUR;

  it("observe, then confirm after D: the incident time is the first observation", async () => {
    const protocol = await w.newPausable();
    const p = encodePausedParams({ target: protocol.address, durationSeconds: Number(D), maxGapSeconds: Number(D) });
    await w.send(protocol.write.pause());
    expect(await w.core.paused.read.observationDue([p])).toBe(true);
    await w.send(w.core.paused.write.observe([p]));
    const since = await w.now();
    const key = await w.core.paused.read.observationKey([protocol.address, Number(D)]);
    expect(await w.core.paused.read.observations([key])).toEqual([Number(since), Number(since)]);
    expect(await w.core.paused.read.observationDue([p])).toBe(false);
    await w.advance(D - 10n);
    expect(await w.core.paused.read.check([p, "0x"])).toEqual([false, 0n, 0n]);
    await w.advance(10n);
    expect(await w.core.paused.read.check([p, "0x"])).toEqual([true, since, since]);
  });

  it("near miss: a pause shorter than D does not trip, and unpausing resets the observation", async () => {
    const protocol = await w.newPausable();
    const p = encodePausedParams({ target: protocol.address, durationSeconds: Number(D), maxGapSeconds: Number(D) });
    await w.send(protocol.write.pause());
    await w.send(w.core.paused.write.observe([p]));
    await w.advance(D / 2n);
    await w.send(protocol.write.unpause());
    expect(await w.core.paused.read.check([p, "0x"])).toEqual([false, 0n, 0n]);
    await w.send(w.core.paused.write.observe([p]));
    const key = await w.core.paused.read.observationKey([protocol.address, Number(D)]);
    expect(await w.core.paused.read.observations([key])).toEqual([0, 0]);
    await w.send(protocol.write.pause());
    await w.send(w.core.paused.write.observe([p]));
    await w.advance(D / 2n + 10n);
    expect((await w.core.paused.read.check([p, "0x"]))[0]).toBe(false);
  });

  it("validates parameters: a target without paused(), already paused, zero duration", async () => {
    const protocol = await w.newPausable();
    await expectRevert(w.core.paused.read.validateParams([encodePausedParams({ target: w.acc.bob.account!.address, durationSeconds: 60, maxGapSeconds: 60 })]), "PausedTargetUnsupported");
    await expectRevert(w.core.paused.read.validateParams([encodePausedParams({ target: w.core.asset.address, durationSeconds: 60, maxGapSeconds: 60 })]), "PausedTargetUnsupported");
    await expectRevert(w.core.paused.read.validateParams([encodePausedParams({ target: protocol.address, durationSeconds: 0, maxGapSeconds: 0 })]), "PausedDurationInvalid");
    await expectRevert(w.core.paused.read.validateParams([encodePausedParams({ target: protocol.address, durationSeconds: 60, maxGapSeconds: 61 })]), "PausedDurationInvalid");
    await w.send(protocol.write.pause());
    await expectRevert(w.core.paused.read.validateParams([encodePausedParams({ target: protocol.address, durationSeconds: 60, maxGapSeconds: 60 })]), "PausedTargetAlreadyPaused");
  });
});

describe("all-of", () => {
  const setup = async () => {
    const feed = await w.newFeed(8, 100n * E8);
    const protocol = await w.newPausable();
    const tvlParams = tvl(feed.address);
    const pausedParams = encodePausedParams({ target: protocol.address, durationSeconds: 3600, maxGapSeconds: 3600 });
    const params = encodeAllOfParams({ triggers: [w.core.tvlDrop.address, w.core.paused.address], params: [tvlParams, pausedParams], maxSpreadSeconds: 86_400 });
    return { feed, protocol, params, pausedParams };
  };

  it("trips only when every sub-trigger holds, at the earliest of their incident times", async () => {
    const { feed, protocol, params } = await setup();
    await w.core.allOf.read.validateParams([params]);
    await w.advance(60);
    await w.send(feed.write.updateAnswer([50n * E8]));
    const fallAt = await w.now();
    const proof = encodeAllOfProof([encodeTvlDropProof(1n, 1n, 2n), "0x"]);
    expect((await w.core.allOf.read.check([params, proof]))[0]).toBe(false); // TVL only
    await w.send(protocol.write.pause());
    expect(await w.core.allOf.read.conditionHolds([params])).toBe(true);
    await w.send(w.core.allOf.write.observe([params]));
    expect(BigInt(await w.now())).toBeGreaterThan(fallAt); // the pause comes after the fall
    await w.advance(3600);
    expect(await w.core.allOf.read.check([params, proof])).toEqual([true, fallAt, fallAt]); // the earliest leg: when the event first showed
    expect(await w.core.allOf.read.findProof([params, 0n])).toEqual([true, proof]);
  });

  it("refuses wrong arity, unapproved sub-triggers and mismatched proofs", async () => {
    const { params } = await setup();
    const one = encodeAllOfParams({ triggers: [w.core.tvlDrop.address], params: ["0x"], maxSpreadSeconds: 60 });
    await expectRevert(w.core.allOf.read.validateParams([one]), "AllOfArity");
    const rogue = encodeAllOfParams({ triggers: [w.core.tvlDrop.address, w.acc.bob.account!.address], params: ["0x", "0x"], maxSpreadSeconds: 60 });
    await expectRevert(w.core.allOf.read.validateParams([rogue]), "AllOfSubTriggerNotApproved");
    await expectRevert(w.core.allOf.read.check([params, encodeAllOfProof(["0x"])]), "AllOfProofArity");
  });
});

describe("listing validation in the market", () => {
  it("refuses unapproved triggers and out-of-range listing parameters", async () => {
    const feed = await w.newFeed(8, 100n * E8);
    const terms = keccak256(toHex("t"));
    const base = { trigger: w.core.tvlDrop.address, params: tvl(feed.address), termsHash: terms, capAmount: 1_000n * USD, coverageLagSeconds: 3600, vetoWindowSeconds: 0 };
    await expectRevert(w.core.market.write.listProduct([{ ...base, trigger: w.acc.bob.account!.address }]), "MarketTriggerNotApproved");
    await expectRevert(w.core.market.write.listProduct([{ ...base, capAmount: 0n }]), "MarketProductConfigInvalid");
    await expectRevert(w.core.market.write.listProduct([{ ...base, coverageLagSeconds: 59 }]), "MarketProductConfigInvalid");
    await expectRevert(w.core.market.write.listProduct([{ ...base, vetoWindowSeconds: 8 * 86_400 }]), "MarketProductConfigInvalid");
    await expectRevert(w.core.market.write.listProduct([{ ...base, termsHash: `0x${"00".repeat(32)}` }]), "MarketProductConfigInvalid");
    await expectRevert(w.as(w.core.market, w.acc.bob).write.listProduct([base]), "AccessControlUnauthorizedAccount");
    await w.send(w.core.market.write.setTriggerApproved([w.core.tvlDrop.address, false]));
    await expectRevert(w.core.market.write.listProduct([base]), "MarketTriggerNotApproved");
  });
});
