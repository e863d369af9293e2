import { z } from "@hono/zod-openapi";
import { DecimalString, UnixSeconds } from "./common";

export const ProtocolId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "a lowercase slug")
  .openapi({ param: { name: "id", in: "path" }, example: "lendwise-v2" });

export const ProtocolInput = z
  .object({
    name: z.string().min(1).max(100).openapi({ example: "Lendwise v2" }),
    category: z.enum(["lending", "dex", "staking", "stablecoin", "bridge", "other"]),
    website: z.url().max(200).nullable().default(null),
    auditCount: z.int().min(0).max(100).openapi({ description: "independent security audits" }),
    lastAuditAt: UnixSeconds.nullable(),
    launchedAt: UnixSeconds,
    tvlUsd: DecimalString("1200000000", 16).openapi({ description: "TVL in whole US dollars" }),
    incidentCount: z.int().min(0).max(1000),
    lastIncidentAt: UnixSeconds.nullable(),
    adminKey: z.enum(["immutable", "timelock_multisig", "multisig", "eoa"]),
    upgradeable: z.boolean(),
    oracleDependence: z.enum(["none", "chainlink", "custom"]),
    chains: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "a lowercase slug"))
      .max(20)
      .default([])
      .openapi({ example: ["ethereum"], description: "chains it runs on (lowercase slugs): each is a risk group whose halt is a stress scenario" }),
    dependsOn: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "a lowercase slug"))
      .max(20)
      .default([])
      .openapi({ example: ["steadyusd"], description: "protocols (by id) whose failure hits this one (a stablecoin it holds, a market it builds on): its products join their stress scenarios" }),
    maxLossBps: z
      .int()
      .min(1)
      .max(10_000)
      .default(10_000)
      .openapi({ description: "the operator's limit on this protocol's stress scenario (its failure with everything that depends on it): the share of the pool's assets net of pending liabilities it may lose, bps" }),
  })
  .strict()
  .openapi("ProtocolInput");

export const Pricing = z
  .discriminatedUnion("status", [
    z.object({
      status: z.literal("priced"),
      annualRateBps: z.int(),
      adjustments: z.array(z.object({ factor: z.string(), bps: z.int(), reason: z.string() })),
    }),
    z.object({ status: z.literal("refused"), code: z.string(), reason: z.string() }),
  ])
  .openapi("ProtocolPricing");

export const Protocol = ProtocolInput.extend({ id: z.string(), pricing: Pricing, updatedAt: UnixSeconds }).openapi("Protocol");
