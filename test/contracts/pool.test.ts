import { describe, expect, it } from "vitest";
import { encodeTvlDropParams } from "../../workers/triggers/tvlDrop";
import { useWorld, DAY, expectRevert, USD, type World } from "./helpers/fixture";

let w: World;
let productId: bigint;
const COOLDOWN = 7n * DAY;

useWorld(async (world) => {
  w = world;
  const feed = await w.newFeed(8, 500_000_000n * 10n ** 8n);
  ({ productId } = await w.listProduct(
    w.core.tvlDrop.address,
    encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 400 * 86_400 }),
    { cap: 10_000_000n * USD },
  ));
}, { cooldownSeconds: Number(COOLDOWN) });

const addr = (x: { account?: { address: `0x${string}` } }) => x.account!.address;

describe("deposits and shares", () => {
  it("mints shares with a 6-decimal offset and rounds previews in the pool's favour", async () => {
    await w.deposit(w.acc.lp, 1_000n * USD);
    expect(await w.core.pool.read.balanceOf([addr(w.acc.lp)])).toBe(1_000n * USD * 10n ** 6n);
    expect(await w.core.pool.read.decimals()).toBe(12);
    expect(await w.core.pool.read.totalAssets()).toBe(1_000n * USD);
    // Make the share price non-trivial, then check ERC-4626 rounding directions.
    await w.send(w.core.asset.write.mint([w.core.pool.address, 333_333n]));
    const shares = await w.core.pool.read.previewDeposit([1_000_001n]);
    const assetsForShares = await w.core.pool.read.previewMint([shares]);
    expect(assetsForShares).toBeLessThanOrEqual(1_000_001n); // deposit rounds shares down
    expect(await w.core.pool.read.previewRedeem([shares])).toBeLessThanOrEqual(1_000_001n); // redeem rounds assets down
    expect(await w.core.pool.read.previewWithdraw([1_000_001n])).toBeGreaterThanOrEqual(shares); // withdraw rounds shares up
  });

  it("mint takes the assets its preview says, rounded up", async () => {
    await w.deposit(w.acc.lp, 1_000n * USD);
    await w.send(w.core.asset.write.mint([w.core.pool.address, 7n]));
    await w.fund(w.acc.lp2, 10n * USD);
    const shares = 3_333_333_333n;
    const assets = await w.core.pool.read.previewMint([shares]);
    const before = await w.balance(addr(w.acc.lp2));
    await w.send(w.as(w.core.pool, w.acc.lp2).write.mint([shares, addr(w.acc.lp2)]));
    expect(before - (await w.balance(addr(w.acc.lp2)))).toBe(assets);
    expect(await w.core.pool.read.balanceOf([addr(w.acc.lp2)])).toBe(shares);
  });

  it("a donation (inflation) attack costs the attacker more than it takes from the next depositor", async () => {
    const attacker = w.acc.attacker;
    await w.deposit(attacker, 1n); // 1 base unit
    await w.send(w.core.asset.write.mint([addr(attacker), 10_000n * USD]));
    await w.send(w.as(w.core.asset, attacker).write.transfer([w.core.pool.address, 10_000n * USD]));
    await w.deposit(w.acc.alice, 10_000n * USD);
    const aliceAssets = await w.core.pool.read.previewRedeem([await w.core.pool.read.balanceOf([addr(w.acc.alice)])]);
    const attackerAssets = await w.core.pool.read.previewRedeem([await w.core.pool.read.balanceOf([addr(attacker)])]);
    // The victim keeps all but a sliver; the attacker cannot recover what they donated.
    expect(aliceAssets).toBeGreaterThan(10_000n * USD - 2n * USD / 100n);
    expect(attackerAssets).toBeLessThan(10_000n * USD);
  });
});

describe("premium income is earned over the term", () => {
  it("an LP who deposits just before a large premium gains only the slice earned while they held (not while queued)", async () => {
    await w.deposit(w.acc.lp, 1_000_000n * USD);
    await w.deposit(w.acc.lp2, 1_000_000n * USD);
    const lp2Shares = await w.core.pool.read.balanceOf([addr(w.acc.lp2)]);
    const totalBefore = await w.core.pool.read.totalAssets();
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 1_000_000n * USD, premium: 36_500n * USD, duration: 365n * DAY }));
    // Right after the purchase the premium is unearned: share price unchanged.
    expect(await w.core.pool.read.totalAssets()).toBeLessThanOrEqual(totalBefore + 1n);
    expect(await w.core.pool.read.unearnedPremium()).toBeGreaterThan(36_499n * USD);
    // Held 7 days, then queued: the request is valued when made and earns nothing after.
    await w.advance(COOLDOWN);
    await w.send(w.as(w.core.pool, w.acc.lp2).write.requestRedeem([lp2Shares]));
    await w.advance(COOLDOWN);
    const [requestId] = [await w.core.pool.read.lastRequestId()];
    const before = await w.balance(addr(w.acc.lp2));
    await w.send(w.as(w.core.pool, w.acc.lp2).write.completeRedeem([requestId, lp2Shares, addr(w.acc.lp2)]));
    const gained = (await w.balance(addr(w.acc.lp2))) - before - 1_000_000n * USD;
    // Half the pool for 7 days of a year-long premium (earned until the end of the policy's last
    // day, slightly more than 365 days): ≈ 36,500 × 7/366 / 2 ≈ 349, never the whole 18,250.
    expect(gained).toBeGreaterThan(340n * USD);
    expect(gained).toBeLessThan(352n * USD);
  });

  it("the whole premium is earned once the policy's last day has ended", async () => {
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 10_000n * USD, premium: 500n * USD, duration: 10n * DAY }));
    await w.advance(12n * DAY);
    expect(await w.core.pool.read.unearnedPremium()).toBe(0n);
    expect(await w.core.pool.read.totalAssets()).toBe(100_500n * USD);
    expect(await w.core.pool.read.activeCover()).toBe(0n);
  });
});

describe("withdrawal queue", () => {
  it("request → cooldown → complete burns the escrowed shares for assets", async () => {
    await w.deposit(w.acc.lp, 1_000n * USD);
    const shares = await w.core.pool.read.balanceOf([addr(w.acc.lp)]);
    const pool = w.as(w.core.pool, w.acc.lp);
    await w.send(pool.write.requestRedeem([shares]));
    expect(await w.core.pool.read.balanceOf([w.core.pool.address])).toBe(shares);
    await expectRevert(pool.write.completeRedeem([1n, shares, addr(w.acc.lp)]), "PoolWithdrawalCoolingDown");
    await w.advance(COOLDOWN);
    await expectRevert(pool.write.completeRedeem([1n, shares + 1n, addr(w.acc.lp)]), "PoolWithdrawalExceedsRequest");
    await w.send(pool.write.completeRedeem([1n, shares / 2n, addr(w.acc.lp)]));
    await w.send(pool.write.completeRedeem([1n, shares - shares / 2n, addr(w.acc.lp)]));
    expect(await w.balance(addr(w.acc.lp))).toBe(1_000n * USD);
    expect(await w.core.pool.read.totalSupply()).toBe(0n);
    expect((await w.core.pool.read.withdrawalRequest([1n])).shares).toBe(0n);
  });

  it("cancel returns the shares; others cannot touch a request", async () => {
    await w.deposit(w.acc.lp, 1_000n * USD);
    const shares = await w.core.pool.read.balanceOf([addr(w.acc.lp)]);
    await w.send(w.as(w.core.pool, w.acc.lp).write.requestRedeem([shares]));
    await expectRevert(w.as(w.core.pool, w.acc.bob).write.cancelRedeem([1n]), "PoolWithdrawalNotOwner");
    await w.send(w.as(w.core.pool, w.acc.lp).write.cancelRedeem([1n]));
    expect(await w.core.pool.read.balanceOf([addr(w.acc.lp)])).toBe(shares);
    await expectRevert(w.as(w.core.pool, w.acc.lp).write.requestRedeem([0n]), "PoolZeroAmount");
  });

  it("ERC-4626 withdraw and redeem are closed: maxWithdraw is zero and both revert", async () => {
    await w.deposit(w.acc.lp, 1_000n * USD);
    expect(await w.core.pool.read.maxWithdraw([addr(w.acc.lp)])).toBe(0n);
    await expectRevert(w.as(w.core.pool, w.acc.lp).write.withdraw([1n, addr(w.acc.lp), addr(w.acc.lp)]), "ERC4626ExceededMaxWithdraw");
    await expectRevert(w.as(w.core.pool, w.acc.lp).write.redeem([1n, addr(w.acc.lp), addr(w.acc.lp)]), "ERC4626ExceededMaxRedeem");
  });

  it("a withdrawal can never take capital that backs active cover", async () => {
    await w.deposit(w.acc.lp, 100_000n * USD);
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 80_000n * USD, premium: 800n * USD }));
    const shares = await w.core.pool.read.balanceOf([addr(w.acc.lp)]);
    await w.send(w.as(w.core.pool, w.acc.lp).write.requestRedeem([shares]));
    await w.advance(COOLDOWN);
    const free = await w.core.pool.read.freeCapital();
    expect(free).toBeLessThanOrEqual(20_000n * USD + 800n * USD);
    await expectRevert(w.as(w.core.pool, w.acc.lp).write.completeRedeem([1n, shares, addr(w.acc.lp)]), "PoolWithdrawalExceedsFreeCapital");
    const part = await w.core.pool.read.previewWithdraw([free]);
    await w.send(w.as(w.core.pool, w.acc.lp).write.completeRedeem([1n, part - 1n, addr(w.acc.lp)]));
    expect(await w.core.pool.read.totalAssets()).toBeGreaterThanOrEqual(80_000n * USD);
  });
});

describe("owner and market guards", () => {
  it("refuses leverage below 1× or above 10× and cooldowns over 90 days", async () => {
    await expectRevert(w.core.pool.write.setRiskParams([9_999, 0]), "PoolRiskParamsInvalid");
    await expectRevert(w.core.pool.write.setRiskParams([100_001, 0]), "PoolRiskParamsInvalid");
    await expectRevert(w.core.pool.write.setRiskParams([10_000, 91 * 86_400]), "PoolRiskParamsInvalid");
    await w.send(w.core.pool.write.setRiskParams([20_000, 3_600]));
    expect(await w.core.pool.read.leverageBps()).toBe(20_000);
  });

  it("leverage scales capacity", async () => {
    await w.deposit(w.acc.lp, 100_000n * USD);
    expect(await w.core.pool.read.capacityLeft()).toBe(100_000n * USD);
    expect(await w.core.pool.read.capacity()).toBe(100_000n * USD);
    await w.send(w.core.pool.write.setRiskParams([30_000, 3_600]));
    expect(await w.core.pool.read.capacityLeft()).toBe(300_000n * USD);
    expect(await w.core.pool.read.capacity()).toBe(300_000n * USD);
  });

  it("only the market books cover or liabilities; the market is set once; owner-only settings", async () => {
    await expectRevert(w.core.pool.write.recordCover([1n, 1n, 2n ** 40n]), "PoolOnlyMarket");
    await expectRevert(w.core.pool.write.addPendingLiability([1n]), "PoolOnlyMarket");
    await expectRevert(w.core.pool.write.removePendingLiability([1n]), "PoolOnlyMarket");
    await expectRevert(w.core.pool.write.reserveForIncident([1n]), "PoolOnlyMarket");
    await expectRevert(w.core.pool.write.setMarket([addr(w.acc.bob)]), "PoolMarketAlreadySet");
    await expectRevert(w.as(w.core.pool, w.acc.bob).write.setRiskParams([10_000, 0]), "OwnableUnauthorizedAccount");
  });
});
