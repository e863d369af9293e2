import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { recordQuote } from "../../db/queries/quoting";
import { chainClient } from "../chain/client";
import type { AppEnv } from "../env";
import { KEY_OPTIONAL, problemResponses } from "../schemas/common";
import { BatchQuoteRequest, BatchQuoteResponse, QuoteRequest, QuoteResponse } from "../schemas/quote";
import { createQuote, priceOptions, type QuoteDeps } from "../services/quotes";
import type { Config } from "../config";
import type { Env } from "../env";
import { getAddress, type Address } from "viem";
import { defaultHook } from "./hook";

/** Routes are chained (each call adds its route to the type) so `hc<AppType>` knows every one. */
const routes0 = new OpenAPIHono<AppEnv>({ defaultHook });

const post = createRoute({
  method: "post",
  path: "/v1/quotes",
  operationId: "createQuote",
  security: KEY_OPTIONAL,
  tags: ["cover"],
  summary: "Price and sign a quote: premium with breakdown, capacity, solvency, EIP-712 quote, signature and ready calldata",
  description: "Anonymous, or with an integrator or admin API key to attribute the quote to the caller.",
  request: { body: { required: true, content: { "application/json": { schema: QuoteRequest } } } },
  responses: {
    201: { description: "a signed quote, usable once until expiresAt", content: { "application/json": { schema: QuoteResponse } } },
    ...problemResponses(400, 401, 404, 409, 415, 422, 503),
  },
});

function quoteDeps(env: Env, cfg: Config): QuoteDeps {
  const { chainId } = cfg;
  return {
    db: env.DB,
    client: chainClient(cfg),
    chainId,
    signerKey: cfg.quoteSignerKey ?? undefined,
    allocateQuote: (floor, hold) => env.QUOTE_SEQUENCER.get(env.QUOTE_SEQUENCER.idFromName(`quotes:${chainId}`)).allocate(floor, hold),
    ttlSeconds: cfg.quoteTtlSeconds,
    minimumPremium: cfg.minimumPremium,
    now: Math.floor(Date.now() / 1000),
  };
}

const integratorOf = (caller: { integrator: string | null } | null): Address | null => (caller?.integrator ? getAddress(caller.integrator) : null);

const routes1 = routes0.openapi(post, async (c) => {
  const env = c.env;
  // An API key is optional here; when sent it must be valid, and the quote is attributed to it
  // (and names its integrator address, with the integrator's on-chain fee rate).
  const caller = c.get("caller");
  const { response, record } = await createQuote(quoteDeps(env, c.var.config), c.req.valid("json"), integratorOf(caller));
  // Recorded after the response: the write starts on a later task, once the response is out.
  const db = env.DB;
  c.executionCtx.waitUntil(
    new Promise((resolve) => setTimeout(resolve, 0))
      .then(() => recordQuote(db, { ...record, apiKeyId: caller?.apiKeyId ?? null }))
      .catch((err) => console.error("recordQuote failed", err)),
  );
  return c.json(response, 201);
});

const batch = createRoute({
  method: "post",
  path: "/v1/quotes/batch",
  operationId: "priceQuotes",
  security: KEY_OPTIONAL,
  tags: ["cover"],
  summary: "Price one product for several amounts and durations in one call (unsigned; for a deposit screen)",
  description:
    "Reads the product's state once and prices every (amount, duration) pair: premium, annual rate, the integrator's share and the pool's, solvency. " +
    "A pair that cannot be sold carries its problem instead. Nothing is signed: quote the chosen option with POST /v1/quotes. " +
    "Anonymous, or with an API key whose integrator is shown its fee.",
  request: { body: { required: true, content: { "application/json": { schema: BatchQuoteRequest } } } },
  responses: {
    200: { description: "one option per pair", content: { "application/json": { schema: BatchQuoteResponse } } },
    ...problemResponses(400, 401, 404, 409, 415, 422, 503),
  },
});

export const quoteRoutes = routes1.openapi(batch, async (c) => {
  const caller = c.get("caller");
  return c.json(await priceOptions(quoteDeps(c.env, c.var.config), c.req.valid("json"), integratorOf(caller)), 200);
});
