import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { requireScope } from "../auth";
import { chainClient } from "../chain/client";
import type { AppEnv } from "../env";
import { KEY_REQUIRED, PUBLIC, problemResponses, SincePageQuery } from "../schemas/common";
import { Product, ProductId, ProductInput, Reading } from "../schemas/product";
import { listReadings, productExists } from "../../db/queries/readings";
import { notFound } from "../errors";
import { getAddress } from "viem";
import { listProductViews, productViewById, registerProduct } from "../services/products";
import { defaultHook } from "./hook";

/** Routes are chained (each call adds its route to the type) so `hc<AppType>` knows every one. */
const routes0 = new OpenAPIHono<AppEnv>({ defaultHook });
const nowSeconds = () => Math.floor(Date.now() / 1000);

const list = createRoute({
  method: "get",
  path: "/v1/products",
  operationId: "listProducts",
  security: PUBLIC,
  tags: ["catalog"],
  summary: "Products: terms in words and as trigger parameters, terms hash, capacity left, indicative rate",
  responses: {
    200: { description: "every product", content: { "application/json": { schema: z.object({ products: z.array(Product) }) } } },
    ...problemResponses(401, 429, 503),
  },
});
const routes1 = routes0.openapi(list, async (c) =>
  c.json({ products: await listProductViews(c.env.DB, chainClient(c.var.config), c.var.config.chainId, nowSeconds()) }, 200),
);

const get = createRoute({
  method: "get",
  path: "/v1/products/{id}",
  operationId: "getProduct",
  security: PUBLIC,
  tags: ["catalog"],
  summary: "One product",
  request: { params: z.object({ id: ProductId }) },
  responses: { 200: { description: "the product", content: { "application/json": { schema: Product } } }, ...problemResponses(400, 404, 503) },
});
const routes2 = routes1.openapi(get, async (c) =>
  c.json(await productViewById(c.env.DB, chainClient(c.var.config), c.var.config.chainId, c.req.valid("param").id, nowSeconds()), 200),
);

const put = createRoute({
  method: "put",
  path: "/v1/admin/products/{id}",
  operationId: "registerProduct",
  security: KEY_REQUIRED,
  tags: ["admin"],
  summary: "Register an on-chain product in the catalog (admin): the market is the source of its trigger, cap and terms hash",
  middleware: [requireScope("admin")] as const,
  request: { params: z.object({ id: ProductId }), body: { required: true, content: { "application/json": { schema: ProductInput } } } },
  responses: {
    200: { description: "updated", content: { "application/json": { schema: Product } } },
    201: { description: "registered", content: { "application/json": { schema: Product } } },
    ...problemResponses(400, 401, 403, 415, 422, 503),
  },
});
const routes3 = routes2.openapi(put, async (c) => {
  const { product, created } = await registerProduct(c.env.DB, chainClient(c.var.config), c.var.config.chainId, c.req.valid("param").id, c.req.valid("json"), nowSeconds());
  return created ? c.json(product, 201) : c.json(product, 200);
});

const readings = createRoute({
  method: "get",
  path: "/v1/products/{id}/readings",
  operationId: "listProductReadings",
  security: PUBLIC,
  tags: ["catalog"],
  summary: "The keeper's readings of a product's trigger over time (each change it saw), with the evidence: round id, answer, block, validity",
  request: { params: z.object({ id: ProductId }), query: SincePageQuery },
  responses: {
    200: { description: "a page of readings, oldest first", content: { "application/json": { schema: z.object({ readings: z.array(Reading), next: z.int().nullable() }) } } },
    ...problemResponses(400, 404),
  },
});
export const productRoutes = routes3.openapi(readings, async (c) => {
  const { id } = c.req.valid("param");
  const q = c.req.valid("query");
  if (!(await productExists(c.env.DB, id))) throw notFound(`Product ${id}`);
  const rows = await listReadings(c.env.DB, id, q.after, q.since, q.limit);
  return c.json({
    readings: rows.map((r) => ({
      id: r.id, source: getAddress(r.source), roundId: r.roundId, answer: r.answer, updatedAt: r.updatedAt, paused: r.paused,
      valid: r.valid, problem: r.problem, distanceBps: r.distanceBps, blockNumber: r.blockNumber, observedAt: r.observedAt,
    })),
    next: rows.length === q.limit ? rows[rows.length - 1]!.id : null,
  }, 200);
});
