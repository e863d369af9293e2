import { and, asc, eq, gt, gte } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { observations, products } from "../schema";

/** The keeper's recorded readings of one product (only changed readings are recorded), oldest first, paged by id. */
export async function listReadings(db: D1Database, productId: number, after: number, since: number, limit: number) {
  return drizzle(db)
    .select()
    .from(observations)
    .where(and(eq(observations.productId, productId), gt(observations.id, after), gte(observations.observedAt, since)))
    .orderBy(asc(observations.id))
    .limit(limit);
}

/** Whether the catalog knows the product (a page of readings for an unknown one is a 404, not an empty page). */
export async function productExists(db: D1Database, productId: number): Promise<boolean> {
  const row = await drizzle(db).select({ id: products.id }).from(products).where(eq(products.id, productId)).get();
  return row !== undefined;
}
