import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { INTENT_KINDS, INTENT_STATUSES } from "../workers/objects/txIntent";
import { kindNames } from "../workers/triggers/index";

/*
 * D1 holds the catalog, an index of on-chain state built from events, observations, keys,
 * idempotency records and webhooks. The chain is the source of truth for money.
 * Amounts are integer base units stored as decimal text (they pass 2^53); times are unix seconds.
 */

const now = sql`(unixepoch())`;

/** Where each contract of a deployment lives, per chain. */
export const deployments = sqliteTable(
  "deployments",
  {
    chainId: integer("chain_id").notNull(),
    contract: text("contract").notNull(),
    address: text("address").notNull(),
    deployedBlock: integer("deployed_block").notNull(),
    deployedAt: integer("deployed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.chainId, t.contract] })],
);

/** Covered protocols and the risk inputs the premium model reads. */
export const protocols = sqliteTable("protocols", {
  id: text("id").primaryKey(), // slug, e.g. "aave-v3"
  name: text("name").notNull(),
  category: text("category", { enum: ["lending", "dex", "staking", "stablecoin", "bridge", "other"] }).notNull(),
  website: text("website"),
  auditCount: integer("audit_count").notNull(),
  lastAuditAt: integer("last_audit_at"),
  launchedAt: integer("launched_at").notNull(),
  tvlUsd: text("tvl_usd").notNull(), // whole dollars
  incidentCount: integer("incident_count").notNull().default(0),
  lastIncidentAt: integer("last_incident_at"),
  adminKey: text("admin_key", { enum: ["immutable", "timelock_multisig", "multisig", "eoa"] }).notNull(),
  upgradeable: integer("upgradeable", { mode: "boolean" }).notNull(),
  oracleDependence: text("oracle_dependence", { enum: ["none", "chainlink", "custom"] }).notNull(),
  // Risk groups (workers/pricing/stress.ts): the chains it runs on and the protocols it depends on (JSON arrays of slugs).
  chains: text("chains", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  dependsOn: text("depends_on", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  // The operator's limit on its stress scenario: the share of the pool's net assets it may lose (bps).
  maxLossBps: integer("max_loss_bps").notNull().default(10_000),
  createdAt: integer("created_at").notNull().default(now),
  updatedAt: integer("updated_at").notNull().default(now),
});

/** Products: one per on-chain product id on a chain. */
export const products = sqliteTable(
  "products",
  {
    id: integer("id").primaryKey(), // the CoverMarket product id
    chainId: integer("chain_id").notNull(),
    protocolId: text("protocol_id").notNull().references(() => protocols.id),
    name: text("name").notNull(),
    // The kinds of the one table (workers/triggers/index.ts): a TypeScript enum on a text column, no SQL constraint.
    triggerKind: text("trigger_kind", { enum: kindNames }).notNull(),
    triggerAddress: text("trigger_address").notNull(),
    paramsJson: text("params_json").notNull(), // the parameters in words (decoded)
    paramsHex: text("params_hex").notNull(), // exactly what the market stores
    termsText: text("terms_text").notNull(),
    termsHash: text("terms_hash").notNull(),
    capAmount: text("cap_amount").notNull(),
    coverageLagSeconds: integer("coverage_lag_seconds").notNull(),
    vetoWindowSeconds: integer("veto_window_seconds").notNull(),
    rateMultiplierBps: integer("rate_multiplier_bps").notNull().default(10_000),
    /** How close to its trigger the product may be and still sell (bps); null: the kind's default (workers/pricing/salesMargin.ts). */
    salesMarginBps: integer("sales_margin_bps"),
    status: text("status", { enum: ["active", "paused", "incident", "closed"] }).notNull(),
    listedAt: integer("listed_at").notNull(),
    updatedAt: integer("updated_at").notNull().default(now),
  },
  (t) => [index("products_protocol_idx").on(t.protocolId), index("products_status_idx").on(t.status)],
);

/** Every signed quote (written after the response, with waitUntil). */
export const quotes = sqliteTable(
  "quotes",
  {
    id: integer("id").primaryKey(), // the EIP-712 quoteId, later the policy id
    productId: integer("product_id").notNull(),
    amount: text("amount").notNull(),
    premium: text("premium").notNull(),
    startAt: integer("start_at").notNull(),
    durationSeconds: integer("duration_seconds").notNull(),
    buyer: text("buyer").notNull(), // zero address = anyone
    deadline: integer("deadline").notNull(),
    termsHash: text("terms_hash").notNull(),
    integrator: text("integrator").notNull(),
    integratorFeeBps: integer("integrator_fee_bps").notNull(),
    signature: text("signature").notNull(),
    breakdownJson: text("breakdown_json").notNull(),
    apiKeyId: integer("api_key_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("quotes_product_idx").on(t.productId, t.createdAt)],
);

/** Index of on-chain policies (ERC-721), from CoverPurchased and Transfer events. */
export const policies = sqliteTable(
  "policies",
  {
    id: integer("id").primaryKey(),
    chainId: integer("chain_id").notNull(),
    productId: integer("product_id").notNull(),
    owner: text("owner").notNull(),
    payer: text("payer").notNull(),
    coverAmount: text("cover_amount").notNull(),
    premium: text("premium").notNull(),
    startAt: integer("start_at").notNull(),
    endAt: integer("end_at").notNull(),
    integrator: text("integrator").notNull(),
    status: text("status", { enum: ["active", "expired", "paid"] }).notNull(),
    txHash: text("tx_hash").notNull(),
    blockNumber: integer("block_number").notNull(),
    /** Block of the last ownership change seen (the purchase, then transfers); a reorg past it re-reads the owner. */
    ownerBlock: integer("owner_block").notNull().default(0),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [
    index("policies_owner_idx").on(t.owner),
    index("policies_block_idx").on(t.chainId, t.blockNumber),
    index("policies_product_active_idx").on(t.productId, t.startAt, t.endAt),
    index("policies_status_end_idx").on(t.status, t.endAt),
  ],
);

/** Feed values and pause states the keeper read, valid or not. */
export const observations = sqliteTable(
  "observations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    productId: integer("product_id").notNull(),
    source: text("source").notNull(), // feed or covered contract address
    roundId: text("round_id"),
    answer: text("answer"),
    updatedAt: integer("updated_at"),
    paused: integer("paused", { mode: "boolean" }),
    valid: integer("valid", { mode: "boolean" }).notNull(),
    problem: text("problem"), // stale, zero, future, … when not valid
    distanceBps: integer("distance_bps"), // how close to tripping, 0 = tripped
    blockNumber: integer("block_number").notNull(),
    observedAt: integer("observed_at").notNull(),
  },
  (t) => [index("observations_product_idx").on(t.productId, t.observedAt)],
);

/**
 * The keeper's latest reading of each product (one row per product, replaced every tick): what a
 * quote checks for "close to tripping", and what the next tick compares with to record only
 * changed readings in `observations`.
 */
export const keeperWatch = sqliteTable("keeper_watch", {
  productId: integer("product_id").primaryKey(),
  source: text("source").notNull(),
  roundId: text("round_id"),
  answer: text("answer"),
  updatedAt: integer("updated_at"),
  paused: integer("paused", { mode: "boolean" }),
  valid: integer("valid", { mode: "boolean" }).notNull(),
  problem: text("problem"),
  distanceBps: integer("distance_bps"),
  blockNumber: integer("block_number").notNull(),
  observedAt: integer("observed_at").notNull(),
});

/** Incidents as opened on-chain, with their evidence. */
export const incidents = sqliteTable(
  "incidents",
  {
    id: integer("id").primaryKey(), // CoverMarket incident id
    chainId: integer("chain_id").notNull(),
    productId: integer("product_id").notNull(),
    status: text("status", { enum: ["pending", "confirmed", "vetoed", "closed"] }).notNull(),
    incidentTime: integer("incident_time").notNull(),
    firedAt: integer("fired_at").notNull(),
    confirmedAt: integer("confirmed_at"),
    liability: text("liability").notNull(),
    reserve: text("reserve"),
    paid: text("paid").notNull().default("0"),
    proofHex: text("proof_hex").notNull(),
    evidenceJson: text("evidence_json").notNull(), // round ids, readings, blocks, tx hashes
    fireTxHash: text("fire_tx_hash").notNull(),
    confirmTxHash: text("confirm_tx_hash"),
    firedBlock: integer("fired_block").notNull().default(0),
    /** Block of the last status change (confirm, veto, close); a reorg past it re-reads the incident. */
    statusBlock: integer("status_block").notNull().default(0),
  },
  (t) => [index("incidents_product_idx").on(t.productId), index("incidents_status_idx").on(t.status)],
);

/** Payouts per policy, from PoliciesSettled and PayoutDeferred. */
export const payouts = sqliteTable(
  "payouts",
  {
    policyId: integer("policy_id").primaryKey(), // a policy is paid at most once
    incidentId: integer("incident_id").notNull(),
    recipient: text("recipient").notNull(),
    amount: text("amount").notNull(),
    deferred: integer("deferred", { mode: "boolean" }).notNull().default(false),
    txHash: text("tx_hash").notNull(),
    blockNumber: integer("block_number").notNull(),
    paidAt: integer("paid_at").notNull(),
  },
  (t) => [index("payouts_incident_idx").on(t.incidentId), index("payouts_recipient_idx").on(t.recipient)],
);

/** One row per scheduled run: the lease that keeps overlapping runs from doing work twice. */
export const keeperRuns = sqliteTable("keeper_runs", {
  scheduledAt: integer("scheduled_at").primaryKey(),
  leaseUntil: integer("lease_until").notNull(),
  status: text("status", { enum: ["running", "done", "failed"] }).notNull(),
  startedAt: integer("started_at").notNull(),
  finishedAt: integer("finished_at"),
  summaryJson: text("summary_json"),
});

/** Transactions the keeper or relayer intends, recorded before broadcast. */
export const keeperIntents = sqliteTable(
  "keeper_intents",
  {
    id: text("id").primaryKey(), // deterministic: kind + target, so a retry finds it
    signer: text("signer").notNull(),
    kind: text("kind", { enum: INTENT_KINDS }).notNull(),
    target: text("target").notNull(),
    calldata: text("calldata").notNull(),
    nonce: integer("nonce"),
    txHash: text("tx_hash"),
    // The TxSender's own status names (workers/objects/txIntent.ts), mirrored as they change.
    status: text("status", { enum: INTENT_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull().default(now),
    updatedAt: integer("updated_at").notNull().default(now),
  },
  (t) => [index("keeper_intents_status_idx").on(t.signer, t.status)],
);

/** How far the indexer has read each chain. */
export const chainCursor = sqliteTable("chain_cursor", {
  chainId: integer("chain_id").primaryKey(),
  blockNumber: integer("block_number").notNull(),
  blockHash: text("block_hash").notNull(),
  /**
   * Blocks the next run asks logs for: narrowed to what the last run could keep when its range held
   * more than a run's log budget, widened again as ranges come back light (null: the configured most).
   */
  spanBlocks: integer("span_blocks"),
  updatedAt: integer("updated_at").notNull().default(now),
});

/** API keys, stored as SHA-256 hashes; compared in constant time. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    keyHash: text("key_hash").notNull(),
    prefix: text("prefix").notNull(), // first characters, to tell keys apart
    name: text("name").notNull(),
    scopes: text("scopes").notNull(), // comma-separated: admin, integrator
    integrator: text("integrator"), // address credited when the key quotes
    createdAt: integer("created_at").notNull().default(now),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash_idx").on(t.keyHash)],
);

/** Idempotency-Key records: same key and body replays, another body is 422, in flight is 409. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    key: text("key").notNull(),
    scope: text("scope").notNull(), // caller (API key id or IP) + route
    requestHash: text("request_hash").notNull(),
    status: text("status", { enum: ["in_flight", "done"] }).notNull(),
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    createdAt: integer("created_at").notNull().default(now),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index("idempotency_expiry_idx").on(t.expiresAt)],
);

/** Integrators' webhook endpoints. */
export const webhooks = sqliteTable(
  "webhooks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    apiKeyId: integer("api_key_id").notNull(),
    url: text("url").notNull(),
    secret: text("secret").notNull(), // HMAC key for signatures
    events: text("events").notNull(), // comma-separated event types
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [index("webhooks_key_idx").on(t.apiKeyId)],
);

/** Every delivery attempt of a webhook event. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    webhookId: integer("webhook_id").notNull(),
    eventType: text("event_type").notNull(),
    eventId: text("event_id").notNull(),
    payload: text("payload").notNull(),
    attempt: integer("attempt").notNull(),
    status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull(),
    responseStatus: integer("response_status"),
    nextAttemptAt: integer("next_attempt_at"),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_event_idx").on(t.webhookId, t.eventId, t.attempt),
    index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
  ],
);

/**
 * The pool as the keeper read it, at most once every 15 minutes (its share price over time, for
 * the app's chart and anyone checking the LPs' returns): amounts as decimal strings of base units.
 */
export const poolSnapshots = sqliteTable(
  "pool_snapshots",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    chainId: integer("chain_id").notNull(),
    blockNumber: integer("block_number").notNull(),
    observedAt: integer("observed_at").notNull(), // the block's timestamp
    totalAssets: text("total_assets").notNull(),
    totalShares: text("total_shares").notNull(),
    activeCover: text("active_cover").notNull(),
    pendingLiability: text("pending_liability").notNull(),
    assetsPerShare: text("assets_per_share").notNull(), // convertToAssets(one share)
  },
  (t) => [index("pool_snapshots_time_idx").on(t.chainId, t.observedAt)],
);
