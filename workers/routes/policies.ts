import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Hex } from "viem";
import { chainClient } from "../chain/client";
import type { AppEnv } from "../env";
import { idempotent } from "../idempotency";
import { PUBLIC, problemResponses } from "../schemas/common";
import { PoliciesQuery, Policy, PolicyId, PurchaseRequest } from "../schemas/policy";
import { policiesOf, policyById, registerPurchase, relayPurchase } from "../services/policies";
import { defaultHook } from "./hook";

/** Routes are chained (each call adds its route to the type) so `hc<AppType>` knows every one. */
const routes0 = new OpenAPIHono<AppEnv>({ defaultHook });
const nowSeconds = () => Math.floor(Date.now() / 1000);

const purchase = createRoute({
  method: "post",
  path: "/v1/purchases",
  operationId: "registerPurchase",
  security: PUBLIC,
  tags: ["cover"],
  summary: "Register a purchase by transaction hash, or relay a buyer-signed purchase (acceptance + permit)",
  description:
    "`{txHash}`: the market's CoverPurchased events in that transaction become indexed policies (a repeat returns the same policies). " +
    "`{relay}`: the Worker's relayer submits buyCoverBySig, waits for it to be mined and returns the transaction and policy; " +
    "202 with the transaction when not yet mined. Both honour an Idempotency-Key header.",
  middleware: [idempotent] as const,
  request: {
    headers: z.object({ "idempotency-key": z.string().optional().openapi({ param: { name: "idempotency-key", in: "header" }, description: "replays the first response for a repeated request" }) }),
    body: { required: true, content: { "application/json": { schema: PurchaseRequest } } },
  },
  responses: {
    200: { description: "already registered", content: { "application/json": { schema: z.object({ policies: z.array(Policy) }) } } },
    201: { description: "registered (or relayed and mined)", content: { "application/json": { schema: z.object({ policies: z.array(Policy), txHash: z.string().optional() }) } } },
    202: { description: "relayed, not mined yet", content: { "application/json": { schema: z.object({ txHash: z.string(), policies: z.array(Policy) }) } } },
    ...problemResponses(400, 409, 415, 422, 503),
  },
});
const routes1 = routes0.openapi(purchase, async (c) => {
  const body = c.req.valid("json");
  const { chainId } = c.var.config;
  const client = chainClient(c.var.config);
  if ("relay" in body) {
    const relayer = c.var.config.relayer ?? undefined;
    const sender = c.env.TX_SENDER.get(c.env.TX_SENDER.idFromName(`relayer:${chainId}:${relayer ?? "none"}`));
    const result = await relayPurchase(c.env.DB, client, chainId, body.relay, relayer, (intentId, to, data) => sender.send("RELAYER_KEY", { intentId, kind: "relay", to, data, confirmations: 0, waitMs: 30_000 }), nowSeconds());
    return result.pending ? c.json({ txHash: result.txHash, policies: [] }, 202) : c.json({ txHash: result.txHash, policies: result.policies }, 201);
  }
  const { policies, created } = await registerPurchase(c.env.DB, client, chainId, body.txHash as Hex, nowSeconds());
  return created ? c.json({ policies }, 201) : c.json({ policies }, 200);
});

const byId = createRoute({
  method: "get",
  path: "/v1/policies/{id}",
  operationId: "getPolicy",
  security: PUBLIC,
  tags: ["cover"],
  summary: "One policy",
  request: { params: z.object({ id: PolicyId }) },
  responses: { 200: { description: "the policy", content: { "application/json": { schema: Policy } } }, ...problemResponses(400, 404) },
});
const routes2 = routes1.openapi(byId, async (c) => c.json(await policyById(c.env.DB, c.req.valid("param").id, nowSeconds()), 200));

const byOwner = createRoute({
  method: "get",
  path: "/v1/policies",
  operationId: "listPolicies",
  security: PUBLIC,
  tags: ["cover"],
  summary: "Policies of an owner, by id (pass `next` as `after` for the next page)",
  request: { query: PoliciesQuery },
  responses: {
    200: { description: "a page of policies", content: { "application/json": { schema: z.object({ policies: z.array(Policy), next: z.int().nullable() }) } } },
    ...problemResponses(400),
  },
});
export const policyRoutes = routes2.openapi(byOwner, async (c) => {
  const q = c.req.valid("query");
  return c.json(await policiesOf(c.env.DB, q.owner, q.after, q.limit, nowSeconds()), 200);
});
