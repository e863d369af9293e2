import { encodeFunctionData, getContract, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import * as MockShareVault from "../../contracts/out/MockShareVault";
import { deploy } from "../../scripts/lib/deploy";
import { encodeSharePriceParams, sharePriceRecordKey, type SharePriceParams } from "../../workers/triggers/sharePrice";
import { addr, expectRevert, revertName, useWorld, USD, type World } from "./helpers/fixture";

// The share-price trigger against a vault whose accounting a test moves: yield, an exploit that
// takes the backing, a dip held for one call around someone's observation. Observations every
// five minutes, as the keeper makes them when `observationDue` says so, over hours: the real shape.
let w: World;
const MIN = 60n;
const HOUR = 3_600n;
const DAY = 86_400n;
const ONE = 1_000_000n; // 1.000000 assets per share (6 decimals)

useWorld(async (world) => {
  w = world;
  await w.deposit(w.acc.lp, 5_000_000n * USD);
});

async function vaultAt(price: bigint) {
  const { address } = await deploy(w.clients, w.acc.owner, MockShareVault, [6, price]);
  return getContract({ address, abi: MockShareVault.abi, client: { public: w.clients.publicClient, wallet: w.acc.owner } });
}
type Vault = Awaited<ReturnType<typeof vaultAt>>;
const terms = (vault: Vault, o: Partial<SharePriceParams> = {}): SharePriceParams => ({
  vault: vault.address, dropBps: 1_000, durationSeconds: Number(HOUR), maxGapSeconds: Number(10n * MIN), maxGrowthBpsPerYear: 5_000, ...o,
});
const record = async (p: SharePriceParams) => {
  const [peak, pending, peakAt, pendingAt, since, lastBelow, recoveredAt, lastAbove] = await w.core.sharePrice.read.records([sharePriceRecordKey(p)]);
  return { peak, pending, peakAt, pendingAt, since, lastBelow, recoveredAt, lastAbove };
};
/** Observes through the market every `every` seconds for `span` seconds (a keeper's rhythm). */
async function observeFor(productId: bigint, span: bigint, every = 5n * MIN) {
  for (let t = 0n; t < span; t += every) {
    await w.send(w.core.market.write.observe([productId]));
    await w.advance(every);
  }
  await w.send(w.core.market.write.observe([productId]));
}
/** Lists a product and lets its first peak be confirmed (observations a max gap apart, as the keeper makes them). */
async function listed(vault: Vault, o: Partial<SharePriceParams> = {}) {
  const p = terms(vault, o);
  const params: Hex = encodeSharePriceParams(p);
  const { productId } = await w.listProduct(w.core.sharePrice.address, params, { lag: 3600 });
  await w.advance(BigInt(p.maxGapSeconds));
  await w.send(w.core.market.write.observe([productId]));
  return { p, params, productId };
}

describe("share-price drop: an exploit that takes the backing pays", () => {
  it("a 14% fall held for an hour of five-minute observations fires; the incident time is the run's first observation; the policy is paid", async () => {
    const vault = await vaultAt(105n * ONE / 100n);
    const { p, productId } = await listed(vault);
    expect((await record(p)).peak).toBe(1_050_000n); // the price at listing, confirmed a max gap later
    const policy = await w.buy(w.acc.alice, await w.quote(productId));
    await w.advance(2n * HOUR); // cover active

    await w.send(vault.write.setPricePerShare([903_000n])); // −14%: the backing is gone
    await w.send(w.core.market.write.observe([productId]));
    const since = await w.now();
    expect((await record(p)).since).toBe(Number(since));
    // sales stop while the run is on record
    await expectRevert(w.buy(w.acc.bob, await w.quote(productId)), "MarketConditionHolds");
    await expectRevert(w.core.market.write.fire([productId, "0x"]), "MarketTriggerNotTripped");
    await observeFor(productId, HOUR);
    expect(await w.core.sharePrice.read.check([encodeSharePriceParams(p), "0x"])).toEqual([true, since, since]);

    const before = await w.balance(addr(w.acc.alice));
    const incidentId = await w.fireAndConfirm(productId, "0x");
    expect(BigInt((await w.core.market.read.incident([incidentId])).incidentTime)).toBe(since);
    await w.send(w.core.market.write.settle([incidentId, [policy]]));
    expect((await w.balance(addr(w.acc.alice))) - before).toBe(10_000n * USD);
  });

  it("the incident time is the run's first observation whoever fires and however late", async () => {
    const vault = await vaultAt(ONE);
    const { p, params } = await listed(vault);
    await w.advance(HOUR);
    await w.send(vault.write.setPricePerShare([500_000n]));
    await w.send(w.as(w.core.sharePrice, w.acc.attacker).write.observe([params]));
    const since = await w.now();
    for (let i = 0; i < 30; i++) {
      await w.advance(5n * MIN);
      await w.send(w.as(w.core.sharePrice, i % 2 ? w.acc.bob : w.acc.carol).write.observe([params]));
    }
    const [, first] = await w.core.sharePrice.read.check([params, "0x"]);
    await w.advance(5n * MIN);
    await w.send(w.core.sharePrice.write.observe([params]));
    const [, later] = await w.core.sharePrice.read.check([params, "0x"]);
    expect([first, later]).toEqual([since, since]);
    expect((await record(p)).since).toBe(Number(since));
  });
});

describe("share-price drop: near misses and manipulation pay nothing", () => {
  it("a 9% fall (the level is 10%) held for a day never trips", async () => {
    const vault = await vaultAt(ONE);
    const { params, productId } = await listed(vault);
    await w.advance(HOUR);
    await w.send(vault.write.setPricePerShare([910_000n]));
    await observeFor(productId, 4n * HOUR, 15n * MIN);
    expect(await w.core.sharePrice.read.check([params, "0x"])).toEqual([false, 0n, 0n]);
    await expectRevert(w.core.market.write.fire([productId, "0x"]), "MarketTriggerNotTripped");
  });

  it("dips held for one call, every few minutes between honest observations, never prove a drop, not even fired inside a dip", async () => {
    const vault = await vaultAt(ONE);
    const { p, params, productId } = await listed(vault);
    await w.advance(HOUR);
    // the attacker holds the price at 0.5 for the duration of its own observation only
    await w.send(w.as(vault, w.acc.attacker).write.observeAt([500_000n, w.core.sharePrice.address, params]));
    const since = (await record(p)).since;
    expect(since).toBe(Number(await w.now()));
    // again every five minutes, for two hours, with the keeper's honest observations in between
    for (let i = 0; i < 24; i++) {
      await w.advance(2n * MIN);
      await w.send(w.core.market.write.observe([productId]));
      await w.advance(3n * MIN);
      await w.send(w.as(vault, w.acc.attacker).write.observeAt([500_000n, w.core.sharePrice.address, params]));
    }
    // the run stays on record (sales stop) but every honest observation restarted the stretch a proof needs
    expect((await record(p)).since).toBe(since);
    await expectRevert(w.as(vault, w.acc.attacker).write.fireAt([500_000n, w.core.market.address, productId, "0x"]), "MarketTriggerNotTripped");
    // once the attacker stops, the recovery is confirmed and the run ends
    for (let i = 0; i < 3; i++) {
      await w.advance(5n * MIN);
      await w.send(w.core.market.write.observe([productId]));
    }
    expect((await record(p)).since).toBe(0);
    expect(await w.core.sharePrice.read.conditionHolds([params])).toBe(false);
  });

  it("a price inflated for one call opens a peak candidate that honest observations lower before it is confirmed: the peak does not move", async () => {
    const vault = await vaultAt(ONE);
    const { p, params, productId } = await listed(vault);
    // 81 quiet days (a flat vault is not observed), then a push to +11% for one call
    await w.advance(81n * 86_400n);
    await w.send(w.as(vault, w.acc.attacker).write.observeAt([111n * ONE / 100n, w.core.sharePrice.address, params]));
    expect((await record(p)).pending).toBe(111n * ONE / 100n);
    // the keeper observes while a candidate is open, every half gap, and confirms it at the lowest price seen
    for (let i = 0; i < 2; i++) {
      await w.advance(5n * MIN);
      expect(await w.core.sharePrice.read.observationDue([params])).toBe(true);
      await w.send(w.core.market.write.observe([productId]));
    }
    const after = await record(p);
    expect([after.peak, after.pending]).toEqual([ONE, 0n]);
    expect(after.since).toBe(0);
    expect(await w.core.sharePrice.read.conditionHolds([params])).toBe(false);
  });

  it("one push above the level during a real run does not end it (a recovery is confirmed a max gap later), so it still fires from its first observation", async () => {
    const vault = await vaultAt(ONE);
    const { p, params, productId } = await listed(vault);
    await w.advance(HOUR);
    await w.send(vault.write.setPricePerShare([800_000n]));
    await w.send(w.core.market.write.observe([productId]));
    const since = await w.now();
    await w.send(w.core.market.write.flagCondition([productId])); // exits freeze during the visible loss
    await w.advance(5n * MIN);
    // an LP pushes the price back for one call, observes, and tries to unfreeze exits
    await w.send(w.as(vault, w.acc.attacker).write.observeAt([ONE, w.core.sharePrice.address, params]));
    expect((await record(p)).since).toBe(Number(since));
    expect(await w.core.sharePrice.read.conditionHolds([params])).toBe(true);
    await expectRevert(w.as(w.core.market, w.acc.attacker).write.clearCondition([productId]), "MarketConditionStillHolds");
    // the next honest observation is below: the recovery is dropped, the run goes on; the push
    // restarted the stretch a proof needs, so it proves an hour after the push, from the run's first observation
    await observeFor(productId, 55n * MIN);
    expect((await record(p)).recoveredAt).toBe(0);
    expect((await w.core.sharePrice.read.check([params, "0x"]))[0]).toBe(false);
    await observeFor(productId, 10n * MIN);
    expect(await w.core.sharePrice.read.check([params, "0x"])).toEqual([true, since, since]);
  });

  it("a real recovery, seen again a max gap later, ends the run and lets sales and exits resume", async () => {
    const vault = await vaultAt(ONE);
    const { p, params, productId } = await listed(vault);
    await w.advance(HOUR);
    await w.send(vault.write.setPricePerShare([850_000n]));
    await w.send(w.core.market.write.observe([productId]));
    await w.advance(5n * MIN);
    await w.send(vault.write.setPricePerShare([ONE]));
    await w.send(w.core.market.write.observe([productId]));
    expect((await record(p)).since).not.toBe(0); // not yet: one observation of the recovery
    await w.advance(10n * MIN);
    await w.send(w.core.market.write.observe([productId]));
    expect((await record(p)).since).toBe(0);
    expect(await w.core.sharePrice.read.conditionHolds([params])).toBe(false);
  });

  it("the backing all gone (a share worth 0) is the deepest drop, and pays", async () => {
    const vault = await vaultAt(ONE);
    const { params, productId } = await listed(vault);
    const policy = await w.buy(w.acc.alice, await w.quote(productId));
    await w.advance(2n * HOUR);
    await w.send(vault.write.setPricePerShare([0n]));
    await observeFor(productId, HOUR);
    expect((await w.core.sharePrice.read.check([params, "0x"]))[0]).toBe(true);
    const incidentId = await w.fireAndConfirm(productId, "0x");
    const before = await w.balance(addr(w.acc.alice));
    await w.send(w.core.market.write.settle([incidentId, [policy]]));
    expect((await w.balance(addr(w.acc.alice))) - before).toBe(10_000n * USD);
  });

  it("the first peak is the market's: nobody else registers, and a price pushed at the listing is confirmed at the lowest price seen", async () => {
    const vault = await vaultAt(ONE);
    const params = encodeSharePriceParams(terms(vault));
    await expectRevert(w.as(w.core.sharePrice, w.acc.attacker).write.register([params]), "SharePriceRegistrarUnauthorized");
    // the price is +9% at the listing's block (pushed), back to 1.0 right after
    await w.send(vault.write.setPricePerShare([109n * ONE / 100n]));
    const { productId } = await w.listProduct(w.core.sharePrice.address, params, { lag: 3600 });
    await w.send(vault.write.setPricePerShare([ONE]));
    for (let i = 0; i < 3; i++) {
      await w.advance(5n * MIN);
      await w.send(w.core.market.write.observe([productId]));
    }
    const r = await record(terms(vault));
    expect([r.peak, r.pending]).toEqual([ONE, 0n]);
    // a 1.5% dip is nothing, as it should be for a 10% product
    await w.send(vault.write.setPricePerShare([985_000n]));
    await w.send(w.core.market.write.observe([productId]));
    expect((await record(terms(vault))).since).toBe(0);
  });

  it("a vault whose accounting is dear to read: the gas a wallet estimates for an observation records the fall; a starved read reverts instead of counting for nothing", async () => {
    // Before: a read that ran out of gas counted as "unreadable" and the observation returned
    // early, so the cheapest gas at which the transaction succeeds (what eth_estimateGas finds,
    // and what a keeper sends) starved the vault's convertToAssets, and the keeper's observations
    // of a real fall recorded nothing.
    const vault = await vaultAt(ONE);
    await w.send(vault.write.setStrategies([150n])); // ~150 storage reads per convertToAssets
    const { p, productId } = await listed(vault);
    expect((await record(p)).peak).toBe(ONE);
    await w.advance(HOUR);
    await w.send(vault.write.setPricePerShare([850_000n])); // −15%
    const data = encodeFunctionData({ abi: w.core.market.abi, functionName: "observe", args: [productId] });
    const from = addr(w.acc.carol);
    const gas = await w.clients.publicClient.estimateGas({ account: from, to: w.core.market.address, data });
    const starved: string[] = [];
    for (let g = 60_000n; g < gas; g += 20_000n) {
      try {
        await w.clients.publicClient.call({ account: from, to: w.core.market.address, data, gas: g });
        starved.push(`succeeded at ${g}`);
      } catch (err) {
        if (revertName(err) === "SharePriceOutOfGas") starved.push("SharePriceOutOfGas");
      }
    }
    expect(starved.filter((x) => x.startsWith("succeeded"))).toEqual([]);
    expect(starved).toContain("SharePriceOutOfGas");
    await w.send(w.acc.carol.sendTransaction({ account: w.acc.carol.account!, chain: w.acc.carol.chain, to: w.core.market.address, data, gas }));
    expect((await record(p)).since).toBe(Number(await w.now()));
  });

  it("a gap longer than allowed restarts the run at the next observation", async () => {
    const vault = await vaultAt(ONE);
    const { p, params } = await listed(vault);
    await w.advance(HOUR);
    await w.send(vault.write.setPricePerShare([800_000n]));
    await w.send(w.core.sharePrice.write.observe([params]));
    const first = (await record(p)).since;
    await w.advance(11n * MIN); // maxGap is 10 minutes
    expect(await w.core.sharePrice.read.check([params, "0x"])).toEqual([false, 0n, 0n]);
    await w.send(w.core.sharePrice.write.observe([params]));
    const restarted = (await record(p)).since;
    expect(restarted).toBeGreaterThan(first);
    expect(restarted).toBe(Number(await w.now()));
  });

  it("yield raises the peak with observations (a candidate opened once the price is a twentieth of the drop above it, confirmed at the next), so a later fall is measured from it", async () => {
    const vault = await vaultAt(ONE);
    const { p, params, productId } = await listed(vault);
    // 30 days of 0.05%-a-day yield (about 20% a year), observed when due
    let price = ONE;
    for (let day = 0; day < 30; day++) {
      await w.advance(86_400n);
      price = (price * 10_005n) / 10_000n;
      await w.send(vault.write.setPricePerShare([price]));
      if (await w.core.sharePrice.read.observationDue([params])) await w.send(w.core.market.write.observe([productId]));
    }
    const peak = (await record(p)).peak;
    expect(peak).toBeGreaterThan(ONE);
    // behind the price by at most a twentieth of the drop plus the yield of the day it took to confirm
    expect(price - peak).toBeLessThanOrEqual((peak * 1_000n) / 200_000n + (peak * 5n) / 10_000n + 1n);
    // the drop is measured from the raised peak: 9% below it is not one, 11% below it is
    await w.send(vault.write.setPricePerShare([(peak * 91n) / 100n]));
    await w.send(w.core.market.write.observe([productId]));
    expect((await record(p)).since).toBe(0);
    await w.send(vault.write.setPricePerShare([(peak * 89n) / 100n]));
    await w.send(w.core.market.write.observe([productId]));
    expect((await record(p)).since).toBe(Number(await w.now()));
  });
});

describe("share-price drop: a run kept open by pushes above the level", () => {
  it("pushes above the level cannot make a run unprovable, nor take its start from a policy active then", async () => {
    // The oracle-deviation findings of the adversarial reviews, in the share-price kind: a 7-day
    // product, the price pushed above the level for one observation every 3 days (each restarts
    // the stretch a proof needs without ending the run). Before: pushes for 25 days left a tripped
    // run 32 days old and unpayable. The incident time is the run's start unless the first
    // possible proof (latest push + duration + a day) is past the 30-day limit from it.
    const scenario = async (lastPushSlot: number, policyDays: bigint) => {
      const vault = await vaultAt(ONE);
      const { p, params, productId } = await listed(vault, { durationSeconds: Number(7n * DAY), maxGapSeconds: Number(DAY) });
      const policy = await w.buy(w.acc.alice, await w.quote(productId, { duration: policyDays * DAY }));
      await w.advance(2n * HOUR);
      const at = async (price: bigint) => {
        await w.send(vault.write.setPricePerShare([price]));
        await w.send(w.core.market.write.observe([productId]));
      };
      await at(850_000n); // −15%: the run starts
      const first = await w.now();
      let resumed = 0n;
      for (let slot = 1; slot <= lastPushSlot + 7 * 4 + 1; slot++) {
        await w.advance(6n * HOUR);
        await at(slot <= lastPushSlot && slot % 12 === 0 ? 950_000n : 850_000n); // above the level (0.9) once every 3 days
        if (slot === lastPushSlot + 1) resumed = await w.now();
      }
      expect(BigInt((await record(p)).since)).toBe(first); // the run never restarts
      const [tripped, t] = await w.core.sharePrice.read.check([params, "0x"]);
      expect(tripped).toBe(true);
      const before = await w.balance(addr(w.acc.alice));
      const incidentId = await w.fireAndConfirm(productId, "0x");
      expect(BigInt((await w.core.market.read.incident([incidentId])).incidentTime)).toBe(BigInt(t));
      await w.send(w.core.market.write.settle([incidentId, [policy]]));
      return { first, resumed, t: BigInt(t), paid: (await w.balance(addr(w.acc.alice))) - before };
    };
    const inTime = await scenario(60, 15n); // last push on day 15: a proof by day 23 fits the limit
    expect(inTime.t).toBe(inTime.first);
    expect(inTime.paid).toBe(10_000n * USD);
    const late = await scenario(96, 60n); // pushes up to day 24: the first apart observation after the last push
    expect(late.t).toBe(late.resumed);
    expect(late.paid).toBe(10_000n * USD);
  }, 600_000);
});

describe("share-price drop: parameters and listing", () => {
  it("validates parameters and refuses a vault that cannot be read, or one already below a recorded peak", async () => {
    const vault = await vaultAt(ONE);
    const v = (o: Partial<SharePriceParams>) => w.core.sharePrice.read.validateParams([encodeSharePriceParams(terms(vault, o))]);
    await expectRevert(v({ dropBps: 50 }), "SharePriceParamsInvalid");
    await expectRevert(v({ dropBps: 10_000 }), "SharePriceParamsInvalid");
    await expectRevert(v({ durationSeconds: 0 }), "SharePriceParamsInvalid");
    await expectRevert(v({ durationSeconds: Number(15n * DAY), maxGapSeconds: Number(HOUR) }), "SharePriceParamsInvalid"); // no proof inside the 30-day age limit if pushes above restart the stretch
    await expectRevert(v({ maxGapSeconds: 7_200 }), "SharePriceParamsInvalid");
    await expectRevert(v({ maxGrowthBpsPerYear: 100_001 }), "SharePriceParamsInvalid");
    await expectRevert(v({ vault: addr(w.acc.bob) }), "SharePriceVaultUnsupported");
    await expectRevert(v({ vault: w.core.market.address }), "SharePriceVaultUnsupported");
    // a share worth fewer than 10,000 base units is too coarse: rounding alone would be a drop
    await expectRevert(w.core.sharePrice.read.validateParams([encodeSharePriceParams(terms(await vaultAt(9_999n)))]), "SharePriceVaultUnsupported");
    // a product with these parameters recorded the peak at 1.0; the vault has since fallen 20%
    const { productId } = await listed(vault);
    await w.send(vault.write.setPricePerShare([800_000n]));
    await w.send(w.core.market.write.observe([productId]));
    await expectRevert(w.listProduct(w.core.sharePrice.address, encodeSharePriceParams(terms(vault)), {}), "SharePriceAlreadyBelow");
  });
});
