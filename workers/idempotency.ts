import { createMiddleware } from "hono/factory";
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from "../db/queries/idempotency";
import type { AppEnv } from "./env";
import { problem } from "./errors";
import { hashApiKey } from "./keys";

const TTL_SECONDS = 24 * 3600;

/**
 * `Idempotency-Key` with the usual semantics: the same key and body replays the first response
 * (with `Idempotent-Replayed: true`), the same key with another body is 422, a request still in
 * flight with that key is 409. Keys are scoped to the caller (API key, else client address).
 * Server errors release the key so a retry can run.
 */
export const idempotent = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (!key) return next();
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw problem("idempotency-key-invalid", "Use 1 to 255 visible ASCII characters.");
  }
  const caller = c.get("caller");
  const scope = `${caller ? `key:${caller.apiKeyId}` : `ip:${c.req.header("cf-connecting-ip") ?? "local"}`} ${c.req.method} ${c.req.path}`;
  const body = await c.req.raw.clone().text();
  const requestHash = await hashApiKey(body);
  const now = Math.floor(Date.now() / 1000);
  const claim = await claimIdempotencyKey(c.env.DB, { scope, key, requestHash, now, ttlSeconds: TTL_SECONDS });
  if (!claim.claimed) {
    const e = claim.existing;
    if (e.requestHash !== requestHash) {
      throw problem("idempotency-key-reused", "This key was used with a different request body.");
    }
    if (e.status === "in_flight") {
      throw problem("idempotency-key-in-flight", "A request with this key is still being processed; retry later.");
    }
    return c.body(e.responseBody ?? "", (e.responseStatus ?? 200) as 200, {
      "content-type": (e.responseStatus ?? 200) >= 400 ? "application/problem+json" : "application/json",
      "idempotent-replayed": "true",
    });
  }
  try {
    await next();
  } catch (err) {
    await releaseIdempotencyKey(c.env.DB, scope, key);
    throw err;
  }
  if (c.res.status >= 500) {
    await releaseIdempotencyKey(c.env.DB, scope, key);
    return;
  }
  await completeIdempotencyKey(c.env.DB, scope, key, c.res.status, await c.res.clone().text());
});
