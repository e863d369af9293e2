import { describe, expect, it } from "vitest";
import { decodeOracleDeviationParams, encodeOracleDeviationParams, oracleDeviationRecordKey, type OracleDeviationParams } from "../../workers/triggers/oracleDeviation";
import { addr, expectRevert, useWorld, USD, type World } from "./helpers/fixture";

// The oracle-deviation trigger against two feeds of one asset: the reference posts a round a
// minute (a deviation-triggered feed in a volatile hour), the covered protocol's own oracle is
// pushed away from it (a manipulated or broken price source). Observations every five minutes,
// as the keeper makes them when `observationDue` says so, over an hour and more.
let w: World;
const MIN = 60n;
const HOUR = 3_600n;
const DAY = 86_400n;
const E8 = 10n ** 8n;
const E18 = 10n ** 18n;

useWorld(async (world) => {
  w = world;
  await w.deposit(w.acc.lp, 5_000_000n * USD);
});

type Feed = Awaited<ReturnType<World["newFeed"]>>;
/** The protocol's oracle (8 decimals) and the reference (18 decimals, to check the scaling), both at $2,000. */
async function feeds() {
  const own = await w.newFeed(8, 2_000n * E8);
  const ref = await w.newFeed(18, 2_000n * E18);
  return { own, ref };
}
const terms = (own: Feed, ref: Feed, o: Partial<OracleDeviationParams> = {}): OracleDeviationParams => ({
  feed: own.address, referenceFeed: ref.address, deviationBps: 1_000, durationSeconds: Number(30n * MIN), maxGapSeconds: Number(10n * MIN), maxAgeSeconds: Number(HOUR), ...o,
});
const record = async (p: OracleDeviationParams) => {
  const [since, lastApart, alignedAt, lastAligned] = await w.core.oracleDeviation.read.records([oracleDeviationRecordKey(p)]);
  return { since, lastApart, alignedAt, lastAligned };
};
async function listed(own: Feed, ref: Feed, o: Partial<OracleDeviationParams> = {}) {
  const p = terms(own, ref, o);
  const params = encodeOracleDeviationParams(p);
  const { productId } = await w.listProduct(w.core.oracleDeviation.address, params, { lag: 3600 });
  return { p, params, productId };
}
/** Every minute for `minutes`: the reference posts `refAt(i)` and the protocol's oracle `ownAt(i)`; the market observes every five. */
async function minutes(n: number, own: Feed, ref: Feed, ownAt: (i: number) => bigint, refAt: (i: number) => bigint, productId: bigint, observeEvery = 5) {
  for (let i = 0; i < n; i++) {
    await w.send(ref.write.updateAnswer([refAt(i)]));
    await w.send(own.write.updateAnswer([ownAt(i)]));
    if (i % observeEvery === 0) await w.send(w.core.market.write.observe([productId]));
    await w.advance(MIN);
  }
}
const drift = (base: bigint, i: number, unit: bigint) => base + BigInt((i * 7) % 11 - 5) * unit; // the market moving ±$5 a minute

describe("oracle deviation: the protocol's price held away from the market pays", () => {
  it("a 15% gap held for 30 minutes of dense rounds fires; the incident time is the run's first observation; the policy is paid", async () => {
    const { own, ref } = await feeds();
    const { p, params, productId } = await listed(own, ref);
    const policy = await w.buy(w.acc.alice, await w.quote(productId));
    await w.advance(2n * HOUR); // cover active
    // The manipulated oracle reads 15% under the market while the market keeps moving.
    await w.send(ref.write.updateAnswer([2_000n * E18]));
    await w.send(own.write.updateAnswer([1_700n * E8]));
    await w.send(w.core.market.write.observe([productId]));
    const since = await w.now();
    expect((await record(p)).since).toBe(Number(since));
    // Sales stop while the run is on record, and it cannot fire before the duration.
    await expectRevert(w.buy(w.acc.bob, await w.quote(productId)), "MarketConditionHolds");
    await expectRevert(w.core.market.write.fire([productId, "0x"]), "MarketTriggerNotTripped");
    await minutes(31, own, ref, (i) => drift(1_700n, i, 1n) * E8, (i) => drift(2_000n, i, 1n) * E18, productId);
    await w.send(w.core.market.write.observe([productId]));
    expect(await w.core.oracleDeviation.read.check([params, "0x"])).toEqual([true, since, since]);
    const before = await w.balance(addr(w.acc.alice));
    const incidentId = await w.fireAndConfirm(productId, "0x");
    expect(BigInt((await w.core.market.read.incident([incidentId])).incidentTime)).toBe(since);
    await w.send(w.core.market.write.settle([incidentId, [policy]]));
    expect((await w.balance(addr(w.acc.alice))) - before).toBe(10_000n * USD);
  });

  it("near misses pay nothing: 9.9% apart for an hour, and 15% apart for 25 minutes", async () => {
    const { own, ref } = await feeds();
    const { p, params, productId } = await listed(own, ref);
    await w.advance(2n * HOUR);
    // 9.9% apart (the level is 10%): no run starts (the API's 2% sales margin stops quotes well
    // before this; on-chain, sales stop only at the level).
    await minutes(60, own, ref, () => 1_802n * E8, () => 2_000n * E18, productId);
    expect((await record(p)).since).toBe(0);
    expect(await w.core.oracleDeviation.read.conditionHolds([params])).toBe(false);
    // 15% apart for 25 minutes, then back in line (confirmed by two observations a max gap apart).
    await minutes(25, own, ref, () => 1_700n * E8, () => 2_000n * E18, productId);
    expect((await record(p)).since).not.toBe(0);
    await minutes(12, own, ref, () => 2_000n * E8, () => 2_000n * E18, productId);
    await w.send(w.core.market.write.observe([productId]));
    expect((await record(p)).since).toBe(0); // the run was cleared
    expect(await w.core.oracleDeviation.read.conditionHolds([params])).toBe(false);
    await w.advance(HOUR);
    expect((await w.core.oracleDeviation.read.check([params, "0x"]))[0]).toBe(false);
    // An hour without rounds leaves both feeds older than the max age: a stale pair reads as
    // "condition may hold" so nothing is sold on it, but it never fires.
    expect(await w.core.oracleDeviation.read.conditionHolds([params])).toBe(true);
  });

  it("a price pushed back into line for one observation restarts the stretch but does not end the run; a gap longer than the max gap breaks it", async () => {
    const { own, ref } = await feeds();
    const { p, params, productId } = await listed(own, ref);
    await w.advance(2n * HOUR);
    await w.send(ref.write.updateAnswer([2_000n * E18])); // both feeds fresh (the max age is an hour)
    await w.send(own.write.updateAnswer([1_600n * E8]));
    await w.send(w.core.market.write.observe([productId]));
    const since = await w.now();
    await minutes(20, own, ref, () => 1_600n * E8, () => 2_000n * E18, productId);
    // Someone pushes the oracle back for one block and observes; it is pushed away again at once.
    await w.send(own.write.updateAnswer([2_000n * E8]));
    await w.send(w.core.market.write.observe([productId]));
    const pushed = await w.now();
    await w.send(own.write.updateAnswer([1_600n * E8]));
    expect((await record(p)).since).toBe(Number(since)); // one observation in line does not end the run
    await minutes(20, own, ref, () => 1_600n * E8, () => 2_000n * E18, productId);
    // 40 minutes since the onset, only 20 since the push: the stretch restarted at the push.
    expect((await w.core.oracleDeviation.read.check([params, "0x"]))[0]).toBe(false);
    await minutes(11, own, ref, () => 1_600n * E8, () => 2_000n * E18, productId);
    await w.send(w.core.market.write.observe([productId]));
    expect(await w.core.oracleDeviation.read.check([params, "0x"])).toEqual([true, since, since]);
    expect(BigInt((await record(p)).lastAligned)).toBe(pushed);

    // A second pair: apart, then nobody observes for longer than the max gap — the run is not continuous.
    const other = await feeds();
    const q = await listed(other.own, other.ref);
    await w.send(other.own.write.updateAnswer([1_600n * E8]));
    await w.send(w.core.market.write.observe([q.productId]));
    const first = await w.now();
    await w.advance(11n * MIN);
    await w.send(other.ref.write.updateAnswer([2_000n * E18]));
    await w.send(other.own.write.updateAnswer([1_600n * E8]));
    await w.send(w.core.market.write.observe([q.productId])); // too late: a new run starts here
    const again = await w.now();
    expect(BigInt((await record(q.p)).since)).toBe(again);
    expect(again).toBeGreaterThan(first);
  });

  it("stale or broken feeds: the observation counts for neither side and nothing is sold", async () => {
    const { own, ref } = await feeds();
    const { p, params, productId } = await listed(own, ref, { maxAgeSeconds: Number(10n * MIN) });
    await w.advance(2n * HOUR); // both feeds are now older than the 10-minute max age
    expect(await w.core.oracleDeviation.read.conditionHolds([params])).toBe(true);
    await expectRevert(w.buy(w.acc.bob, await w.quote(productId)), "MarketConditionHolds");
    await w.send(own.write.updateAnswer([1_500n * E8])); // apart, but the reference is stale
    await w.send(w.core.market.write.observe([productId]));
    expect((await record(p)).since).toBe(0);
    await expectRevert(w.core.oracleDeviation.read.readDeviation([decodeOracleDeviationParams(encodeOracleDeviationParams(p))]), "OracleStale");
    await w.send(ref.write.updateAnswer([-1n])); // a broken reference
    await expectRevert(w.core.oracleDeviation.read.readDeviation([decodeOracleDeviationParams(encodeOracleDeviationParams(p))]), "OracleAnswerNotPositive");
    await w.send(w.core.market.write.observe([productId]));
    expect((await record(p)).since).toBe(0);
  });

  it("products that differ only in duration share one incident time; listing refuses bad parameters and pairs already apart", async () => {
    const { own, ref } = await feeds();
    const a = await listed(own, ref, { durationSeconds: Number(20n * MIN) });
    const b = await listed(own, ref, { durationSeconds: Number(40n * MIN) });
    expect(oracleDeviationRecordKey(a.p)).toBe(oracleDeviationRecordKey(b.p));
    await w.advance(2n * HOUR);
    await w.send(ref.write.updateAnswer([2_000n * E18]));
    await w.send(own.write.updateAnswer([2_300n * E8])); // 15% above the market: a deviation either way counts
    await w.send(w.core.market.write.observe([a.productId]));
    const since = await w.now();
    await minutes(41, own, ref, () => 2_300n * E8, () => 2_000n * E18, b.productId);
    expect(await w.core.oracleDeviation.read.check([a.params, "0x"])).toEqual([true, since, since]);
    expect(await w.core.oracleDeviation.read.check([b.params, "0x"])).toEqual([true, since, since]);

    // Listing while apart, or with bad parameters, is refused with the trigger's errors.
    const market = w.core.market;
    const list = (params: `0x${string}`) =>
      market.write.listProduct([{ trigger: w.core.oracleDeviation.address, params, termsHash: `0x${"11".repeat(32)}`, capAmount: USD, coverageLagSeconds: 3600, vetoWindowSeconds: 0 }]);
    await expectRevert(list(encodeOracleDeviationParams(terms(own, ref))), "OracleDeviationAlreadyApart");
    const fresh = await feeds();
    await expectRevert(list(encodeOracleDeviationParams(terms(fresh.own, fresh.ref, { deviationBps: 50 }))), "OracleDeviationParamsInvalid");
    await expectRevert(list(encodeOracleDeviationParams(terms(fresh.own, fresh.ref, { maxGapSeconds: 3_600, durationSeconds: 600 }))), "OracleDeviationParamsInvalid");
    await expectRevert(list(encodeOracleDeviationParams(terms(fresh.own, fresh.own))), "OracleDeviationParamsInvalid");
  });
  it("returns into line cannot make a run unprovable, nor take its start from a policy active then", async () => {
    // Before (adversarial review): a 7-day product, one observation in line every 3 days for 25
    // days, then apart 7 days straight — check() tripped with the run's first observation 32 days
    // old, fire reverted MarketIncidentTooOld for good and the policy was never paid. A first fix
    // restarted any run older than 15 days at its next apart observation; a second review showed
    // that moved the incident time past a 15-day policy active at the start even where a proof
    // from the start would have come in time. Now the incident time is the run's start unless the
    // first possible proof (latest return + duration + a day) is past the 30-day limit from it.
    const scenario = async (lastReturnSlot: number, policyDays: bigint) => {
      const { own, ref } = await feeds();
      const p = terms(own, ref, { durationSeconds: Number(7n * DAY), maxGapSeconds: Number(DAY), maxAgeSeconds: Number(2n * DAY) });
      const params = encodeOracleDeviationParams(p);
      const { productId } = await w.listProduct(w.core.oracleDeviation.address, params, { lag: 3600 });
      const policy = await w.buy(w.acc.alice, await w.quote(productId, { duration: policyDays * DAY }));
      await w.advance(2n * HOUR);
      const at = async (ownPrice: bigint) => {
        await w.send(ref.write.updateAnswer([2_000n * E18]));
        await w.send(own.write.updateAnswer([ownPrice * E8]));
        await w.send(w.core.market.write.observe([productId]));
      };
      await at(1_600n); // 20% apart: the run starts
      const first = await w.now();
      // In line for one observation every 3 days (slots of 6 hours) up to the last return, apart otherwise.
      let resumed = 0n;
      for (let slot = 1; slot <= lastReturnSlot + 7 * 4 + 1; slot++) {
        await w.advance(6n * HOUR);
        const back = slot <= lastReturnSlot && slot % 12 === 0;
        await at(back ? 2_000n : 1_600n);
        if (slot === lastReturnSlot + 1) resumed = await w.now();
      }
      expect(BigInt((await record(p)).since)).toBe(first); // the run never restarts
      const [tripped, t] = await w.core.oracleDeviation.read.check([params, "0x"]);
      expect(tripped).toBe(true);
      const before = await w.balance(addr(w.acc.alice));
      const incidentId = await w.fireAndConfirm(productId, "0x");
      expect(BigInt((await w.core.market.read.incident([incidentId])).incidentTime)).toBe(BigInt(t));
      await w.send(w.core.market.write.settle([incidentId, [policy]]));
      return { first, resumed, t: BigInt(t), paid: (await w.balance(addr(w.acc.alice))) - before };
    };
    // Returns on days 3–15 (the last at slot 60 = day 15), proof possible by day 22 + a day < 30:
    // the incident time is the run's start, and a 15-day policy active then is paid.
    const inTime = await scenario(60, 15n);
    expect(inTime.t).toBe(inTime.first);
    expect(inTime.paid).toBe(10_000n * USD);
    // Returns up to day 24 (slot 96): a proof from the start would be 31+ days old; the incident
    // time is the first observation apart after the last return, and the 60-day policy is paid.
    const late = await scenario(96, 60n);
    expect(late.t).toBe(late.resumed);
    expect(late.t).toBeGreaterThan(late.first + 23n * DAY);
    expect(late.paid).toBe(10_000n * USD);
    // Duration plus gap above 15 days is refused at listing.
    const fresh = await feeds();
    await expectRevert(
      w.listProduct(w.core.oracleDeviation.address, encodeOracleDeviationParams(terms(fresh.own, fresh.ref, { durationSeconds: Number(15n * DAY), maxGapSeconds: Number(HOUR) }))),
      "OracleDeviationParamsInvalid",
    );
  }, 600_000);
});
