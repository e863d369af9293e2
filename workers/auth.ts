import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { createMiddleware } from "hono/factory";
import { apiKeys } from "../db/schema";
import type { AppEnv } from "./env";
import { forbidden, unauthorized } from "./errors";
import { constantTimeEqual, hashApiKey } from "./keys";

export type Scope = "admin" | "integrator";
export type Caller = { apiKeyId: number; name: string; scopes: Scope[]; integrator: string | null };

/** The caller behind `Authorization: Bearer <key>`, or null when no key was sent. */
export async function authenticate(db: D1Database, header: string | undefined): Promise<Caller | null> {
  if (!header) return null;
  const m = /^Bearer\s+(tw_[0-9a-f]{64})$/.exec(header.trim());
  if (!m) throw unauthorized("The Authorization header must be `Bearer tw_…` with a valid API key.");
  const hash = await hashApiKey(m[1]!);
  const [row] = await drizzle(db).select().from(apiKeys).where(eq(apiKeys.keyHash, hash)).limit(1);
  if (!row || row.revokedAt !== null || !constantTimeEqual(row.keyHash, hash)) throw unauthorized("The API key is unknown or revoked.");
  return { apiKeyId: row.id, name: row.name, scopes: row.scopes.split(",").filter(Boolean) as Scope[], integrator: row.integrator };
}

/** Requires an API key with `scope` (admin keys pass every scope). */
export const requireScope = (scope: Scope) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const caller = await authenticate(c.env.DB, c.req.header("authorization"));
    if (!caller) throw unauthorized("This route needs an API key: `Authorization: Bearer tw_…`.");
    if (!caller.scopes.includes(scope) && !caller.scopes.includes("admin")) throw forbidden(`This route needs the ${scope} scope.`);
    c.set("caller", caller);
    await next();
  });
