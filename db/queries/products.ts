import { asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { keeperWatch, products, protocols } from "../schema";

export type ProductRow = typeof products.$inferSelect;
export type ProtocolRow = typeof protocols.$inferSelect;

/** Every product with its protocol, in one query. */
/** Every product with its protocol and the keeper's last distance from its trigger, in one query. */
export async function listProductsWithProtocols(db: D1Database): Promise<{ product: ProductRow; protocol: ProtocolRow; distanceBps: number | null }[]> {
  return drizzle(db)
    .select({ product: products, protocol: protocols, distanceBps: keeperWatch.distanceBps })
    .from(products)
    .innerJoin(protocols, eq(products.protocolId, protocols.id))
    .leftJoin(keeperWatch, eq(keeperWatch.productId, products.id))
    .orderBy(asc(products.id));
}

export async function getProductWithProtocol(db: D1Database, id: number) {
  const [row] = await drizzle(db)
    .select({ product: products, protocol: protocols, distanceBps: keeperWatch.distanceBps })
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
    .select({ id: protocols.id, name: protocols.name, category: protocols.category, chains: protocols.chains, dependsOn: protocols.dependsOn, productId: products.id })
    .from(protocols)
    .leftJoin(products, eq(products.protocolId, protocols.id))
    .orderBy(asc(protocols.id), asc(products.id));
}
