import type { PublicClient } from "viem";
import { riskCatalog } from "../../db/queries/products";
import { readBook } from "../chain/actions/readBook";
import type { Deployment } from "../chain/deployment";
import { scenarios, type RiskProtocol, type Scenario } from "../pricing/stress";

export type Stress = { scenarios: Scenario[]; protocols: RiskProtocol[] };
type CatalogRows = Awaited<ReturnType<typeof riskCatalog>>;

/** The product ids of the catalog (what the book is read for). */
export const catalogProductIds = (rows: CatalogRows) => rows.flatMap((r) => (r.productId === null ? [] : [r.productId]));

/** The scenarios of the catalog's rows (riskCatalog) and the book's active cover by product (readBook). */
export function stressOf(rows: CatalogRows, book: ReadonlyMap<number, bigint>): Stress {
  const protocols = new Map<string, RiskProtocol>();
  const entries: { productId: number; protocolId: string; activeCover: bigint }[] = [];
  for (const r of rows) {
    if (!protocols.has(r.id)) protocols.set(r.id, { id: r.id, name: r.name, category: r.category, chains: r.chains, dependsOn: r.dependsOn, maxLossBps: r.maxLossBps });
    if (r.productId !== null) entries.push({ productId: r.productId, protocolId: r.id, activeCover: book.get(r.productId) ?? 0n });
  }
  const list = [...protocols.values()];
  return { scenarios: scenarios(entries, list), protocols: list };
}

/** The live book's stress scenarios: one D1 query (the catalog's risk groups), one Multicall3 call (every product's active cover). */
export async function loadStress(db: D1Database, client: PublicClient, dep: Pick<Deployment, "market" | "multicall">): Promise<Stress> {
  const rows = await riskCatalog(db);
  return stressOf(rows, await readBook(client, dep, catalogProductIds(rows)));
}
