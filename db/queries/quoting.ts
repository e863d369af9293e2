import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { keeperWatch, products, protocols, quotes } from "../schema";
import { historySelect } from "./products";

/**
 * Everything a quote needs from D1 in one query: the product, its protocol, and the keeper's
 * latest observation of it (how close to tripping, and when), and its history (historySelect).
 */
export async function productForQuote(db: D1Database, productId: number) {
  const [row] = await drizzle(db)
    .select({ product: products, protocol: protocols, distanceBps: keeperWatch.distanceBps, history: historySelect })
    .from(products)
    .innerJoin(protocols, eq(products.protocolId, protocols.id))
    .leftJoin(keeperWatch, eq(keeperWatch.productId, products.id))
    .where(eq(products.id, productId))
    .limit(1);
  return row;
}

export async function recordQuote(db: D1Database, q: typeof quotes.$inferInsert): Promise<void> {
  await drizzle(db).insert(quotes).values(q);
}
