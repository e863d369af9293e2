import { z } from "@hono/zod-openapi";
import { Address, DecimalString, UnixSeconds } from "./common";

export const TxHash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 32-byte transaction hash").openapi({ example: `0x${"ab".repeat(32)}` });

export const PurchaseRequest = z.object({ txHash: TxHash }).strict().openapi("PurchaseByTransaction");

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
    status: z.enum(["active", "pending_start", "expired", "paid"]),
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
