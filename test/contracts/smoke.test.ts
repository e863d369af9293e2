import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeTvlDropParams, encodeTvlDropProof } from "../../workers/chain/triggerParams";
import { createWorld, DAY, USD, type World } from "./helpers/fixture";

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(async () => w?.anvil.stop());

describe("smoke", () => {
  it("sells cover, fires on a TVL drop and pays the holder", async () => {
    const feed = await w.newFeed(8, 1_000_000_000n * 10n ** 8n);
    const { productId } = await w.listProduct(w.core.tvlDrop.address, encodeTvlDropParams({ feed: feed.address, dropBps: 5000, windowSeconds: 86_400, maxAgeSeconds: 86_400 }));
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    const q = await w.quote(productId);
    const policyId = await w.buy(w.acc.alice, q);
    expect(policyId).toBe(1n);
    await w.advance(2n * 3600n);
    await w.send(feed.write.updateAnswer([900_000_000n * 10n ** 8n]));
    await w.advance(600);
    await w.send(feed.write.updateAnswer([300_000_000n * 10n ** 8n]));
    const before = await w.balance(w.acc.alice.account!.address);
    await w.send(w.core.market.write.fire([productId, encodeTvlDropProof(2n, 3n)]));
    await w.send(w.core.market.write.confirmIncident([1n]));
    await w.send(w.core.market.write.settle([1n, [policyId]]));
    expect((await w.balance(w.acc.alice.account!.address)) - before).toBe(10_000n * USD);
    void DAY;
  });
});
