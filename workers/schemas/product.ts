import { z } from "@hono/zod-openapi";
import { kindNames, kinds } from "../triggers/index";
import { Address, DecimalString, UnixSeconds } from "./common";

/** The trigger kinds, from the one table (workers/triggers/index.ts). */
export const TriggerKindName = z.enum(kindNames).openapi({ description: "the trigger kind (one module per kind in workers/triggers/)" });

const kindDefaults = kinds.map((k) => `${k.label} ${k.defaultSalesMarginBps}`).join(", ");

export const ProductId = z.coerce
  .number()
  .int()
  .min(1)
  .max(2 ** 32 - 1)
  .openapi({ param: { name: "id", in: "path" }, example: 1, type: "integer" });

export const ProductInput = z
  .object({
    protocolId: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/).openapi({ example: "lendwise-v2" }),
    name: z.string().min(1).max(120).openapi({ example: "Lendwise TVL collapse" }),
    termsText: z.string().min(1).max(4_000).openapi({ description: "the terms in words; their keccak256 must equal the on-chain terms hash" }),
    rateMultiplierBps: z.int().min(1_000).max(50_000).default(10_000).openapi({ description: "product rate over the protocol's risk rate, 10000 = 1×" }),
    salesMarginBps: z.int().min(0).max(5_000).nullable().default(null).openapi({
      description: `how close to its trigger (bps of distance from the trip level) the product may be and still sell; null: the kind's default (${kindDefaults})`,
    }),
  })
  .strict()
  .openapi("ProductInput");

export const Product = z
  .object({
    id: z.int(),
    chainId: z.int(),
    protocolId: z.string(),
    name: z.string(),
    status: z.enum(["active", "paused", "incident", "closed"]),
    trigger: z.object({
      kind: TriggerKindName,
      address: Address,
      params: z.union(kinds.map((k) => k.paramsSchema)).openapi({ description: "the trigger's parameters in words (its kind's), amounts as decimal strings" }),
      paramsHex: z.string().openapi({ description: "exactly the bytes the market stores" }),
    }),
    terms: z.object({ text: z.string(), hash: z.string() }),
    capAmount: DecimalString("2000000000000"),
    activeCover: DecimalString("0"),
    capacityLeft: DecimalString("2000000000000").openapi({ description: "cover that can still be sold: min(product cap left, pool capacity left)" }),
    coverageLagSeconds: z.int(),
    vetoWindowSeconds: z.int(),
    rateMultiplierBps: z.int(),
    salesMarginBps: z.int().openapi({ description: "the sales margin in force (the product's own, or its kind's default)" }),
    indicativeAnnualRateBps: z.int().nullable().openapi({ description: "the annual rate for a 30-day term before the demand multiplier (expected loss + capital charge + expenses, × the product multiplier), bps; null when the protocol is refused" }),
    refusal: z.object({ code: z.string(), reason: z.string() }).nullable().openapi({ description: "why POST /v1/quotes refuses this product now (the protocol's risk, or the keeper's reading within the sales margin); null when it sells" }),
    listedAt: UnixSeconds,
  })
  .openapi("Product");

/** One reading the keeper recorded (it records a product's reading when it changes). */
export const Reading = z
  .object({
    id: z.int().openapi({ description: "the reading's id (page with `after`)" }),
    source: Address.openapi({ description: "the feed or covered contract read" }),
    roundId: z.string().nullable().openapi({ description: "the feed round read (decimal), null for contract states" }),
    answer: z.string().nullable().openapi({ description: "the value read, in the source's own units (a feed's answer, a vault's assets per share) as a decimal string" }),
    updatedAt: z.int().nullable().openapi({ description: "the round's updatedAt (unix seconds)" }),
    paused: z.boolean().nullable().openapi({ description: "for pause triggers: the contract's paused() state" }),
    valid: z.boolean().openapi({ description: "false when the reading failed the oracle hygiene (stale, zero, future, sequencer down)" }),
    problem: z.string().nullable().openapi({ description: "why it was not valid" }),
    distanceBps: z.int().nullable().openapi({ description: "how far from tripping, in bps of the trip level (0: at or past it)" }),
    blockNumber: z.int().openapi({ description: "the block the keeper read at" }),
    observedAt: UnixSeconds,
  })
  .openapi("Reading");
