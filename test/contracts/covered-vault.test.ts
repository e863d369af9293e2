import { getAddress, getContract, parseEventLogs, parseSignature, toFunctionSelector, type Address } from "viem";
import { describe, expect, it } from "vitest";
import * as CoveredVault from "../../contracts/out/CoveredVault";
import * as SampleLendingMarket from "../../contracts/out/SampleLendingMarket";
import { deploy } from "../../scripts/lib/deploy";
import { encodeTvlDropParams } from "../../workers/triggers/tvlDrop";
import { expectRevert, useWorld, USD, type World } from "./helpers/fixture";

let w: World;
let productId: bigint;
let lending: Address;
let vault: Address;

useWorld(async (world) => {
  w = world;
  const feed = await w.newFeed(8, 500_000_000n * 10n ** 8n);
  ({ productId } = await w.listProduct(
    w.core.tvlDrop.address,
    encodeTvlDropParams({ feed: feed.address, dropBps: 5000, windowSeconds: 86_400, maxAgeSeconds: 86_400 }),
    { cap: 1_000_000n * USD, lag: 3600 },
  ));
  await w.deposit(w.acc.lp, 1_000_000n * USD);
  const owner = w.acc.owner.account!.address;
  lending = getAddress((await deploy(w.clients, w.acc.owner, SampleLendingMarket, [w.core.asset.address, owner])).address);
  vault = getAddress((await deploy(w.clients, w.acc.owner, CoveredVault, [lending, w.core.market.address, w.core.asset.address, "Covered Lending USD", "cvUSD"])).address);
});

/** Vault shares carry 6 decimals of virtual offset over the asset. */
const SHARE = 10n ** 6n;
const alice = () => w.acc.alice.account!.address;
const bob = () => w.acc.bob.account!.address;
const vaultAs = (wallet = w.acc.alice) => getContract({ address: vault, abi: CoveredVault.abi, client: { public: w.clients.publicClient, wallet } });
/** Mints `amount` to the wallet and approves the vault for it (one approval: deposit plus premium). */
async function fundForVault(wallet = w.acc.alice, amount: bigint) {
  await w.send(w.core.asset.write.mint([wallet.account!.address, amount]));
  await w.send(w.as(w.core.asset, wallet).write.approve([vault, amount]));
}

describe("CoveredVault.depositWithCover", () => {
  it("deposits and covers the depositor in one transaction: vault shares and the policy are theirs, the premium is in the pool", async () => {
    const q = await w.quote(productId, { amount: 5_000n * USD, premium: 40n * USD, buyer: alice() });
    await fundForVault(w.acc.alice, 5_040n * USD);
    const poolBefore = await w.balance(w.core.pool.address);
    const receipt = await w.send(vaultAs().write.depositWithCover([5_000n * USD, alice(), 0n, q, await w.sign(q)]));

    expect(await w.core.market.read.ownerOf([q.quoteId])).toBe(alice());
    expect((await w.core.market.read.policy([q.quoteId])).coverAmount).toBe(5_000n * USD);
    const v = vaultAs();
    expect(await v.read.balanceOf([alice()])).toBe(5_000n * USD * SHARE);
    expect(await v.read.totalAssets()).toBe(5_000n * USD);
    expect(await w.balance(lending)).toBe(5_000n * USD); // supplied on to the lending market
    expect(await w.balance(alice())).toBe(0n);
    expect(await w.balance(vault)).toBe(0n);
    expect((await w.balance(w.core.pool.address)) - poolBefore).toBe(40n * USD);
    const [covered] = parseEventLogs({ abi: CoveredVault.abi, logs: receipt.logs, eventName: "DepositCovered" });
    expect(covered!.args).toEqual({ caller: alice(), receiver: alice(), policyId: q.quoteId, assets: 5_000n * USD, shares: 5_000n * USD * SHARE, coverAmount: 5_000n * USD, premium: 40n * USD });
    // One transaction: everything above came from this receipt.
    const purchased = parseEventLogs({ abi: w.core.market.abi, logs: receipt.logs, eventName: "CoverPurchased" });
    expect(purchased.map((e) => e.args.holder)).toEqual([alice()]);
    expect(purchased[0]!.args.payer).toBe(vault);
  });

  it("a deposit for someone else covers them, paid by the caller", async () => {
    const q = await w.quote(productId, { amount: 1_000n * USD, premium: 10n * USD, buyer: bob() });
    await fundForVault(w.acc.alice, 1_010n * USD);
    await w.send(vaultAs().write.depositWithCover([1_000n * USD, bob(), 0n, q, await w.sign(q)]));
    expect(await w.core.market.read.ownerOf([q.quoteId])).toBe(bob());
    expect(await vaultAs().read.balanceOf([bob()])).toBe(1_000n * USD * SHARE);
  });

  it("the integrator named in the quote is paid its share inside the same transaction", async () => {
    const treasury = w.acc.carol.account!.address;
    await w.send(w.core.market.write.setIntegratorFee([treasury, 1_000]));
    const q = await w.quote(productId, { amount: 2_000n * USD, premium: 20n * USD, buyer: alice(), integrator: treasury, integratorFeeBps: 1_000 });
    await fundForVault(w.acc.alice, 2_020n * USD);
    await w.send(vaultAs().write.depositWithCover([2_000n * USD, alice(), 0n, q, await w.sign(q)]));
    expect(await w.balance(treasury)).toBe(2n * USD);
  });

  it("depositWithCoverPermit needs no prior approval: one EIP-2612 permit for deposit plus premium", async () => {
    const q = await w.quote(productId, { amount: 3_000n * USD, premium: 30n * USD, buyer: alice() });
    await w.send(w.core.asset.write.mint([alice(), 3_030n * USD]));
    const nonce = await w.core.asset.read.nonces([alice()]);
    const deadline = (await w.now()) + 3600n;
    const permit = await w.acc.alice.signTypedData({
      account: w.acc.alice.account!,
      domain: { name: "Local USD", version: "1", chainId: w.chainId, verifyingContract: w.core.asset.address },
      types: { Permit: [
        { name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" },
      ] },
      primaryType: "Permit",
      message: { owner: alice(), spender: vault, value: 3_030n * USD, nonce, deadline },
    });
    const { r, s, v } = parseSignature(permit);
    await w.send(vaultAs().write.depositWithCoverPermit([3_000n * USD, alice(), 0n, q, await w.sign(q), deadline, Number(v), r, s]));
    expect(await w.core.market.read.ownerOf([q.quoteId])).toBe(alice());
    expect(await w.balance(alice())).toBe(0n);
  });

  it("refuses a quote for another beneficiary (CoveredVaultWrongBeneficiary), an open quote, and cover above the deposit", async () => {
    await fundForVault(w.acc.alice, 10_000n * USD);
    const forBob = await w.quote(productId, { amount: 1_000n * USD, buyer: bob() });
    await expectRevert(vaultAs().write.depositWithCover([1_000n * USD, alice(), 0n, forBob, await w.sign(forBob)]), "CoveredVaultWrongBeneficiary", [bob(), alice()]);
    const open = await w.quote(productId, { amount: 1_000n * USD });
    await expectRevert(vaultAs().write.depositWithCover([1_000n * USD, alice(), 0n, open, await w.sign(open)]), "CoveredVaultWrongBeneficiary");
    const big = await w.quote(productId, { amount: 2_000n * USD, buyer: alice() });
    await expectRevert(vaultAs().write.depositWithCover([1_000n * USD, alice(), 0n, big, await w.sign(big)]), "CoveredVaultCoverAboveDeposit", [2_000n * USD, 1_000n * USD]);
    // Nothing moved.
    expect(await vaultAs().read.totalSupply()).toBe(0n);
    expect(await w.balance(alice())).toBe(10_000n * USD);
  });

  it("a reused quote is refused by the market and the whole deposit reverts with it", async () => {
    const q = await w.quote(productId, { amount: 1_000n * USD, premium: 10n * USD, buyer: alice() });
    const sig = await w.sign(q);
    await fundForVault(w.acc.alice, 2_020n * USD);
    await w.send(vaultAs().write.depositWithCover([1_000n * USD, alice(), 0n, q, sig]));
    await expectRevert(vaultAs().write.depositWithCover([1_000n * USD, alice(), 0n, q, sig]), "MarketQuoteAlreadyUsed", [q.quoteId]);
    expect(await vaultAs().read.balanceOf([alice()])).toBe(1_000n * USD * SHARE);
    expect(await w.balance(alice())).toBe(1_010n * USD);
  });

  it("withdrawals come back from the lending market, interest included; the cover stays with the depositor", async () => {
    const q = await w.quote(productId, { amount: 1_000n * USD, premium: 10n * USD, buyer: alice() });
    await fundForVault(w.acc.alice, 1_010n * USD);
    await w.send(vaultAs().write.depositWithCover([1_000n * USD, alice(), 0n, q, await w.sign(q)]));
    await w.send(w.core.asset.write.mint([w.acc.owner.account!.address, 100n * USD]));
    await w.send(w.core.asset.write.approve([lending, 100n * USD]));
    const market = getContract({ address: lending, abi: SampleLendingMarket.abi, client: { public: w.clients.publicClient, wallet: w.acc.owner } });
    await w.send(market.write.accrueInterest([100n * USD]));
    const shares = await vaultAs().read.balanceOf([alice()]);
    await w.send(vaultAs().write.redeem([shares, alice(), alice()]));
    expect(await w.balance(alice())).toBeGreaterThan(1_099n * USD); // 1,000 + the interest, less rounding
    expect(await w.core.market.read.ownerOf([q.quoteId])).toBe(alice());
  });

  it("refuses to be built over a lending market in another asset than the cover market's", async () => {
    const other = (await deploy(w.clients, w.acc.owner, SampleLendingMarket, [w.core.pool.address, w.acc.owner.account!.address])).address;
    // A constructor's revert carries no function to decode against: match the error's selector.
    const selector = toFunctionSelector("CoveredVaultAssetMismatch(address,address)");
    await expect(deploy(w.clients, w.acc.owner, CoveredVault, [other, w.core.market.address, w.core.asset.address, "x", "x"])).rejects.toThrow(selector);
  });

  it("first-deposit inflation: a donation of lending-market shares cannot zero the next deposit, and minShares bounds what it can take", async () => {
    const attacker = w.acc.attacker;
    const lendingAs = (wallet: typeof attacker) => getContract({ address: lending, abi: SampleLendingMarket.abi, client: { public: w.clients.publicClient, wallet } });
    // The attacker takes the first vault share with one base unit, then donates 10k of
    // lending-market shares to the vault.
    await w.send(w.core.asset.write.mint([attacker.account!.address, 10_001n * USD]));
    await w.send(w.as(w.core.asset, attacker).write.approve([vault, 1n]));
    await w.send(vaultAs(attacker).write.deposit([1n, attacker.account!.address]));
    await w.send(w.as(w.core.asset, attacker).write.approve([lending, 10_000n * USD]));
    await w.send(lendingAs(attacker).write.deposit([10_000n * USD, attacker.account!.address]));
    await w.send(lendingAs(attacker).write.transfer([vault, await lendingAs(attacker).read.balanceOf([attacker.account!.address])]));
    // The victim's deposit with cover: before the fix it minted 0 shares and the attacker took it.
    const q = await w.quote(productId, { amount: 1_000n * USD, premium: 10n * USD, buyer: alice() });
    await fundForVault(w.acc.alice, 1_010n * USD);
    const preview = await vaultAs().read.previewDeposit([1_000n * USD]);
    await expectRevert(vaultAs().write.depositWithCover([1_000n * USD, alice(), preview + 1n, q, await w.sign(q)]), "CoveredVaultSharesBelowMinimum", [preview, preview + 1n]);
    await w.send(vaultAs().write.depositWithCover([1_000n * USD, alice(), preview, q, await w.sign(q)]));
    const shares = await vaultAs().read.balanceOf([alice()]);
    expect(shares).toBe(preview);
    // The victim keeps all but a sliver; the donor loses about half the donation to the
    // virtual shares (10,001 in, ~5,000 recoverable).
    expect(await vaultAs().read.previewRedeem([shares])).toBeGreaterThan(999n * USD);
    expect(await vaultAs().read.previewRedeem([await vaultAs().read.balanceOf([attacker.account!.address])])).toBeLessThan(5_001n * USD);
  });
});
