import { desc, lt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { keeperRuns } from "../schema";
import { json } from "./sql";

/** keeper_runs: one row per cron run (its lease, status and summary). */

/**
 * Claims the run for `scheduledAt`: true when this invocation may work. A run already done, or
 * another run still inside its lease, makes this false (a duplicate or overlapping run does
 * nothing). A run whose lease expired without finishing (it died) can be taken over.
 */
export async function claimRun(db: D1Database, scheduledAt: number, now: number, leaseSeconds: number): Promise<boolean> {
  const row = await db
    .prepare(
      `INSERT INTO keeper_runs (scheduled_at, lease_until, status, started_at)
       SELECT ?1, ?2, 'running', ?3
       WHERE NOT EXISTS (SELECT 1 FROM keeper_runs WHERE status = 'running' AND lease_until > ?3 AND scheduled_at != ?1)
       ON CONFLICT (scheduled_at) DO UPDATE SET lease_until = excluded.lease_until, started_at = excluded.started_at, status = 'running'
         WHERE keeper_runs.status = 'failed' OR (keeper_runs.status = 'running' AND keeper_runs.lease_until <= ?3)
       RETURNING scheduled_at`,
    )
    .bind(scheduledAt, now + leaseSeconds, now)
    .first();
  return row !== null;
}

export function finishRunStatement(db: D1Database, scheduledAt: number, status: "done" | "failed", now: number, summary: unknown): D1PreparedStatement {
  return db.prepare("UPDATE keeper_runs SET status = ?2, finished_at = ?3, summary_json = ?4 WHERE scheduled_at = ?1").bind(scheduledAt, status, now, json(summary));
}

/** Runs newest first, scheduled before `before` when given. */
export async function listRuns(db: D1Database, limit: number, before?: number) {
  return drizzle(db)
    .select()
    .from(keeperRuns)
    .where(before === undefined ? undefined : lt(keeperRuns.scheduledAt, before))
    .orderBy(desc(keeperRuns.scheduledAt))
    .limit(limit);
}
