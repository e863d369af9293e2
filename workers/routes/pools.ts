import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { getAddress } from "viem";
import { listIncidents, listPayouts } from "../../db/queries/incidents";
import { premiumsReceived } from "../../db/queries/policies";
import { ONE_SHARE, readPoolState } from "../chain/actions/readPoolState";
import { chainClient } from "../chain/client";
import { deploymentOf } from "../chain/deployment";
import type { AppEnv } from "../env";
import { PUBLIC, problemResponses, SincePageQuery } from "../schemas/common";
import { Incident, ListQuery, Payout, Pool, PoolSnapshot } from "../schemas/pool";
import { listSnapshots } from "../../db/queries/poolSnapshots";
import { defaultHook } from "./hook";
import { scenarioTable } from "../pricing/stress";
import { loadStress } from "../services/stress";

/** Routes are chained (each call adds its route to the type) so `hc<AppType>` knows every one. */
const routes0 = new OpenAPIHono<AppEnv>({ defaultHook });

const pools = createRoute({
  method: "get",
  path: "/v1/pools",
  operationId: "listPools",
  security: PUBLIC,
  tags: ["pool"],
  summary: "The pool, read live: assets, cover, unearned premium, pending liability, free capital, capacity, utilisation, cooldown, and its stress scenarios",
  responses: { 200: { description: "the pools", content: { "application/json": { schema: z.object({ pools: z.array(Pool) }) } } }, ...problemResponses(401, 429, 503) },
});
const routes1 = routes0.openapi(pools, async (c) => {
  const { chainId } = c.var.config;
  const dep = await deploymentOf(c.env.DB, chainId);
  const client = chainClient(c.var.config);
  const [p, stress] = await Promise.all([readPoolState(client, dep.pool), loadStress(c.env.DB, client, dep)]);
  const received = await premiumsReceived(c.env.DB, chainId);
  return c.json({
    pools: [{
      chainId,
      address: dep.pool,
      asset: getAddress(dep.asset),
      totalAssets: p.totalAssets.toString(),
      activeCover: p.activeCover.toString(),
      unearnedPremium: p.unearnedPremium.toString(),
      premiumIncome: { received: received.toString(), earned: (received > p.unearnedPremium ? received - p.unearnedPremium : 0n).toString() },
      pendingLiability: p.pendingLiability.toString(),
      freeCapital: p.freeCapital.toString(),
      capacityLeft: p.capacityLeft.toString(),
      utilisationBps: p.capacity === 0n ? (p.activeCover > 0n ? 10_000 : 0) : Number((p.activeCover * 10_000n) / p.capacity),
      leverageBps: p.leverageBps,
      cooldownSeconds: p.cooldownSeconds,
      totalShares: p.totalShares.toString(),
      sharePrice: { assets: p.assetsPerShare.toString(), perShares: ONE_SHARE.toString() },
      blockNumber: Number(p.blockNumber),
      stressScenarios: scenarioTable(stress.scenarios, p.totalAssets, p.pendingLiability).map((x) => ({ ...x, loss: x.loss.toString(), assets: x.assets.toString() })),
    }],
  }, 200);
});

const incidents = createRoute({
  method: "get",
  path: "/v1/incidents",
  operationId: "listIncidents",
  security: PUBLIC,
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
  operationId: "listPayouts",
  security: PUBLIC,
  tags: ["incidents"],
  summary: "Payouts per policy (paid or deferred to a claimable balance), as indexed from the chain",
  request: { query: PayoutQuery },
  responses: { 200: { description: "a page of payouts", content: { "application/json": { schema: z.object({ payouts: z.array(Payout), next: z.int().nullable() }) } } }, ...problemResponses(400) },
});
const routes3 = routes2.openapi(payouts, async (c) => {
  const q = c.req.valid("query");
  const rows = await listPayouts(c.env.DB, q.incident, q.after, q.limit);
  return c.json({ payouts: rows.map((r) => ({ ...r, recipient: getAddress(r.recipient) })), next: rows.length === q.limit ? rows[rows.length - 1]!.policyId : null }, 200);
});

const history = createRoute({
  method: "get",
  path: "/v1/pools/history",
  operationId: "listPoolHistory",
  security: PUBLIC,
  tags: ["pool"],
  summary: "The pool over time as the keeper read it (at most every 15 minutes): assets, shares, active cover, pending liability, share price",
  request: { query: SincePageQuery },
  responses: { 200: { description: "a page of snapshots, oldest first", content: { "application/json": { schema: z.object({ snapshots: z.array(PoolSnapshot), next: z.int().nullable() }) } } }, ...problemResponses(400) },
});
export const poolRoutes = routes3.openapi(history, async (c) => {
  const q = c.req.valid("query");
  const rows = await listSnapshots(c.env.DB, c.var.config.chainId, q.since, q.after, q.limit);
  return c.json({
    snapshots: rows.map((r) => ({
      id: r.id, blockNumber: r.blockNumber, observedAt: r.observedAt, totalAssets: r.totalAssets, totalShares: r.totalShares, activeCover: r.activeCover,
      pendingLiability: r.pendingLiability, sharePrice: { assets: r.assetsPerShare, perShares: ONE_SHARE.toString() },
    })),
    next: rows.length === q.limit ? rows[rows.length - 1]!.id : null,
  }, 200);
});
