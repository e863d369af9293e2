import { and, asc, desc, eq, gt, gte } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { poolSnapshots } from "../schema";

/** pool_snapshots: the pool as the keeper read it, at most once every SNAPSHOT_EVERY_S. */

export type PoolSnapshot = typeof poolSnapshots.$inferInsert;

/** The block time of the latest snapshot of the chain's pool, or null when there is none. */
export async function lastSnapshotAt(db: D1Database, chainId: number): Promise<number | null> {
  const row = await drizzle(db).select({ at: poolSnapshots.observedAt }).from(poolSnapshots).where(eq(poolSnapshots.chainId, chainId)).orderBy(desc(poolSnapshots.observedAt)).limit(1).get();
  return row?.at ?? null;
}

/** The statement that records one snapshot (the keeper puts it in its run's write batch). */
export function snapshotStatement(db: D1Database, row: PoolSnapshot): D1PreparedStatement {
  return db
    .prepare("INSERT INTO pool_snapshots (chain_id, block_number, observed_at, total_assets, total_shares, active_cover, pending_liability, assets_per_share) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    .bind(row.chainId, row.blockNumber, row.observedAt, row.totalAssets, row.totalShares, row.activeCover, row.pendingLiability, row.assetsPerShare);
}

/** Snapshots of the chain's pool from `since` (block time), oldest first, paged by id. */
export async function listSnapshots(db: D1Database, chainId: number, since: number, after: number, limit: number) {
  return drizzle(db)
    .select()
    .from(poolSnapshots)
    .where(and(eq(poolSnapshots.chainId, chainId), gte(poolSnapshots.observedAt, since), gt(poolSnapshots.id, after)))
    .orderBy(asc(poolSnapshots.id))
    .limit(limit);
}
