import { drizzle } from "drizzle-orm/d1";
import { sql } from "drizzle-orm";
import { OPEN_STATUSES, RETRYABLE_STATUSES } from "../../workers/objects/txIntent";
import { keeperIntents } from "../schema";
import { sqlList } from "./sql";

/** keeper_intents: the D1 mirror of the TxSender's records, and the settlement batches a run queued. */

export type IntentRecord = typeof keeperIntents.$inferInsert;

export async function recordIntent(db: D1Database, i: IntentRecord): Promise<void> {
  await drizzle(db)
    .insert(keeperIntents)
    .values(i)
    .onConflictDoUpdate({
      target: keeperIntents.id,
      set: { nonce: i.nonce, txHash: i.txHash, status: i.status, attempts: i.attempts, lastError: i.lastError, calldata: i.calldata, updatedAt: sql`(unixepoch())` },
    });
}

/**
 * A settlement batch a run queued, before any TxSender took it. Queued again (its `updated_at`
 * refreshed, so the next runs count it in flight) while it is queued or signed, or after it
 * failed or reverted; a broadcast, included or mined batch is left as the sender records it.
 */
export function queuedIntentStatement(db: D1Database, i: { id: string; signer: string; kind: IntentRecord["kind"]; target: string; calldata: string }): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO keeper_intents (id, signer, kind, target, calldata, status) VALUES (?1, ?2, ?3, ?4, ?5, 'queued')
       ON CONFLICT (id) DO UPDATE SET updated_at = unixepoch() WHERE keeper_intents.status IN ${sqlList(["queued", "signed", ...RETRYABLE_STATUSES])}`,
    )
    .bind(i.id, i.signer, i.kind, i.target, i.calldata);
}

export type OpenIntent = { id: string; kind: IntentRecord["kind"]; target: string; calldata: string; status: string; updatedAt: number };

/** Intents of `signer` not yet final, oldest first: the tick resumes them. */
export async function openIntents(db: D1Database, signer: string): Promise<OpenIntent[]> {
  const { results } = await db
    .prepare(`SELECT id, kind, target, calldata, status, updated_at AS updatedAt FROM keeper_intents WHERE signer = ? AND status IN ${sqlList(OPEN_STATUSES)} ORDER BY created_at LIMIT 200`)
    .bind(signer)
    .all<OpenIntent>();
  return results;
}
