import { and, desc, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { apiKeys } from "../schema";

/** api_keys: issued keys (only their hashes), scopes, revocation. */

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export async function insertApiKey(db: D1Database, k: { keyHash: string; prefix: string; name: string; scopes: string; integrator: string | null }): Promise<ApiKeyRow> {
  const [row] = await drizzle(db).insert(apiKeys).values(k).returning();
  return row!;
}

/** Newest first, at most `limit`. */
export async function listApiKeys(db: D1Database, limit = 500): Promise<ApiKeyRow[]> {
  return drizzle(db).select().from(apiKeys).orderBy(desc(apiKeys.id)).limit(limit);
}

export async function apiKeyByHash(db: D1Database, keyHash: string): Promise<ApiKeyRow | undefined> {
  const [row] = await drizzle(db).select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).limit(1);
  return row;
}

/** Revokes a live key; false when there is none with that id (or it is already revoked). */
export async function revokeApiKey(db: D1Database, id: number, now: number): Promise<boolean> {
  const rows = await drizzle(db)
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}
