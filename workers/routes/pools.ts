import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { getAddress } from "viem";
import { abi as poolAbi } from "../../contracts/out/CoverPool";
import { listIncidents, listPayouts } from "../../db/queries/incidents";
import { premiumsReceived } from "../../db/queries/policies";
import { chainClient, onChain } from "../chain/client";
import { deploymentOf } from "../chain/deployment";
import type { AppEnv } from "../env";
import { problemResponses } from "../schemas/common";
import { Incident, ListQuery, Payout, Pool } from "../schemas/pool";
import { defaultHook } from "./hook";

/** Routes are chained (each call adds its route to the type) so `hc<AppType>` knows every one. */
const routes0 = new OpenAPIHono<AppEnv>({ defaultHook });
const ONE_SHARE = 10n ** 12n; // shares carry 6 + 6 decimals

const pools = createRoute({
  method: "get",
  path: "/v1/pools",
  tags: ["pool"],
  summary: "The pool, read live: assets, cover, unearned premium, pending liability, free capital, capacity, utilisation, cooldown",
  responses: { 200: { description: "the pools", content: { "application/json": { schema: z.object({ pools: z.array(Pool) }) } } }, ...problemResponses(503) },
});
const routes1 = routes0.openapi(pools, async (c) => {
  const { chainId } = c.var.config;
  const dep = await deploymentOf(c.env.DB, chainId);
  const client = chainClient(c.var.config);
  const read = <F extends "totalAssets" | "activeCover" | "unearnedPremium" | "pendingLiability" | "freeCapital" | "capacityLeft" | "totalSupply">(functionName: F) =>
    client.readContract({ address: dep.pool, abi: poolAbi, functionName });
  const [totalAssets, activeCover, unearned, pending, free, left, shares, leverage, cooldown, perShare, block] = await onChain(() =>
    Promise.all([
      read("totalAssets"), read("activeCover"), read("unearnedPremium"), read("pendingLiability"), read("freeCapital"), read("capacityLeft"), read("totalSupply"),
      client.readContract({ address: dep.pool, abi: poolAbi, functionName: "leverageBps" }),
      client.readContract({ address: dep.pool, abi: poolAbi, functionName: "cooldownSeconds" }),
      client.readContract({ address: dep.pool, abi: poolAbi, functionName: "convertToAssets", args: [ONE_SHARE] }),
      client.getBlockNumber(),
    ]),
  );
  const received = await premiumsReceived(c.env.DB, chainId);
  const capacity = totalAssets > pending ? ((totalAssets - pending) * BigInt(leverage)) / 10_000n : 0n;
  return c.json({
    pools: [{
      chainId,
      address: dep.pool,
      asset: getAddress(dep.asset),
      totalAssets: totalAssets.toString(),
      activeCover: activeCover.toString(),
      unearnedPremium: unearned.toString(),
      premiumIncome: { received: received.toString(), earned: (received > unearned ? received - unearned : 0n).toString() },
      pendingLiability: pending.toString(),
      freeCapital: free.toString(),
      capacityLeft: left.toString(),
      utilisationBps: capacity === 0n ? (activeCover > 0n ? 10_000 : 0) : Number((activeCover * 10_000n) / capacity),
      leverageBps: leverage,
      cooldownSeconds: cooldown,
      totalShares: shares.toString(),
      sharePrice: { assets: perShare.toString(), perShares: ONE_SHARE.toString() },
      blockNumber: Number(block),
    }],
  }, 200);
});

const incidents = createRoute({
  method: "get",
  path: "/v1/incidents",
  tags: ["incidents"],
  summary: "Incidents with their evidence (oracle rounds, readings, blocks, transaction hashes), as indexed from the chain",
  request: { query: ListQuery },
  responses: { 200: { description: "a page of incidents", content: { "application/json": { schema: z.object({ incidents: z.array(Incident), next: z.int().nullable() }) } } }, ...problemResponses(400) },
});
const routes2 = routes1.openapi(incidents, async (c) => {
  const q = c.req.valid("query");
  const rows = await listIncidents(c.env.DB, q.product, q.after, q.limit);
  return c.json({
    incidents: rows.map((r) => ({
      id: r.id, productId: r.productId, status: r.status, incidentTime: r.incidentTime, firedAt: r.firedAt, confirmedAt: r.confirmedAt,
      liability: r.liability, reserve: r.reserve, paid: r.paid,
      evidence: { proofHex: r.proofHex, fireTxHash: r.fireTxHash, confirmTxHash: r.confirmTxHash, details: JSON.parse(r.evidenceJson) },
    })),
    next: rows.length === q.limit ? rows[rows.length - 1]!.id : null,
  }, 200);
});

const PayoutQuery = ListQuery.omit({ product: true }).extend({
  incident: z.coerce.number().int().min(1).optional().openapi({ param: { name: "incident", in: "query" }, type: "integer" }),
}).strict();
const payouts = createRoute({
  method: "get",
  path: "/v1/payouts",
  tags: ["incidents"],
  summary: "Payouts per policy (paid or deferred to a claimable balance), as indexed from the chain",
  request: { query: PayoutQuery },
  responses: { 200: { description: "a page of payouts", content: { "application/json": { schema: z.object({ payouts: z.array(Payout), next: z.int().nullable() }) } } }, ...problemResponses(400) },
});
export const poolRoutes = routes2.openapi(payouts, async (c) => {
  const q = c.req.valid("query");
  const rows = await listPayouts(c.env.DB, q.incident, q.after, q.limit);
  return c.json({ payouts: rows.map((r) => ({ ...r, recipient: getAddress(r.recipient) })), next: rows.length === q.limit ? rows[rows.length - 1]!.policyId : null }, 200);
});
