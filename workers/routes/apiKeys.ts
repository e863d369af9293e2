import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { getAddress } from "viem";
import { insertApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from "../../db/queries/apiKeys";
import { requireScope } from "../auth";
import type { AppEnv } from "../env";
import { notFound } from "../errors";
import { hashApiKey, newApiKey } from "../keys";
import { Address, KEY_REQUIRED, problemResponses } from "../schemas/common";
import { defaultHook } from "./hook";

/** Routes are chained (each call adds its route to the type) so `hc<AppType>` knows every one. */
const routes0 = new OpenAPIHono<AppEnv>({ defaultHook });

const ApiKeyInput = z
  .strictObject({
    name: z.string().min(1).max(100).openapi({ example: "Acme Vaults" }),
    scopes: z.array(z.enum(["admin", "integrator"])).min(1).max(2),
    integrator: Address.optional().openapi({ description: "integrator keys: the address named in their quotes and paid its fee (set the rate on-chain with setIntegratorFee)" }),
  })
  .refine((k) => !k.scopes.includes("integrator") || k.integrator !== undefined, { message: "an integrator key needs its integrator address", path: ["integrator"] })
  .openapi("ApiKeyInput");
const ApiKey = z
  .object({
    id: z.int(), name: z.string(), prefix: z.string().openapi({ description: "the key's first characters, to tell keys apart" }),
    scopes: z.array(z.string()), integrator: Address.nullable(), createdAt: z.int(), revokedAt: z.int().nullable(),
  })
  .openapi("ApiKey");
const KeyId = z.coerce.number().int().min(1).max(2 ** 31).openapi({ param: { name: "id", in: "path" } });

const view = (r: ApiKeyRow) => ({
  id: r.id, name: r.name, prefix: r.prefix, scopes: r.scopes.split(",").filter(Boolean), integrator: r.integrator, createdAt: r.createdAt, revokedAt: r.revokedAt,
});

const routes1 = routes0.openapi(
  createRoute({
    method: "post",
    path: "/v1/admin/api-keys",
    operationId: "createApiKey",
    security: KEY_REQUIRED,
    tags: ["admin"],
    summary: "Issue an API key (admin key); the key is returned once, only its hash is stored",
    middleware: [requireScope("admin")] as const,
    request: { body: { required: true, content: { "application/json": { schema: ApiKeyInput } } } },
    responses: {
      201: { description: "issued", content: { "application/json": { schema: ApiKey.extend({ key: z.string() }) } } },
      ...problemResponses(400, 401, 403, 415, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const key = newApiKey();
    const row = await insertApiKey(c.env.DB, { keyHash: await hashApiKey(key), prefix: key.slice(0, 10), name: body.name, scopes: [...new Set(body.scopes)].join(","), integrator: body.integrator ? getAddress(body.integrator) : null });
    return c.json({ ...view(row), key }, 201);
  },
);

const routes2 = routes1.openapi(
  createRoute({
    method: "get",
    path: "/v1/admin/api-keys",
    operationId: "listApiKeys",
    security: KEY_REQUIRED,
    tags: ["admin"],
    summary: "API keys issued, newest first (admin key); never the keys themselves",
    middleware: [requireScope("admin")] as const,
    responses: { 200: { description: "keys", content: { "application/json": { schema: z.object({ keys: z.array(ApiKey) }) } } }, ...problemResponses(401, 403) },
  }),
  async (c) => {
    const rows = await listApiKeys(c.env.DB);
    return c.json({ keys: rows.map(view) }, 200);
  },
);

export const apiKeyRoutes = routes2.openapi(
  createRoute({
    method: "delete",
    path: "/v1/admin/api-keys/{id}",
    operationId: "revokeApiKey",
    security: KEY_REQUIRED,
    tags: ["admin"],
    summary: "Revoke an API key (admin key): it stops working at once; its history stays",
    middleware: [requireScope("admin")] as const,
    request: { params: z.object({ id: KeyId }) },
    responses: { 204: { description: "revoked" }, ...problemResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    if (!(await revokeApiKey(c.env.DB, id, Math.floor(Date.now() / 1000)))) throw notFound(`API key ${id} (or it is already revoked)`);
    return c.body(null, 204);
  },
);
