import { z } from "@hono/zod-openapi";
import { QuoteMessage } from "../chain/quote";
import { Address, DecimalString, UnixSeconds } from "./common";

export const TxHash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 32-byte transaction hash").openapi({ example: `0x${"ab".repeat(32)}` });

const Hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "32 bytes of hex");
const Signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte signature in hex");

export const PurchaseByTransaction = z.object({ txHash: TxHash }).strict().openapi("PurchaseByTransaction");

export const RelayedPurchase = z
  .object({
    relay: z
      .object({
        quote: QuoteMessage.openapi({ description: "the quote exactly as POST /v1/quotes returned it (eip712.message); parsed by the one quote codec (workers/chain/quote.ts)" }),
        signature: Signature.openapi({ description: "the quote signer's signature from POST /v1/quotes" }),
        buyer: Address,
        acceptanceDeadline: UnixSeconds,
        acceptance: Signature.openapi({ description: "the buyer's EIP-712 Acceptance(quoteId, buyer, deadline) in the market's domain" }),
        permit: z.object({ deadline: UnixSeconds, v: z.int().min(27).max(28), r: Hex32, s: Hex32 }).strict().openapi({ description: "the buyer's EIP-2612 permit of the premium to the market" }),
      })
      .strict(),
  })
  .strict()
  .openapi("RelayedPurchase");

export const PurchaseRequest = z.union([PurchaseByTransaction, RelayedPurchase]);

export const Policy = z
  .object({
    id: z.int(),
    chainId: z.int(),
    productId: z.int(),
    owner: Address,
    payer: Address,
    coverAmount: DecimalString("10000000000"),
    premium: DecimalString("24657535"),
    startAt: UnixSeconds,
    endAt: UnixSeconds,
    integrator: Address,
    status: z.enum(["active", "pending_start", "expired", "paid", "ended"]).openapi({ description: "ended: a confirmed incident closed the product while the policy was not active at its time; its cover ended unpaid" }),
    txHash: z.string(),
    blockNumber: z.int(),
  })
  .openapi("Policy");

export const PolicyId = z.coerce.number().int().min(1).max(2 ** 48 - 1).openapi({ param: { name: "id", in: "path" }, example: 1, type: "integer" });

export const PoliciesQuery = z
  .object({
    owner: Address.openapi({ param: { name: "owner", in: "query" } }),
    after: z.coerce.number().int().min(0).default(0).openapi({ param: { name: "after", in: "query" }, type: "integer", description: "return policies with a larger id (pagination)" }),
    limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ param: { name: "limit", in: "query" }, type: "integer" }),
  })
  .strict();
