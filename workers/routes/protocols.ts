import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { requireScope } from "../auth";
import type { AppEnv } from "../env";
import { KEY_REQUIRED, PUBLIC, problemResponses } from "../schemas/common";
import { Protocol, ProtocolId, ProtocolInput } from "../schemas/protocol";
import { listProtocolViews, protocolViewById, saveProtocol } from "../services/protocols";
import { defaultHook } from "./hook";

/** Routes are chained (each call adds its route to the type) so `hc<AppType>` knows every one. */
const routes0 = new OpenAPIHono<AppEnv>({ defaultHook });
const nowSeconds = () => Math.floor(Date.now() / 1000);

const list = createRoute({
  method: "get",
  path: "/v1/protocols",
  operationId: "listProtocols",
  security: PUBLIC,
  tags: ["catalog"],
  summary: "Covered protocols, their risk inputs and how they are priced",
  responses: {
    200: { description: "every protocol", content: { "application/json": { schema: z.object({ protocols: z.array(Protocol) }) } } },
    ...problemResponses(401, 429),
  },
});
const routes1 = routes0.openapi(list, async (c) => c.json({ protocols: await listProtocolViews(c.env.DB, nowSeconds()) }, 200));

const get = createRoute({
  method: "get",
  path: "/v1/protocols/{id}",
  operationId: "getProtocol",
  security: PUBLIC,
  tags: ["catalog"],
  summary: "One protocol",
  request: { params: z.object({ id: ProtocolId }) },
  responses: {
    200: { description: "the protocol", content: { "application/json": { schema: Protocol } } },
    ...problemResponses(400, 404),
  },
});
const routes2 = routes1.openapi(get, async (c) => c.json(await protocolViewById(c.env.DB, c.req.valid("param").id, nowSeconds()), 200));

const put = createRoute({
  method: "put",
  path: "/v1/admin/protocols/{id}",
  operationId: "upsertProtocol",
  security: KEY_REQUIRED,
  tags: ["admin"],
  summary: "Create or replace a protocol and its risk inputs (admin)",
  middleware: [requireScope("admin")] as const,
  request: {
    params: z.object({ id: ProtocolId }),
    body: { required: true, content: { "application/json": { schema: ProtocolInput } } },
  },
  responses: {
    200: { description: "replaced", content: { "application/json": { schema: Protocol } } },
    201: { description: "created", content: { "application/json": { schema: Protocol } } },
    ...problemResponses(400, 401, 403, 415),
  },
});
export const protocolRoutes = routes2.openapi(put, async (c) => {
  const { protocol, created } = await saveProtocol(c.env.DB, c.req.valid("param").id, c.req.valid("json"), nowSeconds());
  return created ? c.json(protocol, 201) : c.json(protocol, 200);
});
