import { z } from "@hono/zod-openapi";
import { CoverAmount, QuoteWire } from "../chain/quote";
import { Address, UnixSeconds } from "./common";

export const QuoteRequest = z
  .object({
    product: z.int().min(1).max(2 ** 32 - 1).openapi({ example: 1 }),
    amount: CoverAmount.openapi({ example: "10000000000", description: "cover amount in base units, 1 … 2^96−1 (6 decimals: 10000000000 = $10,000)" }),
    duration: z.int().min(1).max(365).openapi({ example: 30, description: "days of cover" }),
    buyer: Address.optional().openapi({ description: "the only account that may buy with this quote" }),
    beneficiary: Address.optional().openapi({ description: "who gets the policy when a protocol buys for its depositor (buyCoverFor)" }),
  })
  .strict()
  .openapi("QuoteRequest");

const IntegratorFee = z
  .object({
    integrator: Address.openapi({ description: "the integrator named in the quote (the API key's address), or zero" }),
    feeBps: z.int().openapi({ description: "its share of the premium, in basis points, as the operator set it on-chain" }),
    amount: z.string().openapi({ description: "paid to the integrator at purchase, out of the premium (base units)" }),
  })
  .openapi("IntegratorFee");

const SignedQuote = QuoteWire.openapi("SignedQuote", { description: "the EIP-712 Quote as signed (uint fields as decimal strings): `QuoteWire` in workers/chain/quote.ts" });

export const QuoteResponse = z
  .object({
    quoteId: z.string(),
    productId: z.int(),
    amount: z.string(),
    premium: z.string(),
    breakdown: z.any().openapi({ description: "how the premium was built: the protocol's risk rate and adjustments, the trigger's frequency a year (tripFrequencyE18 and its factors), the chance it pays within the term, expected loss, capital charge and expenses (bps a year), product and demand multipliers, minimum; then its split: integratorFee and premiumToPool" }),
    integratorFee: IntegratorFee,
    capacityLeft: z.string().openapi({ description: "cover still available for this product before this quote" }),
    solvencyBps: z.int().openapi({ description: "share of the cover the pool would pay if this product tripped now, given all active cover (10000 = in full)" }),
    termsHash: z.string(),
    expiresAt: UnixSeconds,
    coverStartsNoEarlierThan: UnixSeconds,
    eip712: z.object({ domain: z.any(), types: z.any(), primaryType: z.literal("Quote"), message: SignedQuote }),
    signature: z.string(),
    transaction: z.object({
      to: Address,
      function: z.enum(["buyCover", "buyCoverFor"]),
      data: z.string().openapi({ description: "ready-to-send calldata" }),
      approval: z.object({ token: Address, spender: Address, amount: z.string() }).openapi({ description: "the premium allowance the payer must grant first" }),
    }),
  })
  .openapi("Quote");

export const BatchQuoteRequest = z
  .object({
    product: z.int().min(1).max(2 ** 32 - 1).openapi({ example: 1 }),
    amounts: z.array(CoverAmount).min(1).max(10).openapi({ description: "cover amounts in base units", example: ["1000000000", "10000000000"] }),
    durations: z.array(z.int().min(1).max(365)).min(1).max(12).openapi({ description: "days of cover", example: [7, 30, 90] }),
  })
  .strict()
  .refine((r) => r.amounts.length * r.durations.length <= 60, { message: "at most 60 (amount, duration) pairs" })
  .openapi("BatchQuoteRequest");

const Option = z.discriminatedUnion("ok", [
  z.object({
    amount: z.string(), duration: z.int(), ok: z.literal(true), premium: z.string(), annualRateBps: z.int(),
    integratorFee: z.string(), premiumToPool: z.string(), solvencyBps: z.int(),
  }),
  z.object({
    amount: z.string(), duration: z.int(), ok: z.literal(false),
    problem: z.object({ type: z.string(), title: z.string(), status: z.int(), detail: z.string() }),
  }),
]);

export const BatchQuoteResponse = z
  .object({
    productId: z.int(),
    capacityLeft: z.string(),
    integrator: Address,
    integratorFeeBps: z.int(),
    coverStartsNoEarlierThan: UnixSeconds,
    options: z.array(Option).openapi({ description: "one per (amount, duration), amounts outer, durations inner" }),
  })
  .openapi("BatchQuote");
