import { createMiddleware } from "hono/factory";
import { apiKeyByHash } from "../db/queries/apiKeys";
import type { AppEnv, Caller, Scope } from "./env";
import { forbidden, unauthorized } from "./errors";
import { constantTimeEqual, hashApiKey } from "./keys";

/** The caller behind `Authorization: Bearer <key>`, or null when no key was sent. */
async function authenticate(db: D1Database, header: string | undefined): Promise<Caller | null> {
  if (!header) return null;
  const m = /^Bearer\s+(tw_[0-9a-f]{64})$/.exec(header.trim());
  if (!m) throw unauthorized("The Authorization header must be `Bearer tw_…` with a valid API key.");
  const hash = await hashApiKey(m[1]!);
  const row = await apiKeyByHash(db, hash);
  if (!row || row.revokedAt !== null || !constantTimeEqual(row.keyHash, hash)) throw unauthorized("The API key is unknown or revoked.");
  return { apiKeyId: row.id, name: row.name, scopes: row.scopes.split(",").filter(Boolean) as Scope[], integrator: row.integrator };
}

/**
 * Who is calling, once per request (/v1): `c.var.caller` is the API key's caller, or null for an
 * anonymous request. A key that is sent must be valid, on every route (401 otherwise).
 */
export const identify = createMiddleware<AppEnv>(async (c, next) => {
  c.set("caller", await authenticate(c.env.DB, c.req.header("authorization")));
  await next();
});

/** Requires an API key with `scope` (admin keys pass every scope); reads what `identify` set. */
export const requireScope = (scope: Scope) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const caller = c.get("caller");
    if (!caller) throw unauthorized("This route needs an API key: `Authorization: Bearer tw_…`.");
    if (!caller.scopes.includes(scope) && !caller.scopes.includes("admin")) throw forbidden(`This route needs the ${scope} scope.`);
    await next();
  });
