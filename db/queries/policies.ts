import { and, asc, eq, getTableColumns, getTableName, gt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { policies } from "../schema";

/**
 * A policy row with the incident that closed its product generation, if one did: the first
 * confirmed (or closed) incident of its product fired at or after its purchase block
 * (CoverMarket ends a generation's cover at its confirmed incident).
 */
export type PolicyRow = typeof policies.$inferSelect & { closedBy: { id: number; incidentTime: number } | null };

/**
 * The one statement of which incidents closed a policy's generation (its product's confirmed or
 * closed incidents fired at or after the purchase block): the FROM/WHERE of a subquery over
 * incidents `i`, for a `policies` row named `policy`. The API's `closedBy` and the keeper's
 * `payablePolicies` both use it.
 */
export const generationClosers = (policy: string) =>
  `FROM incidents i WHERE i.chain_id = ${policy}.chain_id AND i.product_id = ${policy}.product_id
     AND i.status IN ('confirmed', 'closed') AND ${policy}.block_number <= i.fired_block`;

const closedBy = sql<string | null>`(SELECT json_object('id', i.id, 'incidentTime', i.incident_time) ${sql.raw(generationClosers(`"${getTableName(policies)}"`))} ORDER BY i.id LIMIT 1)`;
const withClosedBy = { ...getTableColumns(policies), closedBy };
const parse = (r: Omit<PolicyRow, "closedBy"> & { closedBy: string | null }): PolicyRow => ({ ...r, closedBy: r.closedBy ? (JSON.parse(r.closedBy) as PolicyRow["closedBy"]) : null });

export async function getPolicy(db: D1Database, id: number): Promise<PolicyRow | undefined> {
  const [row] = await drizzle(db).select(withClosedBy).from(policies).where(eq(policies.id, id)).limit(1);
  return row ? parse(row) : undefined;
}

/** Policies of one owner, by id, after `afterId` (keyset pagination). */
export async function policiesOfOwner(db: D1Database, owner: string, afterId: number, limit: number): Promise<PolicyRow[]> {
  const rows = await drizzle(db)
    .select(withClosedBy)
    .from(policies)
    .where(and(eq(policies.owner, owner), gt(policies.id, afterId)))
    .orderBy(asc(policies.id))
    .limit(limit);
  return rows.map(parse);
}

/**
 * Indexes purchased policies; a policy already indexed keeps its row (a purchase never changes),
 * so registering the same transaction twice writes nothing new. One batch.
 */
export async function insertPolicies(db: D1Database, rows: (typeof policies.$inferInsert)[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const d = drizzle(db);
  const insert = (r: typeof policies.$inferInsert) => d.insert(policies).values(r).onConflictDoNothing().returning({ id: policies.id });
  const [first, ...rest] = rows;
  const results = await d.batch([insert(first!), ...rest.map(insert)]);
  return results.flat().map((r) => r.id);
}

/** Premiums of every indexed policy on a chain, summed as 64-bit integers (never floats). */
export async function premiumsReceived(db: D1Database, chainId: number): Promise<bigint> {
  const [row] = await drizzle(db)
    .select({ total: sql<string>`CAST(COALESCE(SUM(CAST(${policies.premium} AS INTEGER)), 0) AS TEXT)` })
    .from(policies)
    .where(eq(policies.chainId, chainId));
  return BigInt(row?.total ?? "0");
}

/**
 * Unpaid policies of the product active at `incidentTime` and of the incident's generation, by id
 * (D1 index; the caller cross-checks on-chain). A confirmed incident ends its generation's cover
 * (CoverMarket: a reopened product starts a new generation), so a policy bought at or before an
 * earlier confirmed incident's fire is not this incident's, even if its term spans both.
 */
export async function payablePolicies(db: D1Database, chainId: number, incidentId: number, productId: number, incidentTime: number, limit: number): Promise<number[]> {
  const { results } = await db
    .prepare(
      `SELECT p.id FROM policies p WHERE p.product_id = ?2 AND p.start_at <= ?3 AND p.end_at > ?3 AND p.status != 'paid' AND p.chain_id = ?1
         AND NOT EXISTS (SELECT 1 ${generationClosers("p")} AND i.id < ?5)
       ORDER BY p.id LIMIT ?4`,
    )
    .bind(chainId, productId, incidentTime, limit, incidentId)
    .all<{ id: number }>();
  return results.map((r) => r.id);
}

/** The integrator each policy was bought through (the zero address when none), by policy id. */
export async function integratorsOf(db: D1Database, ids: number[]): Promise<Map<number, string>> {
  const { results } = await db.prepare("SELECT id, integrator FROM policies WHERE id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(ids)).all<{ id: number; integrator: string }>();
  return new Map(results.map((r) => [r.id, r.integrator]));
}
