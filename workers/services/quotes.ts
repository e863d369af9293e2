import type { z } from "@hono/zod-openapi";
import { encodeFunctionData, getAddress, zeroAddress, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { readPoolState } from "../chain/actions/readPoolState";
import { readProductState } from "../chain/actions/readProductState";
import { productForQuote } from "../../db/queries/quoting";
import { riskCatalog } from "../../db/queries/products";
import { readBook } from "../chain/actions/readBook";
import { groupsOf, roomOf, stressFor } from "../pricing/stress";
import { catalogProductIds, stressOf } from "./stress";
import type { Allocation, Hold } from "../objects/quoteSequencer";
import { salesRefusal } from "../pricing/salesMargin";
import type { quotes } from "../../db/schema";
import { onChain } from "../chain/client";
import { deploymentOf } from "../chain/deployment";
import { daysToSeconds, quoteMessage, quoteTypedData, quoteTypes, type Quote } from "../chain/quote";
import { notFound, PROBLEM_BASE, problem } from "../errors";
import { PROBLEMS, type ProblemSlug } from "../problems";
import { quotePremium } from "../pricing/premium";
import type { BatchQuoteRequest, BatchQuoteResponse, QuoteRequest, QuoteResponse } from "../schemas/quote";
import { productFrequency, riskInputsOf } from "./protocols";

const BPS = 10_000n;

export type QuoteDeps = {
  db: D1Database;
  client: PublicClient;
  chainId: number;
  signerKey: string | undefined;
  /**
   * Next quote id, never at or below `floor` (the market's highest policy id), holding the quote's
   * cover against the room of each of its stress scenarios until it expires (QuoteSequencer).
   */
  allocateQuote: (floor: number, hold: Hold) => Promise<Allocation>;
  ttlSeconds: number;
  minimumPremium: bigint;
  now: number;
};

/** Why a quote cannot be priced: a problem type of the catalogue and this case's detail. */
type Refusal = { slug: ProblemSlug; detail: string; extra?: Record<string, unknown> };

/** Everything one product's prices depend on: read once, priced for one or many (amount, duration) pairs. */
export type QuoteContext = Awaited<ReturnType<typeof loadQuoteContext>>;

/**
 * Reads what a quote needs: one D1 query (product, protocol, the keeper's latest reading), the
 * deployment (cached per isolate), one JSON-RPC batch (product, pool, counts, the integrator's rate).
 */
export async function loadQuoteContext(deps: QuoteDeps, productId: number, integrator: Address | null) {
  const [row, catalog] = await Promise.all([productForQuote(deps.db, productId), riskCatalog(deps.db)]);
  if (!row) throw notFound(`Product ${productId}`);
  const near = salesRefusal(row.product.triggerKind, row.product.salesMarginBps, row.distanceBps);
  if (near) throw problem(near.code, near.reason);
  const dep = await deploymentOf(deps.db, deps.chainId);
  const id = BigInt(productId);
  // Three reads, one JSON-RPC batch (the transport batches calls made together).
  const [product, pool, [counts, feeBps], book] = await Promise.all([
    readProductState(deps.client, dep, productId),
    readPoolState(deps.client, dep.pool),
    onChain(() =>
      Promise.all([
        deps.client.readContract({ address: dep.market, abi: marketAbi, functionName: "counts" }),
        integrator ? deps.client.readContract({ address: dep.market, abi: marketAbi, functionName: "integratorFeeBps", args: [integrator] }) : Promise.resolve(0),
      ]),
    ),
    readBook(deps.client, dep, catalogProductIds(catalog)),
  ]);
  const stress = stressOf(catalog, book);
  const onchain = product.product;
  if (onchain.status !== 1) {
    throw problem("product-unavailable", onchain.status === 2 ? "The product has an open incident." : "The product is closed after an incident or not listed.");
  }
  if (onchain.salesPaused) throw problem("product-unavailable", "Sales of this product are paused.");
  return {
    id,
    row,
    dep,
    onchain,
    productActive: product.activeCover,
    pending: pool.pendingLiability,
    assets: pool.totalAssets,
    poolActive: pool.activeCover,
    highestPolicyId: counts[3],
    capacityLeft: product.capacityLeft,
    poolCapacity: pool.capacity,
    leverageBps: pool.leverageBps,
    integrator: integrator ?? zeroAddress,
    integratorFeeBps: Number(feeBps),
    /** The stress scenarios of the live book, and the ones this product's loss belongs to. */
    stress,
    groups: groupsOf(row.protocol.id, stress.protocols),
  };
}


export type Priced = {
  premium: bigint;
  /** The premium's pricing steps, and how it splits between the integrator and the pool. */
  breakdown: Record<string, unknown>;
  integratorFee: { integrator: Address; feeBps: number; amount: bigint };
  solvencyBps: number;
};

/** Prices one (amount, duration) in a context, or says why not. Pure: no I/O. */
export function priceIn(ctx: QuoteContext, deps: Pick<QuoteDeps, "minimumPremium" | "now">, amount: bigint, durationDays: number): { ok: true; priced: Priced } | { ok: false; refusal: Refusal } {
  const f = productFrequency(ctx.row.product, ctx.row.protocol, deps.now, ctx.row.history);
  // A refused protocol is refused by quotePremium below with its code; a product that cannot be
  // priced is refused here (never priced as if its trigger never paid).
  if (!f.ok && f.reason === "product-unpriced") return { ok: false, refusal: { slug: "product-unpriced", detail: f.detail } };
  const frequency = f.ok ? f.frequency : { perYearE18: 0n, steps: [] };
  // What the stress scenarios allow: every scenario this product's loss belongs to stays within
  // the pool's assets net of pending liabilities, with this cover added.
  const stress = stressFor(ctx.stress.scenarios, ctx.groups, amount, ctx.assets, ctx.pending);
  if (amount > stress.capacityLeft && stress.binding) {
    const b = stress.binding;
    return {
      ok: false,
      refusal: {
        slug: "capacity-exceeded",
        detail: `Stress scenario "${b.name}" would lose ${b.loss + amount} base units with this cover, more than its limit of ${b.limitBps / 100}% of the pool's ${ctx.assets > ctx.pending ? ctx.assets - ctx.pending : 0n} of assets net of pending liabilities; ${stress.capacityLeft} more can be sold.`,
        extra: { capacityLeft: (stress.capacityLeft < ctx.capacityLeft ? stress.capacityLeft : ctx.capacityLeft).toString(), scenario: b.id },
      },
    };
  }
  // The stress capital this cover needs: its worst scenario's loss over the pool's cover, both with it.
  const withCover = ctx.poolActive + amount;
  const stressShareE18 = stress.worst && withCover > 0n ? ((stress.worst.loss + amount) * 10n ** 18n) / withCover : 0n;
  const priced = quotePremium(
    riskInputsOf(ctx.row.protocol),
    {
      amount,
      durationDays,
      frequency,
      leverageBps: ctx.leverageBps,
      stressShareE18,
      integratorFeeBps: ctx.integratorFeeBps,
      productMultiplierBps: ctx.row.product.rateMultiplierBps,
      capacityLeft: ctx.capacityLeft,
      poolActiveCover: ctx.poolActive,
      poolCapacity: ctx.poolCapacity,
      minimumPremium: deps.minimumPremium,
    },
    deps.now,
  );
  if (!priced.ok) {
    if (priced.code === "capacity_exceeded") return { ok: false, refusal: { slug: "capacity-exceeded", detail: priced.reason, extra: { capacityLeft: ctx.capacityLeft.toString() } } };
    if (priced.code === "amount_invalid" || priced.code === "duration_out_of_range") return { ok: false, refusal: { slug: "amount-invalid", detail: priced.reason } };
    return { ok: false, refusal: { slug: "protocol-refused", detail: priced.reason, extra: { code: priced.code } } };
  }
  // The integrator's share comes out of the premium, exactly as the market computes it (rounded down).
  const fee = (priced.premium * BigInt(ctx.integratorFeeBps)) / BPS;
  const integratorFee = { integrator: ctx.integrator, feeBps: ctx.integratorFeeBps, amount: fee };
  // The worst scenario this product belongs to, with this cover added, against the assets net of
  // pending liabilities (10,000: paid in full).
  const solvencyBps = stress.solvencyBps;
  const breakdown = JSON.parse(
    JSON.stringify(
      { ...priced.breakdown, integratorFee, premiumToPool: priced.premium - fee, worstScenario: stress.worst ? { id: stress.worst.id, name: stress.worst.name, lossWithThisCover: stress.worst.loss + amount } : null },
      (_k, v) => (typeof v === "bigint" ? v.toString() : v),
    ),
  ) as Record<string, unknown>;
  return { ok: true, priced: { premium: priced.premium, breakdown, integratorFee, solvencyBps } };
}

/**
 * Prices and signs a quote. Reads: see loadQuoteContext. Writes nothing: the caller records the
 * returned row after responding. An integrator (the API key's address) is named in the quote with
 * its on-chain rate; its share is paid to it at purchase.
 */
export async function createQuote(
  deps: QuoteDeps,
  req: z.infer<typeof QuoteRequest>,
  integrator: Address | null = null,
): Promise<{ response: z.infer<typeof QuoteResponse>; record: typeof quotes.$inferInsert }> {
  const amount = BigInt(req.amount); // 1 … 2^96−1: CoverAmount in the request schema
  const durationSeconds = daysToSeconds(req.duration);
  const ctx = await loadQuoteContext(deps, req.product, integrator);
  const result = priceIn(ctx, deps, amount, req.duration);
  if (!result.ok) throw problem(result.refusal.slug, result.refusal.detail, result.refusal.extra);
  const { premium, breakdown, integratorFee, solvencyBps } = result.priced;
  if (!deps.signerKey) throw problem("quote-signer-missing", "QUOTE_SIGNER_KEY is not set.");

  const { dep, onchain } = ctx;
  // The quote's cover is held against each of its scenarios' room until it expires: quotes signed
  // and not yet bought are not in the book the room was computed from.
  const net = ctx.assets > ctx.pending ? ctx.assets - ctx.pending : 0n;
  const groups = ctx.stress.scenarios.filter((s) => ctx.groups.includes(s.id)).map((s) => ({ id: s.id, room: roomOf(s, net).toString(), name: s.name }));
  const allocation = await deps.allocateQuote(Number(ctx.highestPolicyId), { groups: groups.map(({ id, room }) => ({ id, room })), amount: amount.toString(), until: deps.now + deps.ttlSeconds, now: deps.now });
  if (!allocation.ok) {
    const name = groups.find((g) => g.id === allocation.group)?.name ?? allocation.group;
    const left = BigInt(allocation.room) > BigInt(allocation.held) ? BigInt(allocation.room) - BigInt(allocation.held) : 0n;
    throw problem("capacity-exceeded", `Stress scenario "${name}" has ${allocation.room} base units of room, of which quotes signed and not yet expired hold ${allocation.held}; ${left} more can be quoted now.`, { capacityLeft: left.toString(), scenario: allocation.group });
  }
  const quoteId = BigInt(allocation.id);
  const holder: Address = req.beneficiary ? getAddress(req.beneficiary) : req.buyer ? getAddress(req.buyer) : zeroAddress;
  const quote: Quote = {
    productId: ctx.id,
    amount,
    premium,
    start: BigInt(deps.now),
    duration: durationSeconds,
    buyer: holder,
    deadline: BigInt(deps.now + deps.ttlSeconds),
    quoteId,
    termsHash: onchain.termsHash as Hex,
    integrator: integratorFee.integrator,
    integratorFeeBps: integratorFee.feeBps,
  };
  const typed = quoteTypedData(quote, deps.chainId, dep.market);
  const signature = await privateKeyToAccount(deps.signerKey as Hex).signTypedData(typed);
  const data = req.beneficiary
    ? encodeFunctionData({ abi: marketAbi, functionName: "buyCoverFor", args: [quote, signature, getAddress(req.beneficiary)] })
    : encodeFunctionData({ abi: marketAbi, functionName: "buyCover", args: [quote, signature] });
  const message = quoteMessage(quote);

  return {
    response: {
      quoteId: quoteId.toString(),
      productId: req.product,
      amount: amount.toString(),
      premium: premium.toString(),
      breakdown,
      integratorFee: { integrator: integratorFee.integrator, feeBps: integratorFee.feeBps, amount: integratorFee.amount.toString() },
      capacityLeft: ctx.capacityLeft.toString(),
      solvencyBps,
      termsHash: onchain.termsHash,
      expiresAt: deps.now + deps.ttlSeconds,
      coverStartsNoEarlierThan: deps.now + onchain.coverageLagSeconds,
      eip712: { domain: typed.domain, types: quoteTypes, primaryType: "Quote", message },
      signature,
      transaction: {
        to: dep.market,
        function: req.beneficiary ? "buyCoverFor" : "buyCover",
        data,
        approval: { token: dep.asset, spender: dep.market, amount: premium.toString() },
      },
    },
    record: {
      id: Number(quoteId),
      productId: req.product,
      amount: amount.toString(),
      premium: premium.toString(),
      startAt: deps.now,
      durationSeconds: Number(durationSeconds),
      buyer: holder,
      deadline: deps.now + deps.ttlSeconds,
      termsHash: onchain.termsHash,
      integrator: integratorFee.integrator,
      integratorFeeBps: integratorFee.feeBps,
      signature,
      breakdownJson: JSON.stringify(breakdown),
      createdAt: deps.now,
    },
  };
}

/**
 * Prices one product for every (amount, duration) pair asked, from one read of its state: what a
 * protocol's deposit screen shows. Nothing is signed and no quote id is used; the option chosen is
 * then quoted with POST /v1/quotes. A pair that cannot be sold is answered with its reason.
 */
export async function priceOptions(deps: QuoteDeps, req: z.infer<typeof BatchQuoteRequest>, integrator: Address | null): Promise<z.infer<typeof BatchQuoteResponse>> {
  const ctx = await loadQuoteContext(deps, req.product, integrator);
  const options: z.infer<typeof BatchQuoteResponse>["options"] = [];
  for (const a of req.amounts) {
    for (const d of req.durations) {
      const r = priceIn(ctx, deps, BigInt(a), d);
      if (r.ok) {
        const p = r.priced;
        options.push({
          amount: a, duration: d, ok: true, premium: p.premium.toString(),
          annualRateBps: Number((p.breakdown as { annualRateBps: number }).annualRateBps),
          integratorFee: p.integratorFee.amount.toString(), premiumToPool: (p.premium - p.integratorFee.amount).toString(), solvencyBps: p.solvencyBps,
        });
      } else {
        options.push({ amount: a, duration: d, ok: false, problem: { type: PROBLEM_BASE + r.refusal.slug, title: PROBLEMS[r.refusal.slug].title, status: PROBLEMS[r.refusal.slug].status, detail: r.refusal.detail } });
      }
    }
  }
  return {
    productId: req.product,
    capacityLeft: ctx.capacityLeft.toString(),
    integrator: ctx.integrator,
    integratorFeeBps: ctx.integratorFeeBps,
    coverStartsNoEarlierThan: deps.now + ctx.onchain.coverageLagSeconds,
    options,
  };
}
