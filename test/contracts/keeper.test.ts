import { decodeAbiParameters, encodeAbiParameters, encodeFunctionData, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { encodePausedParams } from "../../workers/triggers/paused";
import { encodeTvlDropParams } from "../../workers/triggers/tvlDrop";
import { addr, expectRevert, USD, useWorld, type World } from "./helpers/fixture";

let w: World;
const E8 = 10n ** 8n;
const Action = { Observe: 0, Fire: 1, Confirm: 2, Settle: 3, Advance: 4, Release: 5 } as const;

useWorld(async (world) => {
  w = world;
});


async function check(): Promise<{ needed: boolean; action?: number; target?: bigint; data: Hex }> {
  const [needed, performData] = await w.core.keeper.read.checkUpkeep(["0x"]);
  if (!needed) return { needed, data: performData };
  const [action, target] = decodeAbiParameters([{ type: "uint8" }, { type: "uint256" }, { type: "bytes" }], performData);
  return { needed, action, target, data: performData };
}

async function perform(performData: Hex) {
  return w.send(w.as(w.core.keeper, w.acc.keeper).write.performUpkeep([performData]));
}

describe("TripwireKeeper (Chainlink Automation)", () => {
  it("finds and performs fire, confirm and settle for a TVL crash until the holder is paid", async () => {
    const feed = await w.newFeed(8, 100n * E8);
    const { productId } = await w.listProduct(
      w.core.tvlDrop.address,
      encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 86_400 }),
    );
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId));
    await w.buy(w.acc.bob, await w.quote(productId, { amount: 2_000n * USD }));
    expect((await check()).needed).toBe(false);
    await w.advance(7200); // past the start: lag, rounded up to the hour
    await w.send(feed.write.updateAnswer([100n * E8]));
    await w.advance(60);
    await w.send(feed.write.updateAnswer([50n * E8]));

    const fire = await check();
    expect(fire).toMatchObject({ needed: true, action: Action.Fire, target: productId });
    await perform(fire.data);
    const confirm = await check();
    expect(confirm).toMatchObject({ needed: true, action: Action.Confirm, target: 1n });
    await perform(confirm.data);
    const settle = await check();
    expect(settle).toMatchObject({ needed: true, action: Action.Settle, target: 1n });
    const receipt = await perform(settle.data);
    const [performed] = await w.core.keeper.getEvents.UpkeepPerformed({}, { blockHash: receipt.blockHash });
    expect(performed!.args).toMatchObject({ action: Action.Settle, target: 1n, count: 2n });
    expect(await w.balance(addr(w.acc.alice))).toBe(10_000n * USD);
    expect(await w.balance(addr(w.acc.bob))).toBe(2_000n * USD);
    // Paid, but the ended generation's 12k still counts against the pool's capacity until it is
    // released (before: no upkeep ever released it; the cursor moved on and the capital stayed
    // held until the policies' own ends). The keeper releases it, then moves on.
    expect(await w.core.pool.read.activeCover()).toBe(12_000n * USD);
    const release = await check();
    expect(release).toMatchObject({ needed: true, action: Action.Release, target: 1n });
    const released = await perform(release.data);
    const [ended] = await w.core.market.getEvents.EndedCoverReleased({}, { blockHash: released.blockHash });
    expect(ended!.args).toMatchObject({ productId, generation: 0n, released: 12_000n * USD, done: true });
    expect(await w.core.pool.read.activeCover()).toBe(0n);
    expect(await w.core.keeper.read.released([1n])).toBe(true);
    await expectRevert(w.as(w.core.keeper, w.acc.keeper).write.performUpkeep([release.data]), "KeeperWorkStale");
    // The incident is finished: one upkeep moves the incident cursor past it, then nothing is left.
    const advance = await check();
    expect(advance).toMatchObject({ needed: true, action: Action.Advance, target: 2n });
    await perform(advance.data);
    expect(await w.core.keeper.read.incidentCursor()).toBe(2n);
    expect((await check()).needed).toBe(false);
    // A replayed settle batch is stale work: nothing is paid twice.
    await expectRevert(w.as(w.core.keeper, w.acc.keeper).write.performUpkeep([settle.data]), "KeeperWorkStale");
  });

  it("observes a pause, then fires it after the duration", async () => {
    const protocol = await w.newPausable();
    const { productId } = await w.listProduct(w.core.paused.address, encodePausedParams({ target: protocol.address, durationSeconds: 600, maxGapSeconds: 600 }));
    await w.advance(60);
    await w.send(protocol.write.pause());
    const observe = await check();
    expect(observe).toMatchObject({ needed: true, action: Action.Observe, target: productId });
    await perform(observe.data);
    await expectRevert(w.as(w.core.keeper, w.acc.keeper).write.performUpkeep([observe.data]), "KeeperWorkStale");
    expect((await check()).needed).toBe(false);
    // While paused, an observation falls due every half max gap, keeping the pause continuous.
    await w.advance(300);
    const again = await check();
    expect(again).toMatchObject({ needed: true, action: Action.Observe, target: productId });
    await perform(again.data);
    await w.advance(300);
    await perform((await check()).data); // observe once more, then the duration has passed
    expect(await check()).toMatchObject({ needed: true, action: Action.Fire, target: productId });
  });

  it("checkUpkeep is simulation-only and performUpkeep can be limited to the forwarder", async () => {
    // As a real transaction (tx.origin is not the zero address) checkUpkeep refuses to run.
    const data = encodeFunctionData({ abi: w.core.keeper.abi, functionName: "checkUpkeep", args: ["0x"] });
    await expectRevert(w.acc.keeper.sendTransaction({ account: w.acc.keeper.account!, chain: w.acc.keeper.chain, to: w.core.keeper.address, data }), "OnlySimulatedBackend");
    await w.send(w.core.keeper.write.setForwarder([addr(w.acc.carol)]));
    await expectRevert(w.as(w.core.keeper, w.acc.keeper).write.performUpkeep(["0x"]), "KeeperOnlyForwarder");
    // The forwarder itself gets through to the market, which re-validates (nothing to confirm).
    const confirm = encodeAbiParameters([{ type: "uint8" }, { type: "uint256" }, { type: "bytes" }], [Action.Confirm, 1n, "0x"]);
    await expectRevert(w.as(w.core.keeper, w.acc.carol).write.performUpkeep([confirm]), "MarketIncidentTransitionInvalid");
    await expectRevert(w.as(w.core.keeper, w.acc.bob).write.setForwarder([addr(w.acc.bob)]), "OwnableUnauthorizedAccount");
  });

  it("finishes every confirmed incident: after a reopen, a second incident of the product, and policy ids far above any fixed scan", async () => {
    // Before: settlement was looked for only while the product was not Active, through
    // openIncidentOf (overwritten by the next incident), over policy ids 1–2000 — so after the
    // reopen below the keeper never paid, and ids 5,000 and 9,000 were never found.
    const feed = await w.newFeed(8, 100n * E8);
    const { productId } = await w.listProduct(
      w.core.tvlDrop.address,
      encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 86_400 }),
    );
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId, { quoteId: 5_000n, amount: 1_000n * USD }));
    await w.buy(w.acc.bob, await w.quote(productId, { quoteId: 7n, amount: 2_000n * USD }));
    const run = async () => {
      for (let i = 0; i < 100; i++) {
        const c = await check();
        if (!c.needed) return i;
        await perform(c.data);
      }
      throw new Error("keeper never ran out of work");
    };
    const crash = async () => {
      await w.advance(7200); // past the start: lag, rounded up to the hour
      await w.send(feed.write.updateAnswer([100n * E8]));
      await w.advance(60);
      await w.send(feed.write.updateAnswer([50n * E8]));
    };
    await crash();
    await run();
    expect(await w.balance(addr(w.acc.alice))).toBe(1_000n * USD);
    expect(await w.balance(addr(w.acc.bob))).toBe(2_000n * USD);
    // The curator reopens the product; new cover is sold and the product trips again.
    await w.send(w.core.market.write.reopenProduct([productId]));
    await w.send(feed.write.updateAnswer([100n * E8]));
    await w.buy(w.acc.carol, await w.quote(productId, { quoteId: 9_000n, amount: 3_000n * USD }));
    await crash();
    await run();
    expect(await w.balance(addr(w.acc.carol))).toBe(3_000n * USD);
    const [, , incidents] = await w.core.market.read.counts();
    expect(incidents).toBe(2n);
    expect(await w.core.keeper.read.incidentCursor()).toBe(3n);
  }, 120_000);

  it("a fall nobody fired within the 30-day age limit does not block Automation for every later product", async () => {
    // Before: checkUpkeep offered the stale fire (it reverts MarketIncidentTooOld) on every call,
    // and products listed after it never got an upkeep: the model suite found it.
    const tvl = (feed: Awaited<ReturnType<World["newFeed"]>>) =>
      encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 2 * 86_400 });
    const stale = await w.newFeed(8, 100n * E8);
    const a = await w.listProduct(w.core.tvlDrop.address, tvl(stale));
    const fresh = await w.newFeed(8, 100n * E8);
    const b = await w.listProduct(w.core.tvlDrop.address, tvl(fresh));
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(b.productId));
    await w.advance(7200);
    await w.send(stale.write.updateAnswer([100n * E8]));
    await w.advance(60);
    await w.send(stale.write.updateAnswer([50n * E8])); // product a trips; nobody fires it
    for (let day = 0; day < 31; day++) {
      await w.advance(86_400);
      await w.send(stale.write.updateAnswer([50n * E8])); // daily heartbeats at the low level
      await w.send(fresh.write.updateAnswer([100n * E8]));
    }
    await expectRevert(w.core.market.write.fire([a.productId, (await w.core.tvlDrop.read.findProof([tvl(stale), 0n]))[1]]), "MarketIncidentTooOld");
    expect((await check()).needed).toBe(false); // nothing the market would accept
    await w.send(fresh.write.updateAnswer([40n * E8]));
    const fire = await check();
    expect(fire).toMatchObject({ needed: true, action: Action.Fire, target: b.productId });
    await perform(fire.data);
    expect((await w.core.market.read.product([b.productId])).status).toBe(2);
  }, 120_000);

  it("a product whose trigger reverts (its target burns all the gas) is skipped: Automation still observes the products after it", async () => {
    // Before (adversarial review): checkUpkeep called observationDue without a try, so product
    // A's unreadable target made every checkUpkeep revert and product B's real pause was never observed.
    const protocolA = await w.newPausable();
    await w.listProduct(w.core.paused.address, encodePausedParams({ target: protocolA.address, durationSeconds: 3600, maxGapSeconds: 600 }));
    const protocolB = await w.newPausable();
    const { productId: b } = await w.listProduct(w.core.paused.address, encodePausedParams({ target: protocolB.address, durationSeconds: 3600, maxGapSeconds: 600 }));
    await w.send(protocolA.write.setModules([200_000n])); // paused() can no longer finish in any gas
    await w.send(protocolB.write.pause());
    const observe = await check();
    expect(observe).toMatchObject({ needed: true, action: Action.Observe, target: b });
    await perform(observe.data);
    const key = await w.core.paused.read.observationKey([protocolB.address, 600]);
    expect(BigInt((await w.core.paused.read.observations([key]))[0])).toBe(await w.now());
  }, 120_000);

  it("a settlement window that would skip a payable policy is refused when anyone may perform", async () => {
    const feed = await w.newFeed(8, 100n * E8);
    const { productId } = await w.listProduct(
      w.core.tvlDrop.address,
      encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 86_400 }),
    );
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId, { quoteId: 3n }));
    await w.advance(7200); // past the start: lag, rounded up to the hour
    await w.send(feed.write.updateAnswer([100n * E8]));
    await w.advance(60);
    await w.send(feed.write.updateAnswer([50n * E8]));
    for (;;) {
      const c = await check();
      if (c.action === Action.Settle) break;
      await perform(c.data);
    }
    const skip = encodeAbiParameters(
      [{ type: "uint8" }, { type: "uint256" }, { type: "bytes" }],
      [Action.Settle, 1n, encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }, { type: "uint256[]" }], [1n, 3n, []])],
    );
    await expectRevert(w.as(w.core.keeper, w.acc.keeper).write.performUpkeep([skip]), "KeeperWorkStale");
  });
});
