import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env";
import { problem } from "./errors";
import { hashApiKey } from "./keys";

/**
 * Workers Rate Limiting on /v1: callers with an API key are limited per key (identified by a hash
 * of the key as sent, so no D1 lookup is spent on it), anonymous callers per client address.
 * A request with neither (local development, no CF-Connecting-IP) is not limited.
 */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const auth = c.req.header("authorization");
  const ip = c.req.header("cf-connecting-ip");
  let limited = false;
  if (auth) {
    limited = !(await c.env.RATE_LIMIT_KEYED.limit({ key: `key:${(await hashApiKey(auth)).slice(0, 32)}` })).success;
  } else if (ip) {
    limited = !(await c.env.RATE_LIMIT_ANON.limit({ key: `ip:${ip}` })).success;
  }
  if (limited) {
    throw problem("rate-limited", "Slow down: the rate limit for this caller is reached; retry in a minute.", { retryAfterSeconds: 60 });
  }
  await next();
});
