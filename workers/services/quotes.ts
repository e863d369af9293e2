import type { z } from "@hono/zod-openapi";
import { encodeFunctionData, getAddress, zeroAddress, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { abi as poolAbi } from "../../contracts/out/CoverPool";
import { productForQuote } from "../../db/queries/quoting";
import type { quotes } from "../../db/schema";
import { onChain } from "../chain/client";
import { deploymentOf } from "../chain/deployment";
import { quoteTypedData, quoteTypes, type Quote } from "../chain/quote";
import { notFound, ProblemError } from "../errors";
import { quotePremium } from "../pricing/premium";
import type { QuoteRequest, QuoteResponse } from "../schemas/quote";
import { riskInputsOf } from "./protocols";

const BPS = 10_000n;
const MAX_AMOUNT = 2n ** 96n - 1n;

export type QuoteDeps = {
  db: D1Database;
  client: PublicClient;
  chainId: number;
  signerKey: string | undefined;
  /** Next quote id, never at or below `floor` (the market's highest policy id). */
  nextQuoteId: (floor: number) => Promise<number>;
  ttlSeconds: number;
  minimumPremium: bigint;
  nearTriggerBps: number;
  now: number;
};

const refuse = (status: 409 | 422, slug: string, title: string, detail: string, extra: Record<string, unknown> = {}) =>
  new ProblemError(status, slug, title, detail, extra);

/**
 * Prices and signs a quote. Reads: one D1 query (product, protocol, latest observation), the
 * deployment (cached per isolate), one JSON-RPC batch. Writes nothing: the caller records the
 * returned row after responding.
 */
export async function createQuote(
  deps: QuoteDeps,
  req: z.infer<typeof QuoteRequest>,
): Promise<{ response: z.infer<typeof QuoteResponse>; record: typeof quotes.$inferInsert }> {
  const amount = BigInt(req.amount);
  if (amount === 0n || amount > MAX_AMOUNT) {
    throw refuse(422, "amount-invalid", "Amount out of range", `The cover amount must be between 1 and ${MAX_AMOUNT} base units.`);
  }
  const row = await productForQuote(deps.db, req.product);
  if (!row) throw notFound(`Product ${req.product}`);
  if (row.distanceBps !== null && row.distanceBps <= deps.nearTriggerBps) {
    throw refuse(422, "condition-near-trigger", "Condition close to tripping",
      `The keeper's last observation puts this product ${row.distanceBps} bps from its trigger; no cover is sold this close to a loss.`);
  }
  const dep = await deploymentOf(deps.db, deps.chainId);
  const id = BigInt(req.product);
  const [onchain, productActive, poolLeft, poolActive, assets, pending, leverage, counts] = await onChain(() =>
    Promise.all([
      deps.client.readContract({ address: dep.market, abi: marketAbi, functionName: "product", args: [id] }),
      deps.client.readContract({ address: dep.market, abi: marketAbi, functionName: "productActiveCover", args: [id] }),
      deps.client.readContract({ address: dep.pool, abi: poolAbi, functionName: "capacityLeft" }),
      deps.client.readContract({ address: dep.pool, abi: poolAbi, functionName: "activeCover" }),
      deps.client.readContract({ address: dep.pool, abi: poolAbi, functionName: "totalAssets" }),
      deps.client.readContract({ address: dep.pool, abi: poolAbi, functionName: "pendingLiability" }),
      deps.client.readContract({ address: dep.pool, abi: poolAbi, functionName: "leverageBps" }),
      deps.client.readContract({ address: dep.market, abi: marketAbi, functionName: "counts" }),
    ]),
  );
  if (onchain.status !== 1) {
    throw refuse(409, "product-unavailable", "Product not on sale",
      onchain.status === 2 ? "The product has an open incident." : "The product is closed after an incident or not listed.");
  }
  if (onchain.salesPaused) throw refuse(409, "product-unavailable", "Product not on sale", "Sales of this product are paused.");

  const productLeft = onchain.capAmount > productActive ? onchain.capAmount - productActive : 0n;
  const capacityLeft = productLeft < poolLeft ? productLeft : poolLeft;
  const poolCapacity = assets > pending ? ((assets - pending) * BigInt(leverage)) / BPS : 0n;
  const priced = quotePremium(
    riskInputsOf(row.protocol),
    {
      amount,
      durationDays: req.duration,
      productMultiplierBps: row.product.rateMultiplierBps,
      capacityLeft,
      poolActiveCover: poolActive,
      poolCapacity,
      minimumPremium: deps.minimumPremium,
    },
    deps.now,
  );
  if (!priced.ok) {
    if (priced.code === "capacity_exceeded") throw refuse(422, "capacity-exceeded", "Not enough capacity", priced.reason, { capacityLeft: capacityLeft.toString() });
    if (priced.code === "amount_invalid" || priced.code === "duration_out_of_range") throw refuse(422, "amount-invalid", "Amount out of range", priced.reason);
    throw refuse(422, "protocol-refused", "Protocol not covered", priced.reason, { code: priced.code });
  }
  if (!deps.signerKey) throw new ProblemError(503, "quote-signer-missing", "Quote signer not configured", "QUOTE_SIGNER_KEY is not set.");

  // If this product tripped now, its liability joins whatever is already pending.
  const liability = productActive + amount + pending;
  const solvencyBps = liability === 0n || assets >= liability ? 10_000 : Number((assets * BPS) / liability);

  const quoteId = BigInt(await deps.nextQuoteId(Number(counts[3])));
  const holder: Address = req.beneficiary ? getAddress(req.beneficiary) : req.buyer ? getAddress(req.buyer) : zeroAddress;
  const quote: Quote = {
    productId: id,
    amount,
    premium: priced.premium,
    start: BigInt(deps.now),
    duration: BigInt(req.duration) * 86_400n,
    buyer: holder,
    deadline: BigInt(deps.now + deps.ttlSeconds),
    quoteId,
    termsHash: onchain.termsHash as Hex,
    integrator: zeroAddress,
    integratorFeeBps: 0,
  };
  const typed = quoteTypedData(quote, deps.chainId, dep.market);
  const signature = await privateKeyToAccount(deps.signerKey as Hex).signTypedData(typed);
  const data = req.beneficiary
    ? encodeFunctionData({ abi: marketAbi, functionName: "buyCoverFor", args: [quote, signature, getAddress(req.beneficiary)] })
    : encodeFunctionData({ abi: marketAbi, functionName: "buyCover", args: [quote, signature] });
  const message = Object.fromEntries(Object.entries(quote).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v])) as z.infer<typeof QuoteResponse>["eip712"]["message"];
  const breakdown = JSON.parse(JSON.stringify(priced.breakdown, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));

  return {
    response: {
      quoteId: quoteId.toString(),
      productId: req.product,
      amount: amount.toString(),
      premium: priced.premium.toString(),
      breakdown,
      capacityLeft: capacityLeft.toString(),
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
        approval: { token: dep.asset, spender: dep.market, amount: priced.premium.toString() },
      },
    },
    record: {
      id: Number(quoteId),
      productId: req.product,
      amount: amount.toString(),
      premium: priced.premium.toString(),
      startAt: deps.now,
      durationSeconds: req.duration * 86_400,
      buyer: holder,
      deadline: deps.now + deps.ttlSeconds,
      termsHash: onchain.termsHash,
      integrator: zeroAddress,
      integratorFeeBps: 0,
      signature,
      breakdownJson: JSON.stringify(breakdown),
      createdAt: deps.now,
    },
  };
}
