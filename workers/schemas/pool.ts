import { z } from "@hono/zod-openapi";
import { Address, DecimalString } from "./common";

export const Pool = z
  .object({
    chainId: z.int(),
    address: Address,
    asset: Address,
    totalAssets: DecimalString("5000000000000").openapi({ description: "assets less unearned premium" }),
    activeCover: DecimalString("0"),
    unearnedPremium: DecimalString("0"),
    premiumIncome: z
      .object({ received: DecimalString("0"), earned: DecimalString("0") })
      .openapi({ description: "premiums of the indexed purchases, and the part already earned (received − unearned)" }),
    pendingLiability: DecimalString("0").openapi({ description: "liability of incidents opened and not yet confirmed or vetoed" }),
    freeCapital: DecimalString("0").openapi({ description: "what withdrawals may take now" }),
    capacityLeft: DecimalString("0"),
    utilisationBps: z.int(),
    leverageBps: z.int(),
    cooldownSeconds: z.int(),
    totalShares: DecimalString("0"),
    sharePrice: z.object({ assets: DecimalString("1000000"), perShares: DecimalString("1000000000000") }).openapi({ description: "assets one whole share (10^12 units) redeems for" }),
    blockNumber: z.int(),
    stressScenarios: z
      .array(
        z.object({
          id: z.string().openapi({ example: "depeg:steadyusd" }),
          kind: z.enum(["exploit", "depeg", "chain-halt"]),
          name: z.string().openapi({ example: "SteadyUSD depegs" }),
          products: z.array(z.int()).openapi({ description: "the products that would all pay in this scenario" }),
          loss: DecimalString("0").openapi({ description: "their active cover: the scenario's loss if all pay in full" }),
          assets: DecimalString("0").openapi({ description: "the pool's assets net of pending liabilities" }),
          limitBps: z.int().openapi({ description: "the share of those assets the scenario may lose before quotes are refused (the operator's maxLossBps for a protocol; 10,000 for a chain)" }),
          coverageBps: z.int().nullable().openapi({ description: "assets ÷ loss in bps (10,000: paid in full); null when nothing would be lost" }),
        }),
      )
      .openapi({ description: "the correlated-loss scenarios of the live book, worst first: each protocol exploited (or a stablecoin depegging) with everything that depends on it, each chain halting. Quotes are signed only while every scenario stays within assets." }),
  })
  .openapi("Pool");

export const IncidentStatus = z.enum(["pending", "confirmed", "vetoed", "closed"]);

export const Incident = z
  .object({
    id: z.int(),
    productId: z.int(),
    status: IncidentStatus,
    incidentTime: z.int(),
    firedAt: z.int(),
    confirmedAt: z.int().nullable(),
    liability: DecimalString("0"),
    reserve: DecimalString("0").nullable(),
    paid: DecimalString("0"),
    evidence: z.object({
      proofHex: z.string(),
      fireTxHash: z.string(),
      confirmTxHash: z.string().nullable(),
      details: z.any().openapi({ description: "oracle round ids, readings, blocks, as the keeper recorded them" }),
    }),
  })
  .openapi("Incident");

export const Payout = z
  .object({
    policyId: z.int(),
    incidentId: z.int(),
    recipient: Address,
    amount: DecimalString("0"),
    deferred: z.boolean().openapi({ description: "the transfer failed; the amount is claimable by the recipient" }),
    txHash: z.string(),
    blockNumber: z.int(),
    paidAt: z.int(),
  })
  .openapi("Payout");

export const ListQuery = z
  .object({
    product: z.coerce.number().int().min(1).optional().openapi({ param: { name: "product", in: "query" }, type: "integer" }),
    after: z.coerce.number().int().min(0).default(0).openapi({ param: { name: "after", in: "query" }, type: "integer" }),
    limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ param: { name: "limit", in: "query" }, type: "integer" }),
  })
  .strict();

/** One snapshot of the pool the keeper recorded (amounts in base units as decimal strings). */
export const PoolSnapshot = z
  .object({
    id: z.int(),
    blockNumber: z.int(),
    observedAt: z.int().openapi({ description: "the block's time (unix seconds)" }),
    totalAssets: DecimalString("5000000000000"),
    totalShares: DecimalString("5000000000000000000"),
    activeCover: DecimalString("0"),
    pendingLiability: DecimalString("0"),
    sharePrice: z.object({ assets: DecimalString("1000000"), perShares: DecimalString("1000000000000") }).openapi({ description: "assets one whole share (10^12 units) redeemed for then" }),
  })
  .openapi("PoolSnapshot");
