import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { LegReading } from "../../workers/triggers/kind";
import { kinds, type TriggerKind } from "../../workers/triggers/index";
import { keeperIntents } from "../schema";
import { generationClosers } from "./policies";

/*
 * The keeper's D1 work. Multi-row changes are single statements over a JSON array
 * (`json_each(?)`), so a tick's writes are a handful of statements in one `db.batch()` however
 * many products, policies or events it touches, and never hit D1's bound-parameter limit.
 */

const json = (rows: unknown) => JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? v.toString() : v));

// ─── run lease ─────────────────────────────────────────────────────────────────────────────────

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

// ─── intents (mirror of the TxSender's records) ───────────────────────────────────────────────

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

export function pendingIntentStatement(db: D1Database, i: { id: string; signer: string; kind: IntentRecord["kind"]; target: string; calldata: string }): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO keeper_intents (id, signer, kind, target, calldata, status) VALUES (?1, ?2, ?3, ?4, ?5, 'pending')
       ON CONFLICT (id) DO UPDATE SET updated_at = unixepoch() WHERE keeper_intents.status IN ('pending', 'failed')`,
    )
    .bind(i.id, i.signer, i.kind, i.target, i.calldata);
}

export type OpenIntent = { id: string; kind: IntentRecord["kind"]; target: string; calldata: string; status: string; updatedAt: number };

/** Intents of `signer` not yet final, oldest first: the tick resumes them. */
export async function openIntents(db: D1Database, signer: string): Promise<OpenIntent[]> {
  const { results } = await db
    .prepare("SELECT id, kind, target, calldata, status, updated_at AS updatedAt FROM keeper_intents WHERE signer = ? AND status IN ('pending', 'broadcast') ORDER BY created_at LIMIT 200")
    .bind(signer)
    .all<OpenIntent>();
  return results;
}

// ─── cursor, products and incidents the tick reads ───────────────────────────────────────────

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
  if (all.length > 0) {
    out.push(
      db.prepare(
        `INSERT INTO keeper_watch (${cols}) ${pick}
         ON CONFLICT (product_id) DO UPDATE SET source = excluded.source, round_id = excluded.round_id, answer = excluded.answer,
           updated_at = excluded.updated_at, paused = excluded.paused, valid = excluded.valid, problem = excluded.problem,
           distance_bps = excluded.distance_bps, block_number = excluded.block_number, observed_at = excluded.observed_at`,
      ).bind(json(all)),
    );
  }
  if (changed.length > 0) out.push(db.prepare(`INSERT INTO observations (${cols}) ${pick}`).bind(json(changed)));
  return out;
}

// ─── indexed events ──────────────────────────────────────────────────────────────────────────

export type PolicyEvent = {
  id: number; productId: number; owner: string; payer: string; coverAmount: string; premium: string;
  startAt: number; endAt: number; integrator: string; txHash: string; blockNumber: number;
};
export type OwnerChange = { id: number; owner: string; block: number };
export type IncidentOpenedRow = {
  id: number; productId: number; incidentTime: number; firedAt: number; liability: string; proofHex: string;
  evidenceJson: string; fireTxHash: string; firedBlock: number;
};
export type IncidentChange = {
  id: number; status: "confirmed" | "vetoed" | "closed"; block: number;
  reserve?: string; confirmedAt?: number; confirmTxHash?: string;
};
export type PayoutRow = { policyId: number; incidentId: number; recipient: string; amount: string; deferred: boolean; txHash: string; blockNumber: number; paidAt: number };
export type ProductChange = { id: number; status: "active" | "paused" | "incident" | "closed"; onlyFrom?: string[] };
export type WebhookEvent = { type: string; id: string; integrator: string | null; payload: unknown };

export type IndexChanges = {
  policies: PolicyEvent[];
  owners: OwnerChange[];
  opened: IncidentOpenedRow[];
  incidentChanges: IncidentChange[];
  payouts: PayoutRow[];
  deferred: { policyId: number }[];
  products: ProductChange[];
};

/** The statements that apply one indexed block range (the cursor update is the caller's). */
export function indexStatements(db: D1Database, chainId: number, c: IndexChanges): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  const v = (f: string) => `json_extract(value, '$.${f}')`;
  if (c.policies.length > 0) {
    out.push(
      db.prepare(
        `INSERT INTO policies (id, chain_id, product_id, owner, payer, cover_amount, premium, start_at, end_at, integrator, status, tx_hash, block_number, owner_block)
         SELECT ${v("id")}, ?1, ${v("productId")}, ${v("owner")}, ${v("payer")}, ${v("coverAmount")}, ${v("premium")}, ${v("startAt")}, ${v("endAt")},
                ${v("integrator")}, 'active', ${v("txHash")}, ${v("blockNumber")}, ${v("blockNumber")} FROM json_each(?2) WHERE true
         ON CONFLICT (id) DO UPDATE SET tx_hash = excluded.tx_hash, block_number = excluded.block_number,
           owner_block = MAX(policies.owner_block, excluded.owner_block)`,
      ).bind(chainId, json(c.policies)),
    );
  }
  if (c.owners.length > 0) {
    out.push(
      db.prepare(
        `UPDATE policies SET owner = t.owner, owner_block = t.block
         FROM (SELECT ${v("id")} AS id, ${v("owner")} AS owner, ${v("block")} AS block FROM json_each(?)) AS t
         WHERE policies.id = t.id AND policies.owner_block <= t.block`,
      ).bind(json(c.owners)),
    );
  }
  if (c.opened.length > 0) {
    out.push(
      db.prepare(
        `INSERT INTO incidents (id, chain_id, product_id, status, incident_time, fired_at, liability, proof_hex, evidence_json, fire_tx_hash, fired_block, status_block)
         SELECT ${v("id")}, ?1, ${v("productId")}, 'pending', ${v("incidentTime")}, ${v("firedAt")}, ${v("liability")}, ${v("proofHex")},
                ${v("evidenceJson")}, ${v("fireTxHash")}, ${v("firedBlock")}, ${v("firedBlock")} FROM json_each(?2) WHERE true
         ON CONFLICT (id) DO UPDATE SET fired_block = excluded.fired_block, fire_tx_hash = excluded.fire_tx_hash, evidence_json = excluded.evidence_json`,
      ).bind(chainId, json(c.opened)),
    );
  }
  if (c.incidentChanges.length > 0) {
    out.push(
      db.prepare(
        `UPDATE incidents SET status = t.status, status_block = t.block, reserve = COALESCE(t.reserve, incidents.reserve),
           confirmed_at = COALESCE(t.confirmedAt, incidents.confirmed_at), confirm_tx_hash = COALESCE(t.confirmTxHash, incidents.confirm_tx_hash)
         FROM (SELECT ${v("id")} AS id, ${v("status")} AS status, ${v("block")} AS block, ${v("reserve")} AS reserve,
                      ${v("confirmedAt")} AS confirmedAt, ${v("confirmTxHash")} AS confirmTxHash FROM json_each(?)) AS t
         WHERE incidents.id = t.id`,
      ).bind(json(c.incidentChanges)),
    );
  }
  if (c.payouts.length > 0) {
    out.push(
      db.prepare(
        `INSERT INTO payouts (policy_id, incident_id, recipient, amount, deferred, tx_hash, block_number, paid_at)
         SELECT ${v("policyId")}, ${v("incidentId")}, ${v("recipient")}, ${v("amount")}, 0, ${v("txHash")}, ${v("blockNumber")}, ${v("paidAt")}
         FROM json_each(?) WHERE true
         ON CONFLICT (policy_id) DO UPDATE SET tx_hash = excluded.tx_hash, block_number = excluded.block_number, paid_at = excluded.paid_at`,
      ).bind(json(c.payouts)),
      db.prepare(`UPDATE policies SET status = 'paid' WHERE id IN (SELECT ${v("policyId")} FROM json_each(?))`).bind(json(c.payouts)),
      db.prepare(
        `UPDATE incidents SET paid = (SELECT CAST(COALESCE(SUM(CAST(amount AS INTEGER)), 0) AS TEXT) FROM payouts WHERE payouts.incident_id = incidents.id)
         WHERE id IN (SELECT DISTINCT ${v("incidentId")} FROM json_each(?))`,
      ).bind(json(c.payouts)),
    );
  }
  if (c.deferred.length > 0) {
    out.push(db.prepare(`UPDATE payouts SET deferred = 1 WHERE policy_id IN (SELECT ${v("policyId")} FROM json_each(?))`).bind(json(c.deferred)));
  }
  if (c.products.length > 0) {
    out.push(
      db.prepare(
        `UPDATE products SET status = t.status, updated_at = unixepoch()
         FROM (SELECT ${v("id")} AS id, ${v("status")} AS status, ${v("onlyFrom")} AS onlyFrom FROM json_each(?)) AS t
         WHERE products.id = t.id AND (t.onlyFrom IS NULL OR EXISTS (SELECT 1 FROM json_each(t.onlyFrom) f WHERE f.value = products.status))`,
      ).bind(json(c.products)),
    );
  }
  return out;
}

export function cursorStatement(db: D1Database, chainId: number, blockNumber: number, blockHash: string, spanBlocks: number | null = null): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO chain_cursor (chain_id, block_number, block_hash, span_blocks) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (chain_id) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash, span_blocks = excluded.span_blocks, updated_at = unixepoch()`,
    )
    .bind(chainId, blockNumber, blockHash, spanBlocks);
}

/**
 * Undoes what was indexed from blocks after `fork` (a reorg deeper than the confirmation depth):
 * policies and incidents first seen there are dropped, payouts there are dropped and their
 * policies become unpaid again, incidents whose status changed there go back to pending (the
 * re-read range replays what is still canonical). Returns the ids of policies whose owner changed
 * after the fork, for the caller to re-read on-chain.
 */
export async function rollbackAfter(db: D1Database, chainId: number, fork: number): Promise<number[]> {
  const results = await db.batch([
    db.prepare("SELECT id FROM policies WHERE chain_id = ?1 AND owner_block > ?2 AND block_number <= ?2").bind(chainId, fork),
    db.prepare("UPDATE policies SET status = 'active' WHERE id IN (SELECT policy_id FROM payouts WHERE block_number > ?1)").bind(fork),
    db.prepare("DELETE FROM payouts WHERE block_number > ?1").bind(fork),
    db.prepare("DELETE FROM policies WHERE chain_id = ?1 AND block_number > ?2").bind(chainId, fork),
    db.prepare("DELETE FROM incidents WHERE chain_id = ?1 AND fired_block > ?2").bind(chainId, fork),
    db.prepare(
      `UPDATE incidents SET status = 'pending', reserve = NULL, confirmed_at = NULL, confirm_tx_hash = NULL, status_block = fired_block,
         paid = (SELECT CAST(COALESCE(SUM(CAST(amount AS INTEGER)), 0) AS TEXT) FROM payouts WHERE payouts.incident_id = incidents.id)
       WHERE chain_id = ?1 AND status_block > ?2`,
    ).bind(chainId, fork),
  ]);
  return (results[0]!.results as { id: number }[]).map((r) => r.id);
}

export async function setOwners(db: D1Database, owners: OwnerChange[]): Promise<void> {
  if (owners.length === 0) return;
  await db
    .prepare(
      `UPDATE policies SET owner = t.owner, owner_block = t.block
       FROM (SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.owner') AS owner, json_extract(value, '$.block') AS block FROM json_each(?)) AS t
       WHERE policies.id = t.id`,
    )
    .bind(json(owners))
    .run();
}

// ─── webhooks ────────────────────────────────────────────────────────────────────────────────

/**
 * Raises events for every active webhook subscribed to their type: admin hooks get all of them,
 * integrator hooks those about their own policies (events naming no integrator go to everyone).
 * One delivery row per hook and event (attempt 1); a repeated event id raises nothing new.
 * Policy events carry the policy's integrator (the zero address when none): only admin hooks and
 * that integrator's hooks receive them.
 */
export function webhookEventStatement(db: D1Database, events: WebhookEvent[], now: number): D1PreparedStatement | null {
  if (events.length === 0) return null;
  return db
    .prepare(
      `INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, payload, attempt, status, next_attempt_at)
       SELECT w.id, json_extract(e.value, '$.type'), json_extract(e.value, '$.id'), json_extract(e.value, '$.payload'), 1, 'pending', ?2
       FROM json_each(?1) e
       JOIN webhooks w ON w.active = 1 AND instr(',' || w.events || ',', ',' || json_extract(e.value, '$.type') || ',') > 0
       JOIN api_keys k ON k.id = w.api_key_id AND k.revoked_at IS NULL
       WHERE instr(',' || k.scopes || ',', ',admin,') > 0 OR json_extract(e.value, '$.integrator') IS NULL
          OR lower(k.integrator) = lower(json_extract(e.value, '$.integrator'))
       ON CONFLICT (webhook_id, event_id, attempt) DO NOTHING`,
    )
    .bind(json(events.map((e) => ({ ...e, payload: json({ id: e.id, type: e.type, createdAt: now, data: e.payload }) }))), now);
}

/**
 * "Policy expiring soon" events for active policies ending in (now, now + within], once per hook
 * and policy (a policy indexed late still gets its event; the (status, end_at) index bounds the scan).
 */
export function expiringStatement(db: D1Database, chainId: number, now: number, within: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, payload, attempt, status, next_attempt_at)
       SELECT w.id, 'policy.expiring', 'policy.expiring:' || p.id,
              json_object('id', 'policy.expiring:' || p.id, 'type', 'policy.expiring', 'createdAt', ?4,
                'data', json_object('policyId', p.id, 'productId', p.product_id, 'owner', p.owner, 'coverAmount', p.cover_amount, 'endAt', p.end_at)),
              1, 'pending', ?4
       FROM policies p
       JOIN webhooks w ON w.active = 1 AND instr(',' || w.events || ',', ',policy.expiring,') > 0
       JOIN api_keys k ON k.id = w.api_key_id AND k.revoked_at IS NULL
       WHERE p.status = 'active' AND p.end_at > ?2 AND p.end_at <= ?3 AND p.chain_id = ?1
         AND NOT EXISTS (SELECT 1 ${generationClosers("p")})
         AND (instr(',' || k.scopes || ',', ',admin,') > 0 OR lower(k.integrator) = lower(p.integrator))
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.event_id = 'policy.expiring:' || p.id AND d.attempt = 1)
       ON CONFLICT (webhook_id, event_id, attempt) DO NOTHING`,
    )
    .bind(chainId, now, now + within, now);
}

export type DueDelivery = { id: number; webhookId: number; eventType: string; eventId: string; payload: string; attempt: number; url: string; secret: string };

export async function dueDeliveries(db: D1Database, now: number, limit: number): Promise<DueDelivery[]> {
  const { results } = await db
    .prepare(
      `SELECT d.id, d.webhook_id AS webhookId, d.event_type AS eventType, d.event_id AS eventId, d.payload, d.attempt, w.url, w.secret
       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
       WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND w.active = 1 ORDER BY d.next_attempt_at LIMIT ?`,
    )
    .bind(now, limit)
    .all<DueDelivery>();
  return results;
}

export type DeliveryOutcome = { id: number; ok: boolean; responseStatus: number | null; retryAt: number | null; d: DueDelivery };

/** Records each attempt's outcome; a failed attempt with a retry left queues the next attempt. */
export function deliveryStatements(db: D1Database, outcomes: DeliveryOutcome[]): D1PreparedStatement[] {
  if (outcomes.length === 0) return [];
  const rows = outcomes.map((o) => ({ id: o.id, status: o.ok ? "delivered" : "failed", responseStatus: o.responseStatus }));
  const retries = outcomes.filter((o) => !o.ok && o.retryAt !== null).map((o) => ({ ...o.d, attempt: o.d.attempt + 1, nextAttemptAt: o.retryAt }));
  const out = [
    db.prepare(
      `UPDATE webhook_deliveries SET status = t.status, response_status = t.responseStatus
       FROM (SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.status') AS status, json_extract(value, '$.responseStatus') AS responseStatus FROM json_each(?)) AS t
       WHERE webhook_deliveries.id = t.id`,
    ).bind(json(rows)),
  ];
  if (retries.length > 0) {
    out.push(
      db.prepare(
        `INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, payload, attempt, status, next_attempt_at)
         SELECT json_extract(value, '$.webhookId'), json_extract(value, '$.eventType'), json_extract(value, '$.eventId'), json_extract(value, '$.payload'),
                json_extract(value, '$.attempt'), 'pending', json_extract(value, '$.nextAttemptAt') FROM json_each(?) WHERE true
         ON CONFLICT (webhook_id, event_id, attempt) DO NOTHING`,
      ).bind(json(retries)),
    );
  }
  return out;
}
