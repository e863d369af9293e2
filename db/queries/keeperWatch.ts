import type { LegReading } from "../../workers/triggers/kind";
import { kinds, type TriggerKind } from "../../workers/triggers/index";
import { jsonChunks } from "./sql";

/** keeper_watch and observations: what the keeper watches and the readings it recorded; the tick's one read batch. */

export type Cursor = { blockNumber: number; blockHash: string; spanBlocks: number | null };

export type WatchedProduct = {
  id: number;
  triggerKind: TriggerKind;
  triggerAddress: string;
  paramsHex: string;
  paramsJson: string;
  status: string;
  vetoWindowSeconds: number;
  wRoundId: string | null;
  wAnswer: string | null;
  wPaused: number | null;
  wValid: number | null;
  wProblem: string | null;
  /** Highest answer the keeper recorded for this product inside its trigger's window (kinds with `keeper.recordsPeak`). */
  peak: string | null;
};

const PEAK_KINDS = JSON.stringify(kinds.filter((k) => k.keeper.recordsPeak).map((k) => k.name));

export type OpenIncident = { id: number; productId: number; status: string; incidentTime: number };

/**
 * Everything a tick needs from D1 before it reads the chain, in one batch: the cursor, every
 * product not closed with the keeper's last reading (and, for kinds that record a peak, the
 * highest reading it recorded inside the product's `windowSeconds`), and incidents not yet closed.
 */
export async function loadTickState(db: D1Database, chainId: number, now: number) {
  const [cursor, products, incidents] = await db.batch<unknown>([
    db.prepare("SELECT block_number AS blockNumber, block_hash AS blockHash, span_blocks AS spanBlocks FROM chain_cursor WHERE chain_id = ?").bind(chainId),
    db
      .prepare(
        `SELECT p.id, p.trigger_kind AS triggerKind, p.trigger_address AS triggerAddress, p.params_hex AS paramsHex, p.params_json AS paramsJson, p.status,
                p.veto_window_seconds AS vetoWindowSeconds,
                w.round_id AS wRoundId, w.answer AS wAnswer, w.paused AS wPaused, w.valid AS wValid, w.problem AS wProblem,
                CASE WHEN p.trigger_kind IN (SELECT value FROM json_each(?3)) THEN (
                  SELECT CAST(MAX(CAST(o.answer AS INTEGER)) AS TEXT) FROM observations o
                  WHERE o.product_id = p.id AND o.valid = 1
                    AND o.updated_at >= ?2 - CAST(json_extract(p.params_json, '$.windowSeconds') AS INTEGER)
                ) END AS peak
         FROM products p LEFT JOIN keeper_watch w ON w.product_id = p.id
         WHERE p.chain_id = ?1 AND p.status != 'closed' ORDER BY p.id`,
      )
      .bind(chainId, now, PEAK_KINDS),
    db
      .prepare("SELECT id, product_id AS productId, status, incident_time AS incidentTime FROM incidents WHERE chain_id = ? AND status IN ('pending', 'confirmed') ORDER BY id")
      .bind(chainId),
  ]);
  return {
    cursor: (cursor!.results[0] as Cursor | undefined) ?? null,
    products: products!.results as WatchedProduct[],
    incidents: incidents!.results as OpenIncident[],
  };
}

// ─── observations ────────────────────────────────────────────────────────────────────────────

/** A product's reading as stored: its (first) leg's reading, the distance in whole bps, when and where it was read. */
export type Reading = Omit<LegReading, "distance"> & {
  productId: number;
  distanceBps: number | null;
  blockNumber: number;
  observedAt: number;
};

/** Replaces the keeper's latest reading of each product, and appends the changed ones to `observations`. */
export function readingStatements(db: D1Database, all: Reading[], changed: Reading[]): D1PreparedStatement[] {
  const cols = "product_id, source, round_id, answer, updated_at, paused, valid, problem, distance_bps, block_number, observed_at";
  const pick = `SELECT json_extract(value, '$.productId'), json_extract(value, '$.source'), json_extract(value, '$.roundId'),
    json_extract(value, '$.answer'), json_extract(value, '$.updatedAt'), json_extract(value, '$.paused'), json_extract(value, '$.valid'),
    json_extract(value, '$.problem'), json_extract(value, '$.distanceBps'), json_extract(value, '$.blockNumber'), json_extract(value, '$.observedAt')
    FROM json_each(?) WHERE true`;
  const out: D1PreparedStatement[] = [];
  for (const chunk of jsonChunks(all)) {
    out.push(
      db.prepare(
        `INSERT INTO keeper_watch (${cols}) ${pick}
         ON CONFLICT (product_id) DO UPDATE SET source = excluded.source, round_id = excluded.round_id, answer = excluded.answer,
           updated_at = excluded.updated_at, paused = excluded.paused, valid = excluded.valid, problem = excluded.problem,
           distance_bps = excluded.distance_bps, block_number = excluded.block_number, observed_at = excluded.observed_at`,
      ).bind(chunk),
    );
  }
  for (const chunk of jsonChunks(changed)) out.push(db.prepare(`INSERT INTO observations (${cols}) ${pick}`).bind(chunk));
  return out;
}
