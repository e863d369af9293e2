import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { recordQuote } from "../../db/queries/quoting";
import { authenticate } from "../auth";
import { chainClient } from "../chain/client";
import type { AppEnv } from "../env";
import { problemResponses } from "../schemas/common";
import { QuoteRequest, QuoteResponse } from "../schemas/quote";
import { createQuote } from "../services/quotes";
import { defaultHook } from "./hook";

export const quoteRoutes = new OpenAPIHono<AppEnv>({ defaultHook });

const post = createRoute({
  method: "post",
  path: "/v1/quotes",
  tags: ["cover"],
  summary: "Price and sign a quote: premium with breakdown, capacity, solvency, EIP-712 quote, signature and ready calldata",
  description: "Anonymous, or with an integrator or admin API key to attribute the quote to the caller.",
  request: { body: { required: true, content: { "application/json": { schema: QuoteRequest } } } },
  responses: {
    201: { description: "a signed quote, usable once until expiresAt", content: { "application/json": { schema: QuoteResponse } } },
    ...problemResponses(400, 401, 404, 409, 415, 422, 503),
  },
});

quoteRoutes.openapi(post, async (c) => {
  const env = c.env;
  const chainId = Number(env.CHAIN_ID);
  // An API key is optional here; when sent it must be valid, and the quote is attributed to it.
  const caller = await authenticate(env.DB, c.req.header("authorization"));
  const { response, record } = await createQuote(
    {
      db: env.DB,
      client: chainClient(env),
      chainId,
      signerKey: env.QUOTE_SIGNER_KEY,
      nextQuoteId: (floor) => env.QUOTE_SEQUENCER.get(env.QUOTE_SEQUENCER.idFromName(`quotes:${chainId}`)).next(floor),
      ttlSeconds: Number(env.QUOTE_TTL_SECONDS),
      minimumPremium: BigInt(env.MIN_PREMIUM),
      nearTriggerBps: Number(env.NEAR_TRIGGER_BPS),
      now: Math.floor(Date.now() / 1000),
    },
    c.req.valid("json"),
  );
  // Recorded after the response: the write starts on a later task, once the response is out.
  const db = env.DB;
  c.executionCtx.waitUntil(
    new Promise((resolve) => setTimeout(resolve, 0))
      .then(() => recordQuote(db, { ...record, apiKeyId: caller?.apiKeyId ?? null }))
      .catch((err) => console.error("recordQuote failed", err)),
  );
  return c.json(response, 201);
});
