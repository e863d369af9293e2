import { asc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { protocols } from "../schema";

export type ProtocolRow = typeof protocols.$inferSelect;
export type ProtocolWrite = Omit<typeof protocols.$inferInsert, "createdAt" | "updatedAt">;

export async function listProtocols(db: D1Database): Promise<ProtocolRow[]> {
  return drizzle(db).select().from(protocols).orderBy(asc(protocols.id));
}

export async function getProtocol(db: D1Database, id: string): Promise<ProtocolRow | undefined> {
  const [row] = await drizzle(db).select().from(protocols).where(eq(protocols.id, id)).limit(1);
  return row;
}

/** Inserts or replaces a protocol's record; returns the row and whether it was new. */
export async function upsertProtocol(db: D1Database, p: ProtocolWrite): Promise<{ row: ProtocolRow; created: boolean }> {
  const existed = (await getProtocol(db, p.id)) !== undefined;
  const [row] = await drizzle(db)
    .insert(protocols)
    .values(p)
    .onConflictDoUpdate({ target: protocols.id, set: { ...p, updatedAt: sql`(unixepoch())` } })
    .returning();
  return { row: row!, created: !existed };
}
