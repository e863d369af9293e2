import { asc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { keeperWatch, products, protocols } from "../schema";

export type ProductRow = typeof products.$inferSelect;
export type ProtocolRow = typeof protocols.$inferSelect;

/**
 * The keeper's own history of a product, as the premium model uses it (workers/pricing/frequency
 * `withOwnHistory`): the span of its valid observations, and on how many distinct days a reading
 * was at or past the trigger level (distance 0). Correlated subqueries on the observations index:
 * part of the one query that reads the product.
 */
export const historySelect = {
  from: sql<number | null>`(select min(o.observed_at) from observations o where o.product_id = ${products.id} and o.valid = 1)`,
  to: sql<number | null>`(select max(o.observed_at) from observations o where o.product_id = ${products.id} and o.valid = 1)`,
  daysAtTrigger: sql<number>`(select count(distinct o.observed_at / 86400) from observations o where o.product_id = ${products.id} and o.valid = 1 and o.distance_bps = 0)`,
};
export type ProductHistory = { from: number | null; to: number | null; daysAtTrigger: number };

/** Every product with its protocol, the keeper's last distance from its trigger and its history, in one query. */
export async function listProductsWithProtocols(db: D1Database): Promise<{ product: ProductRow; protocol: ProtocolRow; distanceBps: number | null; history: ProductHistory }[]> {
  return drizzle(db)
    .select({ product: products, protocol: protocols, distanceBps: keeperWatch.distanceBps, history: historySelect })
    .from(products)
    .innerJoin(protocols, eq(products.protocolId, protocols.id))
    .leftJoin(keeperWatch, eq(keeperWatch.productId, products.id))
    .orderBy(asc(products.id));
}

export async function getProductWithProtocol(db: D1Database, id: number) {
  const [row] = await drizzle(db)
    .select({ product: products, protocol: protocols, distanceBps: keeperWatch.distanceBps, history: historySelect })
    .from(products)
    .innerJoin(protocols, eq(products.protocolId, protocols.id))
    .leftJoin(keeperWatch, eq(keeperWatch.productId, products.id))
    .where(eq(products.id, id))
    .limit(1);
  return row;
}

export async function upsertProduct(db: D1Database, p: Omit<typeof products.$inferInsert, "updatedAt">): Promise<{ row: ProductRow; created: boolean }> {
  const d = drizzle(db);
  const [existing] = await d.select({ id: products.id }).from(products).where(eq(products.id, p.id!)).limit(1);
  const [row] = await d.insert(products).values(p).onConflictDoUpdate({ target: products.id, set: p }).returning();
  return { row: row!, created: existing === undefined };
}

/**
 * The catalog as the stress scenarios see it, in one query: every protocol's risk groups, with
 * each of its products' ids (a protocol without products appears once, with productId null).
 */
export async function riskCatalog(db: D1Database) {
  return drizzle(db)
    .select({ id: protocols.id, name: protocols.name, category: protocols.category, chains: protocols.chains, dependsOn: protocols.dependsOn, maxLossBps: protocols.maxLossBps, productId: products.id })
    .from(protocols)
    .leftJoin(products, eq(products.protocolId, protocols.id))
    .orderBy(asc(protocols.id), asc(products.id));
}
