import fc from "fast-check";
import { hashTypedData, parseSignature, serializeSignature, zeroAddress, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { acceptanceTypedData, quoteTypedData, type Quote } from "../../workers/chain/quote";
import { encodePausedParams } from "../../workers/triggers/paused";
import { encodeTvlDropParams } from "../../workers/triggers/tvlDrop";
import { role } from "../../scripts/lib/deploy";
import { useWorld, DAY, expectRevert, USD, type World } from "./helpers/fixture";

let w: World;
let productId: bigint;
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

useWorld(async (world) => {
  w = world;
  const feed = await w.newFeed(8, 500_000_000n * 10n ** 8n);
  ({ productId } = await w.listProduct(
    w.core.tvlDrop.address,
    encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 86_400 }),
    { cap: 200_000n * USD, lag: 3600 },
  ));
  await w.deposit(w.acc.lp, 1_000_000n * USD);
});

const alice = () => w.acc.alice.account!.address;

describe("buyCover", () => {
  it("mints the policy to the buyer, takes the premium into the pool and books the cover", async () => {
    const q = await w.quote(productId, { amount: 50_000n * USD, premium: 400n * USD });
    await w.fund(w.acc.alice, q.premium);
    const poolBefore = await w.balance(w.core.pool.address);
    const sig = await w.sign(q);
    const receipt = await w.send(w.as(w.core.market, w.acc.alice).write.buyCover([q, sig]));
    const now = await w.now();
    expect(await w.core.market.read.ownerOf([q.quoteId])).toBe(alice());
    expect(await w.balance(alice())).toBe(0n);
    expect((await w.balance(w.core.pool.address)) - poolBefore).toBe(400n * USD);
    const policy = await w.core.market.read.policy([q.quoteId]);
    // Terms run on whole hours: the first hour at or after purchase + lag, then 30 days.
    const start = ((now + 3600n + 3599n) / 3600n) * 3600n;
    expect(policy).toEqual({ productId: Number(productId), coverAmount: 50_000n * USD, start: Number(start), end: Number(start + 30n * DAY), generation: 0 });
    expect(await w.core.market.read.productActiveCover([productId])).toBe(50_000n * USD);
    expect(await w.core.pool.read.activeCover()).toBe(50_000n * USD);
    expect(await w.core.market.read.quoteUsed([q.quoteId])).toBe(true);
    const events = await w.core.market.getEvents.CoverPurchased({}, { blockHash: receipt.blockHash });
    expect(events).toHaveLength(1);
    expect(events[0]!.args).toMatchObject({ policyId: q.quoteId, productId, holder: alice(), payer: alice(), coverAmount: 50_000n * USD, premium: 400n * USD });
    expect(await w.core.market.read.counts()).toEqual([1n, 1n, 0n, q.quoteId]);
  });

  it("starts no earlier than purchase + coverage lag, and later when the quote says so; terms on whole hours", async () => {
    const now = await w.now();
    const later = now + 5n * DAY + 17n; // not on the grid
    const id = await w.buy(w.acc.alice, await w.quote(productId, { start: later, duration: 30n * DAY + 61n }));
    const p = await w.core.market.read.policy([id]);
    const startHour = (later + 3599n) / 3600n;
    expect(BigInt(p.start)).toBe(startHour * 3600n); // rounded up, never earlier than asked
    expect(BigInt(p.start) - later).toBeLessThan(3600n);
    expect(BigInt(p.end)).toBe(startHour * 3600n + 30n * DAY + 3600n); // 30 d + 61 s, rounded up
    // A start earlier than purchase + lag is moved to the first hour after it.
    const soon = await w.buy(w.acc.bob, await w.quote(productId, { start: now }));
    const s = BigInt((await w.core.market.read.policy([soon])).start);
    expect(s % 3600n).toBe(0n);
    expect(s).toBeGreaterThanOrEqual((await w.now()) + 3600n);
    expect(s).toBeLessThan((await w.now()) + 7200n);
  });

  it("buyCoverFor mints to the beneficiary and takes the premium from the caller", async () => {
    const q = await w.quote(productId, { buyer: w.acc.carol.account!.address });
    const id = await w.buy(w.acc.bob, q, w.acc.carol.account!.address);
    expect(await w.core.market.read.ownerOf([id])).toBe(w.acc.carol.account!.address);
  });

  it("buyCoverWithPermit takes the premium through an EIP-2612 permit, no prior approval", async () => {
    const q = await w.quote(productId, { premium: 123n * USD });
    const bob = w.acc.bob;
    await w.send(w.core.asset.write.mint([bob.account!.address, q.premium]));
    const nonce = await w.core.asset.read.nonces([bob.account!.address]);
    const deadline = (await w.now()) + 3600n;
    const permitSig = await bob.signTypedData({
      account: bob.account!,
      domain: { name: "Local USD", version: "1", chainId: w.chainId, verifyingContract: w.core.asset.address },
      types: { Permit: [
        { name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" },
      ] },
      primaryType: "Permit",
      message: { owner: bob.account!.address, spender: w.core.market.address, value: q.premium, nonce, deadline },
    });
    const { r, s, v } = parseSignature(permitSig);
    const sig = await w.sign(q);
    await w.send(w.as(w.core.market, bob).write.buyCoverWithPermit([q, sig, bob.account!.address, deadline, Number(v), r, s]));
    expect(await w.core.market.read.ownerOf([q.quoteId])).toBe(bob.account!.address);
    expect(await w.balance(bob.account!.address)).toBe(0n);
  });

  it("buyCoverBySig: a relayer submits, the buyer pays by permit and owns the policy", async () => {
    const { buyer, relayer, q, sig, acceptDeadline, acceptance, permit } = await relayed();
    const relayerBalance = await w.balance(relayer.account!.address);
    const receipt = await w.send(w.as(w.core.market, relayer).write.buyCoverBySig([q, sig, buyer.account!.address, acceptDeadline, acceptance, permit.deadline, permit.v, permit.r, permit.s]));
    expect(await w.core.market.read.ownerOf([q.quoteId])).toBe(buyer.account!.address);
    expect(await w.balance(buyer.account!.address)).toBe(0n);
    expect(await w.balance(relayer.account!.address)).toBe(relayerBalance);
    const [event] = await w.core.market.getEvents.CoverPurchased({}, { blockHash: receipt.blockHash });
    expect(event!.args).toMatchObject({ holder: buyer.account!.address, payer: buyer.account!.address });
  });

  it("buyCoverBySig refuses an expired acceptance and one signed by someone else", async () => {
    const a = await relayed();
    const relay = w.as(w.core.market, a.relayer);
    await expectRevert(
      relay.write.buyCoverBySig([a.q, a.sig, a.buyer.account!.address, (await w.now()) - 1n, a.acceptance, a.permit.deadline, a.permit.v, a.permit.r, a.permit.s]),
      "MarketAcceptanceExpired",
    );
    const forged = await w.acc.attacker.signTypedData({ account: w.acc.attacker.account!, ...acceptanceTypedData({ quoteId: a.q.quoteId, buyer: a.buyer.account!.address, deadline: a.acceptDeadline }, w.chainId, w.core.market.address) });
    await expectRevert(
      relay.write.buyCoverBySig([a.q, a.sig, a.buyer.account!.address, a.acceptDeadline, forged, a.permit.deadline, a.permit.v, a.permit.r, a.permit.s]),
      "MarketAcceptanceInvalid",
      [a.buyer.account!.address],
    );
  });

  it("a transferred policy keeps its cover: the ERC-721 moves with the position", async () => {
    const id = await w.buy(w.acc.alice, await w.quote(productId));
    await w.send(w.as(w.core.market, w.acc.alice).write.transferFrom([alice(), w.acc.bob.account!.address, id]));
    expect(await w.core.market.read.ownerOf([id])).toBe(w.acc.bob.account!.address);
  });
});

/** A buyer with the premium and no approval, their permit and acceptance, and a relayer. */
async function relayed() {
  const buyer = w.acc.carol;
  const relayer = w.acc.keeper;
  const q = await w.quote(productId, { premium: 77n * USD, buyer: buyer.account!.address });
  await w.send(w.core.asset.write.mint([buyer.account!.address, q.premium]));
  const deadline = (await w.now()) + 3600n;
  const nonce = await w.core.asset.read.nonces([buyer.account!.address]);
  const permitSig = await buyer.signTypedData({
    account: buyer.account!,
    domain: { name: "Local USD", version: "1", chainId: w.chainId, verifyingContract: w.core.asset.address },
    types: { Permit: [
      { name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" },
      { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" },
    ] },
    primaryType: "Permit",
    message: { owner: buyer.account!.address, spender: w.core.market.address, value: q.premium, nonce, deadline },
  });
  const { r, s, v } = parseSignature(permitSig);
  const acceptance = await buyer.signTypedData({ account: buyer.account!, ...acceptanceTypedData({ quoteId: q.quoteId, buyer: buyer.account!.address, deadline }, w.chainId, w.core.market.address) });
  return { buyer, relayer, q, sig: await w.sign(q), acceptDeadline: deadline, acceptance, permit: { deadline, v: Number(v), r, s } };
}

describe("buyCover refuses bad quotes with named errors", () => {
  const attempt = async (q: Quote, sig?: Hex, wallet = w.acc.alice) => {
    await w.fund(wallet, q.premium);
    return w.as(w.core.market, wallet).write.buyCover([q, sig ?? (await w.sign(q))]);
  };

  it("MarketQuoteExpired after the deadline", async () => {
    const q = await w.quote(productId);
    const sig = await w.sign(q);
    await w.advance(601);
    await expectRevert(attempt(q, sig), "MarketQuoteExpired", [q.quoteId, q.deadline]);
  });

  it("MarketQuoteAlreadyUsed when a quote id is replayed", async () => {
    const q = await w.quote(productId);
    await w.buy(w.acc.alice, q);
    await expectRevert(attempt(q), "MarketQuoteAlreadyUsed", [q.quoteId]);
  });

  it("MarketQuoteIdOutOfRange for quote id zero or at 2^48", async () => {
    await expectRevert(attempt(await w.quote(productId, { quoteId: 0n })), "MarketQuoteIdOutOfRange");
    await expectRevert(attempt(await w.quote(productId, { quoteId: 2n ** 48n })), "MarketQuoteIdOutOfRange");
  });

  it("MarketQuoteSignerUnauthorized for a quote signed for another chain", async () => {
    const q = await w.quote(productId);
    await expectRevert(attempt(q, await w.sign(q, w.acc.signer, 1)), "MarketQuoteSignerUnauthorized");
  });

  it("MarketQuoteSignerUnauthorized for a quote signed for another contract", async () => {
    const q = await w.quote(productId);
    await expectRevert(attempt(q, await w.sign(q, w.acc.signer, w.chainId, w.core.pool.address)), "MarketQuoteSignerUnauthorized");
  });

  it("MarketQuoteSignerUnauthorized for a tampered quote", async () => {
    const q = await w.quote(productId);
    const sig = await w.sign(q);
    await expectRevert(attempt({ ...q, premium: 1n }, sig), "MarketQuoteSignerUnauthorized");
  });

  it("MarketQuoteSignerUnauthorized once the signer's role is revoked", async () => {
    const q = await w.quote(productId);
    const sig = await w.sign(q);
    await w.send(w.core.market.write.revokeRole([role("QUOTE_SIGNER_ROLE"), w.acc.signer.account!.address]));
    await expectRevert(attempt(q, sig), "MarketQuoteSignerUnauthorized", [w.acc.signer.account!.address]);
  });

  it("MarketQuoteSignatureMalleable for a high-s signature", async () => {
    const q = await w.quote(productId);
    const { r, s, yParity } = parseSignature(await w.sign(q));
    const highS = serializeSignature({ r, s: `0x${(SECP256K1_N - BigInt(s)).toString(16).padStart(64, "0")}`, yParity: yParity === 0 ? 1 : 0 });
    await expectRevert(attempt(q, highS), "MarketQuoteSignatureMalleable");
  });

  it("MarketQuoteSignatureInvalid for a signature of the wrong length", async () => {
    const q = await w.quote(productId);
    await expectRevert(attempt(q, "0x1234"), "MarketQuoteSignatureInvalid");
  });

  it("MarketQuoteWrongBuyer when the quote names someone else", async () => {
    const q = await w.quote(productId, { buyer: w.acc.bob.account!.address });
    await expectRevert(attempt(q), "MarketQuoteWrongBuyer", [w.acc.bob.account!.address, alice()]);
  });

  it("MarketQuoteWrongBuyer when buyCoverFor names another beneficiary than the quote", async () => {
    const q = await w.quote(productId, { buyer: w.acc.carol.account!.address });
    await w.fund(w.acc.bob, q.premium);
    await expectRevert(
      w.as(w.core.market, w.acc.bob).write.buyCoverFor([q, await w.sign(q), w.acc.bob.account!.address]),
      "MarketQuoteWrongBuyer",
    );
  });

  it("MarketQuoteTermsMismatch when priced on other terms", async () => {
    const q = await w.quote(productId, { termsHash: `0x${"11".repeat(32)}` });
    await expectRevert(attempt(q), "MarketQuoteTermsMismatch");
  });

  it("MarketQuoteAmountsInvalid for zero cover, zero premium or premium above cover", async () => {
    await expectRevert(attempt(await w.quote(productId, { amount: 0n })), "MarketQuoteAmountsInvalid");
    await expectRevert(attempt(await w.quote(productId, { premium: 0n })), "MarketQuoteAmountsInvalid");
    await expectRevert(attempt(await w.quote(productId, { amount: 10n, premium: 11n })), "MarketQuoteAmountsInvalid");
    await expectRevert(attempt(await w.quote(productId, { amount: 2n ** 96n })), "MarketQuoteAmountsInvalid");
  });

  it("MarketQuoteDurationOutOfRange below a day or above a year", async () => {
    await expectRevert(attempt(await w.quote(productId, { duration: DAY - 1n })), "MarketQuoteDurationOutOfRange");
    await expectRevert(attempt(await w.quote(productId, { duration: 366n * DAY })), "MarketQuoteDurationOutOfRange");
  });

  it("MarketQuoteStartOutOfRange for a start past purchase + MAX_START_DELAY_SECONDS (no uint40 truncation into the past)", async () => {
    // Before the fix a start of 2^40 + now won the max against purchase + lag and was truncated
    // to `now`: cover active at once, skipping the coverage lag.
    const t = await w.now();
    await expectRevert(attempt(await w.quote(productId, { start: 2n ** 40n + t })), "MarketQuoteStartOutOfRange");
    const delay = await w.core.market.read.MAX_START_DELAY_SECONDS();
    await expectRevert(attempt(await w.quote(productId, { start: t + delay + 100n })), "MarketQuoteStartOutOfRange");
  });

  it("MarketIntegratorFeeInvalid for a fee without integrator or above the cap", async () => {
    await expectRevert(attempt(await w.quote(productId, { integratorFeeBps: 10 })), "MarketIntegratorFeeInvalid");
    await expectRevert(
      attempt(await w.quote(productId, { integrator: w.acc.carol.account!.address, integratorFeeBps: 2001 })),
      "MarketIntegratorFeeInvalid",
    );
  });

  it("MarketIntegratorFeeInvalid for a fee above the integrator's rate set by the owner (none set: zero)", async () => {
    const carol = w.acc.carol.account!.address;
    await expectRevert(attempt(await w.quote(productId, { integrator: carol, integratorFeeBps: 1 })), "MarketIntegratorFeeInvalid", [carol, 1]);
    await w.send(w.core.market.write.setIntegratorFee([carol, 500]));
    await expectRevert(attempt(await w.quote(productId, { integrator: carol, integratorFeeBps: 501 })), "MarketIntegratorFeeInvalid", [carol, 501]);
    // Naming an integrator without a fee is attribution only.
    const id = await w.buy(w.acc.alice, await w.quote(productId, { integrator: carol, integratorFeeBps: 0 }));
    expect(await w.core.market.read.ownerOf([id])).toBe(alice());
  });

  it("MarketProductNotActive for an unknown product", async () => {
    await expectRevert(attempt({ ...(await w.quote(productId)), productId: 99n }), "MarketProductNotActive");
  });

  it("MarketProductSalesPaused while the product's sales are paused", async () => {
    await w.send(w.core.market.write.setProductSalesPaused([productId, true]));
    await expectRevert(attempt(await w.quote(productId)), "MarketProductSalesPaused", [productId]);
  });

  it("MarketNewCoverPaused while new cover is paused market-wide", async () => {
    await w.send(w.core.market.write.setPauseFlags([1]));
    await expectRevert(attempt(await w.quote(productId)), "MarketNewCoverPaused");
  });

  it("MarketProductCapacityExceeded past the product cap", async () => {
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 150_000n * USD }));
    await expectRevert(attempt(await w.quote(productId, { amount: 60_000n * USD })), "MarketProductCapacityExceeded", [
      productId, 60_000n * USD, 50_000n * USD,
    ]);
  });

  it("PoolCapacityExceeded past assets × leverage", async () => {
    await w.send(w.core.market.write.setProductCap([productId, 5_000_000n * USD]));
    await w.buy(w.acc.alice, await w.quote(productId, { amount: 900_000n * USD, premium: 1_000n * USD }));
    await expectRevert(attempt(await w.quote(productId, { amount: 200_000n * USD })), "PoolCapacityExceeded");
  });

  it("MarketConditionHolds while a paused-kind product's protocol is paused", async () => {
    const protocol = await w.newPausable();
    const { productId: pid } = await w.listProduct(w.core.paused.address, encodePausedParams({ target: protocol.address, durationSeconds: 3600, maxGapSeconds: 3600 }));
    await w.send(protocol.write.pause());
    await expectRevert(attempt(await w.quote(pid)), "MarketConditionHolds", [pid]);
  });
});

describe("integrator fee", () => {
  it("pays the integrator its share of the premium at purchase; the pool books the rest", async () => {
    const carol = w.acc.carol.account!.address;
    await w.send(w.core.market.write.setIntegratorFee([carol, 1_500]));
    expect(await w.core.market.read.integratorFeeBps([carol])).toBe(1_500);
    const q = await w.quote(productId, { amount: 20_000n * USD, premium: 333n * USD, integrator: carol, integratorFeeBps: 1_500 });
    await w.fund(w.acc.alice, q.premium);
    const poolBefore = await w.balance(w.core.pool.address);
    const receipt = await w.send(w.as(w.core.market, w.acc.alice).write.buyCover([q, await w.sign(q)]));
    const fee = (333n * USD * 1_500n) / 10_000n; // 49.95 USD
    expect(await w.balance(carol)).toBe(fee);
    expect((await w.balance(w.core.pool.address)) - poolBefore).toBe(333n * USD - fee);
    expect(await w.balance(alice())).toBe(0n);
    const paid = await w.core.market.getEvents.IntegratorFeePaid({}, { blockHash: receipt.blockHash });
    expect(paid.map((e) => e.args)).toEqual([{ policyId: q.quoteId, integrator: carol, amount: fee }]);
    const bought = await w.core.market.getEvents.CoverPurchased({}, { blockHash: receipt.blockHash });
    expect(bought[0]!.args).toMatchObject({ premium: 333n * USD, integrator: carol });
  });

  it("a quote may carry less than the integrator's rate, never more; the owner's rate is capped at 20%", async () => {
    const carol = w.acc.carol.account!.address;
    await w.send(w.core.market.write.setIntegratorFee([carol, 2_000]));
    const q = await w.quote(productId, { premium: 100n * USD, integrator: carol, integratorFeeBps: 250 });
    await w.buy(w.acc.alice, q);
    expect(await w.balance(carol)).toBe(2_500_000n);
    await expectRevert(w.core.market.write.setIntegratorFee([carol, 2_001]), "MarketIntegratorFeeInvalid", [carol, 2_001]);
    await expectRevert(w.core.market.write.setIntegratorFee([zeroAddress, 100]), "MarketIntegratorFeeInvalid", [zeroAddress, 100]);
    await expectRevert(w.as(w.core.market, w.acc.alice).write.setIntegratorFee([carol, 100]), "AccessControlUnauthorizedAccount");
    // Lowered after quoting: a quote above the new rate is refused.
    await w.send(w.core.market.write.setIntegratorFee([carol, 100]));
    await expectRevert(w.buy(w.acc.alice, await w.quote(productId, { integrator: carol, integratorFeeBps: 250 })), "MarketIntegratorFeeInvalid", [carol, 250]);
  });
});

describe("EIP-712", () => {
  it("viem's hashTypedData equals the contract's quoteDigest for random quotes", async () => {
    const addr = fc.constantFrom(zeroAddress, alice(), w.acc.bob.account!.address);
    const u = (bits: number) => fc.bigInt({ min: 0n, max: 2n ** BigInt(bits) - 1n });
    const quote = fc.record({
      productId: u(256), amount: u(256), premium: u(256), start: u(64), duration: u(64), buyer: addr, deadline: u(64),
      quoteId: u(256), termsHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex),
      integrator: addr, integratorFeeBps: fc.integer({ min: 0, max: 65_535 }),
    });
    await fc.assert(
      fc.asyncProperty(quote, async (q) => {
        const local = hashTypedData(quoteTypedData(q, w.chainId, w.core.market.address));
        expect(await w.core.market.read.quoteDigest([q])).toBe(local);
      }),
      { seed: 20261124, numRuns: 40 },
    );
  });
});
