import { and, eq, lt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { idempotencyKeys } from "../schema";

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

/** Claims (scope, key) for a request; returns the existing record when someone holds it already. */
export async function claimIdempotencyKey(
  db: D1Database,
  claim: { scope: string; key: string; requestHash: string; now: number; ttlSeconds: number },
): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRow }> {
  const d = drizzle(db);
  // An expired record frees its key.
  await d.delete(idempotencyKeys).where(and(eq(idempotencyKeys.scope, claim.scope), eq(idempotencyKeys.key, claim.key), lt(idempotencyKeys.expiresAt, claim.now)));
  const inserted = await d
    .insert(idempotencyKeys)
    .values({ scope: claim.scope, key: claim.key, requestHash: claim.requestHash, status: "in_flight", expiresAt: claim.now + claim.ttlSeconds })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (inserted.length === 1) return { claimed: true };
  const [existing] = await d.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.scope, claim.scope), eq(idempotencyKeys.key, claim.key)));
  return { claimed: false, existing: existing! };
}

export async function completeIdempotencyKey(db: D1Database, scope: string, key: string, status: number, body: string): Promise<void> {
  await drizzle(db)
    .update(idempotencyKeys)
    .set({ status: "done", responseStatus: status, responseBody: body })
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
}

/** Releases a claim whose request failed, so the client can retry with the same key. */
export async function releaseIdempotencyKey(db: D1Database, scope: string, key: string): Promise<void> {
  await drizzle(db).delete(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
}
