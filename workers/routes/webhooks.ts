import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { deactivateWebhook, deliveriesOf, insertWebhook, webhookOf, webhooksOf, type WebhookRow } from "../../db/queries/webhooks";
import { requireScope } from "../auth";
import type { AppEnv } from "../env";
import { notFound } from "../errors";
import { KEY_REQUIRED, problemResponses } from "../schemas/common";
import { defaultHook } from "./hook";

/** Routes are chained (each call adds its route to the type) so `hc<AppType>` knows every one. */
const routes0 = new OpenAPIHono<AppEnv>({ defaultHook });

export const WEBHOOK_EVENTS = ["incident.opened", "incident.confirmed", "payout.sent", "policy.expiring", "oracle.invalid"] as const;

const HookUrl = z
  .url()
  .max(2_000)
  .refine((u) => {
    const url = new URL(u);
    return url.protocol === "https:" || (url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname));
  }, "must be https (plain http only for localhost)")
  .openapi({ example: "https://example.com/hooks/tripwire" });

const WebhookInput = z
  .strictObject({ url: HookUrl, events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length) })
  .openapi("WebhookInput");
const Webhook = z
  .object({ id: z.int(), url: z.string(), events: z.array(z.string()), active: z.boolean(), createdAt: z.int() })
  .openapi("Webhook");
const Delivery = z
  .object({
    id: z.int(), eventType: z.string(), eventId: z.string(), attempt: z.int(), status: z.enum(["pending", "delivered", "failed"]),
    responseStatus: z.int().nullable(), nextAttemptAt: z.int().nullable(), createdAt: z.int(),
  })
  .openapi("WebhookDelivery");
const HookId = z.coerce.number().int().min(1).max(2 ** 31).openapi({ param: { name: "id", in: "path" } });

const view = (r: WebhookRow) => ({ id: r.id, url: r.url, events: r.events.split(","), active: r.active, createdAt: r.createdAt });

/** 32 random bytes as hex: the HMAC key for one hook's signatures, shown once at creation. */
const newSecret = () => `whsec_${[...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("")}`;

const routes1 = routes0.openapi(
  createRoute({
    method: "post",
    path: "/v1/webhooks",
    operationId: "createWebhook",
    security: KEY_REQUIRED,
    tags: ["webhooks"],
    summary: "Register a webhook (admin or integrator key); the signing secret is returned once",
    description:
      "Events: incident.opened, incident.confirmed, payout.sent, policy.expiring (24 h before the end), oracle.invalid. Each delivery is a POST of " +
      "`{id, type, createdAt, data}` with `tripwire-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>`; non-2xx answers are retried " +
      "with backoff (30 s doubling, 8 attempts). Integrator keys receive policy events for their own policies only.",
    middleware: [requireScope("integrator")] as const,
    request: { body: { required: true, content: { "application/json": { schema: WebhookInput } } } },
    responses: {
      201: { description: "registered", content: { "application/json": { schema: Webhook.extend({ secret: z.string() }) } } },
      ...problemResponses(400, 401, 403, 415, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const caller = c.get("caller")!;
    const secret = newSecret();
    const row = await insertWebhook(c.env.DB, { apiKeyId: caller.apiKeyId, url: body.url, secret, events: [...new Set(body.events)].join(",") });
    return c.json({ ...view(row), secret }, 201);
  },
);

const routes2 = routes1.openapi(
  createRoute({
    method: "get",
    path: "/v1/webhooks",
    operationId: "listWebhooks",
    security: KEY_REQUIRED,
    tags: ["webhooks"],
    summary: "The caller's webhooks",
    middleware: [requireScope("integrator")] as const,
    responses: { 200: { description: "webhooks", content: { "application/json": { schema: z.object({ webhooks: z.array(Webhook) }) } } }, ...problemResponses(401, 403) },
  }),
  async (c) => {
    const rows = await webhooksOf(c.env.DB, c.get("caller")!.apiKeyId);
    return c.json({ webhooks: rows.map(view) }, 200);
  },
);

async function ownHook(db: D1Database, apiKeyId: number, id: number) {
  const row = await webhookOf(db, apiKeyId, id);
  if (!row) throw notFound(`Webhook ${id}`);
  return row;
}

const routes3 = routes2.openapi(
  createRoute({
    method: "delete",
    path: "/v1/webhooks/{id}",
    operationId: "deactivateWebhook",
    security: KEY_REQUIRED,
    tags: ["webhooks"],
    summary: "Deactivate a webhook (its delivery history stays)",
    middleware: [requireScope("integrator")] as const,
    request: { params: z.object({ id: HookId }) },
    responses: { 204: { description: "deactivated" }, ...problemResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const row = await ownHook(c.env.DB, c.get("caller")!.apiKeyId, c.req.valid("param").id);
    await deactivateWebhook(c.env.DB, row.id);
    return c.body(null, 204);
  },
);

export const webhookRoutes = routes3.openapi(
  createRoute({
    method: "get",
    path: "/v1/webhooks/{id}/deliveries",
    operationId: "listWebhookDeliveries",
    security: KEY_REQUIRED,
    tags: ["webhooks"],
    summary: "Delivery attempts of one webhook, newest first (pass `next` as `before`)",
    middleware: [requireScope("integrator")] as const,
    request: {
      params: z.object({ id: HookId }),
      query: z.strictObject({ before: z.coerce.number().int().min(1).max(2 ** 53).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }),
    },
    responses: {
      200: { description: "attempts", content: { "application/json": { schema: z.object({ deliveries: z.array(Delivery), next: z.int().nullable() }) } } },
      ...problemResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const row = await ownHook(c.env.DB, c.get("caller")!.apiKeyId, c.req.valid("param").id);
    const { before, limit } = c.req.valid("query");
    const rows = await deliveriesOf(c.env.DB, row.id, before, limit);
    return c.json({ deliveries: rows, next: rows.length === limit ? rows[rows.length - 1]!.id : null }, 200);
  },
);
