import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";

/** One round trip to D1 (readiness). */
export async function pingDatabase(db: D1Database): Promise<void> {
  await drizzle(db).run(sql`select 1`);
}
