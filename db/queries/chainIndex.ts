import { json, jsonChunks } from "./sql";

/**
 * The chain index: the market's events applied to policies, incidents, payouts and products, the
 * cursor (chain_cursor) that says how far it has read, and the rollback after a deep reorg.
 */

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

export type IndexChanges = {
  policies: PolicyEvent[];
  owners: OwnerChange[];
  opened: IncidentOpenedRow[];
  incidentChanges: IncidentChange[];
  payouts: PayoutRow[];
  deferred: { policyId: number }[];
  products: ProductChange[];
};

/** The statements that apply one indexed block range (the cursor update is the caller's); one per JSON chunk of each kind of change. */
export function indexStatements(db: D1Database, chainId: number, c: IndexChanges): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  const v = (f: string) => `json_extract(value, '$.${f}')`;
  for (const chunk of jsonChunks(c.policies)) {
    out.push(
      db.prepare(
        `INSERT INTO policies (id, chain_id, product_id, owner, payer, cover_amount, premium, start_at, end_at, integrator, status, tx_hash, block_number, owner_block)
         SELECT ${v("id")}, ?1, ${v("productId")}, ${v("owner")}, ${v("payer")}, ${v("coverAmount")}, ${v("premium")}, ${v("startAt")}, ${v("endAt")},
                ${v("integrator")}, 'active', ${v("txHash")}, ${v("blockNumber")}, ${v("blockNumber")} FROM json_each(?2) WHERE true
         ON CONFLICT (id) DO UPDATE SET tx_hash = excluded.tx_hash, block_number = excluded.block_number,
           owner_block = MAX(policies.owner_block, excluded.owner_block)`,
      ).bind(chainId, chunk),
    );
  }
  for (const chunk of jsonChunks(c.owners)) {
    out.push(
      db.prepare(
        `UPDATE policies SET owner = t.owner, owner_block = t.block
         FROM (SELECT ${v("id")} AS id, ${v("owner")} AS owner, ${v("block")} AS block FROM json_each(?)) AS t
         WHERE policies.id = t.id AND policies.owner_block <= t.block`,
      ).bind(chunk),
    );
  }
  for (const chunk of jsonChunks(c.opened)) {
    out.push(
      db.prepare(
        `INSERT INTO incidents (id, chain_id, product_id, status, incident_time, fired_at, liability, proof_hex, evidence_json, fire_tx_hash, fired_block, status_block)
         SELECT ${v("id")}, ?1, ${v("productId")}, 'pending', ${v("incidentTime")}, ${v("firedAt")}, ${v("liability")}, ${v("proofHex")},
                ${v("evidenceJson")}, ${v("fireTxHash")}, ${v("firedBlock")}, ${v("firedBlock")} FROM json_each(?2) WHERE true
         ON CONFLICT (id) DO UPDATE SET fired_block = excluded.fired_block, fire_tx_hash = excluded.fire_tx_hash, evidence_json = excluded.evidence_json`,
      ).bind(chainId, chunk),
    );
  }
  for (const chunk of jsonChunks(c.incidentChanges)) {
    out.push(
      db.prepare(
        `UPDATE incidents SET status = t.status, status_block = t.block, reserve = COALESCE(t.reserve, incidents.reserve),
           confirmed_at = COALESCE(t.confirmedAt, incidents.confirmed_at), confirm_tx_hash = COALESCE(t.confirmTxHash, incidents.confirm_tx_hash)
         FROM (SELECT ${v("id")} AS id, ${v("status")} AS status, ${v("block")} AS block, ${v("reserve")} AS reserve,
                      ${v("confirmedAt")} AS confirmedAt, ${v("confirmTxHash")} AS confirmTxHash FROM json_each(?)) AS t
         WHERE incidents.id = t.id`,
      ).bind(chunk),
    );
  }
  for (const chunk of jsonChunks(c.payouts)) {
    out.push(
      db.prepare(
        `INSERT INTO payouts (policy_id, incident_id, recipient, amount, deferred, tx_hash, block_number, paid_at)
         SELECT ${v("policyId")}, ${v("incidentId")}, ${v("recipient")}, ${v("amount")}, 0, ${v("txHash")}, ${v("blockNumber")}, ${v("paidAt")}
         FROM json_each(?) WHERE true
         ON CONFLICT (policy_id) DO UPDATE SET tx_hash = excluded.tx_hash, block_number = excluded.block_number, paid_at = excluded.paid_at`,
      ).bind(chunk),
      db.prepare(`UPDATE policies SET status = 'paid' WHERE id IN (SELECT ${v("policyId")} FROM json_each(?))`).bind(chunk),
      db.prepare(
        `UPDATE incidents SET paid = (SELECT CAST(COALESCE(SUM(CAST(amount AS INTEGER)), 0) AS TEXT) FROM payouts WHERE payouts.incident_id = incidents.id)
         WHERE id IN (SELECT DISTINCT ${v("incidentId")} FROM json_each(?))`,
      ).bind(chunk),
    );
  }
  for (const chunk of jsonChunks(c.deferred)) {
    out.push(db.prepare(`UPDATE payouts SET deferred = 1 WHERE policy_id IN (SELECT ${v("policyId")} FROM json_each(?))`).bind(chunk));
  }
  for (const chunk of jsonChunks(c.products)) {
    out.push(
      db.prepare(
        `UPDATE products SET status = t.status, updated_at = unixepoch()
         FROM (SELECT ${v("id")} AS id, ${v("status")} AS status, ${v("onlyFrom")} AS onlyFrom FROM json_each(?)) AS t
         WHERE products.id = t.id AND (t.onlyFrom IS NULL OR EXISTS (SELECT 1 FROM json_each(t.onlyFrom) f WHERE f.value = products.status))`,
      ).bind(chunk),
    );
  }
  return out;
}

/** Products whose incidents (by id, read from D1) were confirmed or vetoed: closed, or active again. */
export function productStatusFromIncidentsStatement(db: D1Database, incidentIds: number[]): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE products SET status = CASE i.status WHEN 'confirmed' THEN 'closed' WHEN 'vetoed' THEN 'active' ELSE products.status END, updated_at = unixepoch()
       FROM incidents i WHERE i.product_id = products.id AND i.id IN (SELECT json_extract(value, '$') FROM json_each(?)) AND i.status IN ('confirmed', 'vetoed')`,
    )
    .bind(json(incidentIds));
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
