import { generationClosers } from "./policies";
import { json } from "./sql";

/** webhook_deliveries: events raised for subscribed hooks, due deliveries and their outcomes. */

/** An event the index raised, for the hooks subscribed to its type. */
export type WebhookEvent = { type: string; id: string; integrator: string | null; payload: unknown };

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
