import { decodeFunctionData, encodeFunctionData, keccak256, parseEventLogs, toHex, type Hex, type PublicClient } from "viem";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { openIntents, queuedIntentStatement } from "../../db/queries/keeperIntents";
import { claimRun, finishRunStatement } from "../../db/queries/keeperRuns";
import { loadTickState, readingStatements } from "../../db/queries/keeperWatch";
import { payablePolicies } from "../../db/queries/policies";
import { lastSnapshotAt, snapshotStatement, type PoolSnapshot } from "../../db/queries/poolSnapshots";
import { abi as poolAbi } from "../../contracts/out/CoverPool";
import { ONE_SHARE } from "../chain/actions/readPoolState";
import { expiringStatement, webhookEventStatement, type WebhookEvent } from "../../db/queries/webhookDeliveries";
import { deploymentOf, type Deployment } from "../chain/deployment";
import { meteredD1, type D1Stats } from "../d1Metrics";
import type { Env } from "../env";
import type { SendResult } from "../objects/txSender";
import { keeperClients, keeperConfig, senderName, totalSubrequests, type KeeperConfig, type Subrequests } from "./config";
import { indexRange } from "./indexer";
import { deliverWebhooks } from "./webhooks";
import { IncidentStatus, multicallAt, proofsAndIncidents, readProducts, type IncidentState } from "./watch";

export type SettleMessage = { chainId: number; incidentId: number; policyIds: number[]; intentId: string };

export type TickAction = { intentId: string; kind: "observe" | "advance" | "fire" | "confirm"; status: SendResult["status"] | "error"; txHash: Hex | null; error?: string | null };

export type TickSummary = {
  scheduledAt: number;
  ran: boolean;
  skipped?: "lease-held" | "stale-head";
  error?: string;
  head?: number;
  indexed?: { from: number; to: number; events: number; reorgFork: number | null };
  /** Why the index could not be read this run (the run went on without it). */
  indexError?: string;
  products?: number;
  observationsRecorded?: number;
  invalid?: { productId: number; problem: string | null }[];
  candidates?: number;
  actions?: TickAction[];
  settlement?: { incidentId: number; policies: number; batches: number }[];
  webhooks?: { delivered: number; failed: number };
  subrequests?: Subrequests & { total: number };
  d1?: D1Stats;
  durationMs?: number;
};

/** Seconds an enqueued settlement batch is left to the queue before the tick enqueues its policies again. */
const SETTLE_RETRY_AFTER_S = 300;
/** "Policy expiring soon" means ending within this many seconds. */
const EXPIRING_WITHIN_S = 86_400;

/**
 * One keeper run (the cron's scheduled handler, or a test driving it):
 * claim the run → index confirmed events → read every product's oracle state in one multicall →
 * record readings → observe / fire / confirm through the keeper's TxSender → enqueue settlement
 * batches for confirmed incidents → raise and deliver webhooks. Every step is safe to repeat:
 * intents have deterministic ids, settlement is at most once per policy on-chain, D1 writes are
 * upserts keyed by on-chain ids.
 */
export async function runTick(env: Env, scheduledTimeMs: number): Promise<TickSummary> {
  const started = Date.now();
  const scheduledAt = Math.floor(scheduledTimeMs / 1000);
  const d1: D1Stats = { queries: 0, writes: 0, rowsRead: 0 };
  const sub: Subrequests = { rpc: 0, durableObject: 0, queue: 0, webhook: 0 };
  const db = meteredD1(env.DB, d1);
  const cfg = keeperConfig(env);
  const now = Math.floor(Date.now() / 1000);
  const summary: TickSummary = { scheduledAt, ran: false };
  const finish = () => ({ ...summary, subrequests: { ...sub, total: totalSubrequests(sub) }, d1: { ...d1 }, durationMs: Date.now() - started });

  if (!(await claimRun(db, scheduledAt, now, cfg.leaseSeconds))) return { ...finish(), skipped: "lease-held" };
  summary.ran = true;
  try {
    await work(env, db, cfg, sub, summary, scheduledAt, now);
    await db.batch([finishRunStatement(db, scheduledAt, "done", Math.floor(Date.now() / 1000), finish())]);
  } catch (err) {
    summary.error = err instanceof Error ? `${err.name}: ${err.message.slice(0, 300)}` : String(err);
    console.error(JSON.stringify({ at: "keeper.tick", scheduledAt, error: summary.error }));
    await db.batch([finishRunStatement(db, scheduledAt, "failed", Math.floor(Date.now() / 1000), finish())]).catch(() => undefined);
  }
  return finish();
}

async function work(env: Env, db: D1Database, cfg: KeeperConfig, sub: Subrequests, summary: TickSummary, scheduledAt: number, now: number) {
  const dep = await deploymentOf(db, cfg.chainId);
  const { client, logs: logsClient } = keeperClients(env, sub);
  const [state, head] = await Promise.all([loadTickState(db, cfg.chainId, now), client.getBlockNumber()]);
  summary.head = Number(head);
  if (state.cursor && Number(head) < state.cursor.blockNumber) {
    // The node is behind what we already indexed: its view is stale. Act on nothing this run.
    summary.skipped = "stale-head";
    console.warn(JSON.stringify({ at: "keeper.stale-head", head: Number(head), cursor: state.cursor.blockNumber }));
    return;
  }

  const [indexed, snap] = await Promise.all([
    indexRange(db, client, logsClient, dep, { chainId: cfg.chainId, head, confirmations: cfg.confirmations, maxBlocks: cfg.indexMaxBlocks, maxLogs: cfg.indexMaxLogs, startBlock: dep.marketBlock }, state.cursor)
      // Triggers do not wait for the index: when the logs cannot be read (a provider refusing
      // eth_getLogs), this run still reads, fires, confirms and settles from what D1 holds; the
      // cursor stays where it was and the next run reads the range again.
      .catch((err: unknown) => {
        summary.indexError = err instanceof Error ? `${err.name}: ${err.message.slice(0, 200)}` : String(err);
        console.warn(JSON.stringify({ at: "keeper.index-failed", error: summary.indexError }));
        return null;
      }),
    readProducts(client, dep, head, state.products),
  ]);
  if (indexed) summary.indexed = { from: indexed.from, to: indexed.to, events: indexed.events, reorgFork: indexed.reorgFork };
  summary.products = snap.assessments.length;
  summary.candidates = snap.assessments.filter((a) => a.candidate).length;
  const invalid = snap.assessments.filter((a) => !a.reading.valid);
  summary.invalid = invalid.map((a) => ({ productId: a.product.id, problem: a.reading.problem }));
  const alerts: WebhookEvent[] = invalid
    .filter((a) => a.changed)
    .map((a) => {
      console.warn(JSON.stringify({ at: "keeper.oracle-invalid", productId: a.product.id, source: a.reading.source, problem: a.reading.problem, roundId: a.reading.roundId }));
      return { type: "oracle.invalid", id: `oracle.invalid:${a.product.id}:${a.reading.roundId ?? a.reading.blockNumber}:${a.reading.problem}`, integrator: null, payload: a.reading };
    });

  const needRound2 = snap.assessments.some((a) => a.candidate || (a.onChain && a.onChain.openIncident !== 0n)) || state.incidents.length > 0;
  const { proofs, incidents, roundRequests } = needRound2 ? await proofsAndIncidents(client, dep, snap, state.incidents) : { proofs: [], incidents: [], roundRequests: 0 };
  sub.rpc += roundRequests;

  // ─── transactions: observe, fire, confirm ───
  const sender = env.TX_SENDER.get(env.TX_SENDER.idFromName(senderName(cfg.chainId, cfg.keeper)));
  const send = async (intentId: string, kind: TickAction["kind"], data: Hex, to: Hex = dep.market): Promise<TickAction & { result?: SendResult }> => {
    sub.durableObject++;
    try {
      const result = await sender.send("KEEPER_KEY", { intentId, kind, to, data, confirmations: cfg.confirmations, waitMs: 15_000 });
      return { intentId, kind, status: result.status, txHash: result.txHash, error: result.error, result };
    } catch (err) {
      return { intentId, kind, status: "error", txHash: null, error: err instanceof Error ? err.message.slice(0, 200) : String(err) };
    }
  };
  const actions: (TickAction & { result?: SendResult })[] = [];
  const observed = await Promise.all(
    snap.assessments
      .filter((a) => a.observeDue)
      .map((a) => send(`observe:${cfg.chainId}:${a.product.id}:${scheduledAt}`, "observe", encodeFunctionData({ abi: marketAbi, functionName: "observe", args: [BigInt(a.product.id)] }))),
  );
  actions.push(...observed);
  const activeSince = new Map(snap.assessments.map((a) => [a.product.id, a.onChain?.activeSince ?? 0n]));
  const vetoOf = new Map(snap.assessments.map((a) => [a.product.id, a.onChain?.vetoWindowSeconds ?? 0]));
  const fired = await Promise.all(
    proofs.map(async (p) => {
      // A long event's proof is walked in `advance` segments first (each its own bounded
      // transaction; the intent id names the proof and the step, so a retry resumes).
      const proofTag = keccak256(p.proof).slice(2, 18);
      for (const [step, data] of p.advance.entries()) {
        const a = await send(`advance:${cfg.chainId}:${p.productId}:${proofTag}:${scheduledAt}:${step}`, "advance", data, p.trigger);
        actions.push(a);
        if (a.status !== "mined") return { intentId: `fire:${cfg.chainId}:${p.productId}:${activeSince.get(p.productId)}`, kind: "fire" as const, status: "error" as const, txHash: null, error: "advance not final yet" };
      }
      return send(`fire:${cfg.chainId}:${p.productId}:${activeSince.get(p.productId)}`, "fire", encodeFunctionData({ abi: marketAbi, functionName: "fire", args: [BigInt(p.productId), p.proof] }));
    }),
  );
  actions.push(...fired);
  // Incidents this run opened join the list without another read: their receipts name them.
  for (const f of fired) {
    if (f.status !== "mined" || !f.txHash) continue;
    const receipt = await client.getTransactionReceipt({ hash: f.txHash });
    for (const e of parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName: "IncidentOpened" })) {
      if (incidents.some((x) => x.id === e.args.incidentId)) continue;
      incidents.push({ id: e.args.incidentId, productId: Number(e.args.productId), status: IncidentStatus.Pending, incidentTime: BigInt(e.args.incidentTime), firedAt: snap.blockTimestamp, vetoWindowSeconds: vetoOf.get(Number(e.args.productId)) ?? 0 });
    }
  }
  const dueToConfirm = incidents.filter((i) => i.status === IncidentStatus.Pending && snap.blockTimestamp >= i.firedAt + BigInt(i.vetoWindowSeconds));
  const confirmed = await Promise.all(
    dueToConfirm.map((i) => send(`confirm:${cfg.chainId}:${i.id}`, "confirm", encodeFunctionData({ abi: marketAbi, functionName: "confirmIncident", args: [i.id] }))),
  );
  confirmed.forEach((c, k) => {
    if (c.status === "mined") dueToConfirm[k]!.status = IncidentStatus.Confirmed;
  });
  actions.push(...confirmed);
  summary.actions = actions.map(({ result: _r, ...a }) => a);

  // ─── settlement: payable unpaid policies of confirmed incidents, in batches, onto the queue ───
  const toSettle = incidents.filter((i) => i.status === IncidentStatus.Confirmed);
  const settleWrites = await enqueueSettlement(env, db, client, dep, cfg, sub, toSettle, head, now, summary);

  // ─── the pool's state, at most once every SNAPSHOT_EVERY_S (its share price over time) ───
  const snapshot = await poolSnapshot(db, client, dep, cfg.chainId, head, snap.blockTimestamp).catch((err: unknown) => {
    // Never owed to anyone: a failed read skips this run's snapshot, nothing else.
    console.warn(JSON.stringify({ at: "keeper.pool-snapshot-skipped", error: err instanceof Error ? err.message.slice(0, 200) : String(err) }));
    return null;
  });

  // ─── writes: index, readings, webhook events, run record — one batch ───
  const changed = snap.assessments.filter((a) => a.changed).map((a) => a.reading);
  summary.observationsRecorded = changed.length;
  const events = webhookEventStatement(db, [...(indexed?.webhookEvents ?? []), ...alerts], now);
  await db.batch([
    ...(indexed?.statements ?? []),
    ...readingStatements(db, snap.assessments.map((a) => a.reading), changed),
    ...settleWrites,
    ...(events ? [events] : []),
    expiringStatement(db, cfg.chainId, now, EXPIRING_WITHIN_S),
    ...(snapshot ? [snapshotStatement(db, snapshot)] : []),
  ]);

  summary.webhooks = await deliverWebhooks(db, now, cfg.webhookBatch, sub);
}

async function enqueueSettlement(
  env: Env,
  db: D1Database,
  client: PublicClient,
  dep: Deployment,
  cfg: KeeperConfig,
  sub: Subrequests,
  incidents: IncidentState[],
  head: bigint,
  now: number,
  summary: TickSummary,
): Promise<D1PreparedStatement[]> {
  summary.settlement = [];
  if (incidents.length === 0) return [];
  const perIncident = await Promise.all(incidents.map((i) => payablePolicies(db, cfg.chainId, Number(i.id), i.productId, Number(i.incidentTime), cfg.settleBatchSize * 20)));
  const all = perIncident.flat();
  if (all.length === 0) return [];
  // Cross-check on-chain: the D1 index lags by the confirmation depth; the paid bit never does.
  const paid = await multicallAt(client, dep.multicall, head, all.map((id) => ({ address: dep.market, abi: marketAbi, functionName: "policyPaid", args: [BigInt(id)] })));
  const isPaid = new Map(all.map((id, k) => [id, paid[k]!.status === "success" && paid[k]!.result === true]));
  // Policies already in a batch the queue is working on are left to it for a while.
  const inFlight = new Set<number>();
  for (const i of await openIntents(db, cfg.keeper)) {
    if (i.kind !== "settle" || now - i.updatedAt > SETTLE_RETRY_AFTER_S) continue;
    const { args } = decodeFunctionData({ abi: marketAbi, data: i.calldata as Hex });
    for (const id of (args?.[1] as readonly bigint[] | undefined) ?? []) inFlight.add(Number(id));
  }
  const messages: { body: SettleMessage }[] = [];
  const writes: D1PreparedStatement[] = [];
  incidents.forEach((inc, k) => {
    const ids = perIncident[k]!.filter((id) => !isPaid.get(id) && !inFlight.has(id));
    let batches = 0;
    for (let s = 0; s < ids.length; s += cfg.settleBatchSize) {
      const chunk = ids.slice(s, s + cfg.settleBatchSize);
      const calldata = encodeFunctionData({ abi: marketAbi, functionName: "settle", args: [inc.id, chunk.map(BigInt)] });
      const intentId = `settle:${cfg.chainId}:${inc.id}:${keccak256(toHex(chunk.join(","))).slice(2, 18)}`;
      messages.push({ body: { chainId: cfg.chainId, incidentId: Number(inc.id), policyIds: chunk, intentId } });
      writes.push(queuedIntentStatement(db, { id: intentId, signer: cfg.keeper, kind: "settle", target: dep.market, calldata }));
      batches++;
    }
    summary.settlement!.push({ incidentId: Number(inc.id), policies: ids.length, batches });
  });
  for (let s = 0; s < messages.length; s += 100) {
    sub.queue++;
    await env.SETTLEMENTS.sendBatch(messages.slice(s, s + 100));
  }
  return writes;
}

/** How often the keeper records the pool's state (block time). */
export const SNAPSHOT_EVERY_S = 900;

/** The pool read at the head, when the latest snapshot is at least SNAPSHOT_EVERY_S old (one Multicall3 call). */
async function poolSnapshot(db: D1Database, client: PublicClient, dep: Deployment, chainId: number, head: bigint, blockTime: bigint): Promise<PoolSnapshot | null> {
  const last = await lastSnapshotAt(db, chainId);
  if (last !== null && Number(blockTime) - last < SNAPSHOT_EVERY_S) return null;
  const read = (functionName: "totalAssets" | "totalSupply" | "activeCover" | "pendingLiability") => ({ address: dep.pool, abi: poolAbi, functionName });
  const out = await multicallAt(client, dep.multicall, head, [
    read("totalAssets"), read("totalSupply"), read("activeCover"), read("pendingLiability"),
    { address: dep.pool, abi: poolAbi, functionName: "convertToAssets", args: [ONE_SHARE] },
  ]);
  const values = out.map((o) => {
    if (o.status !== "success") throw new Error("a pool read failed");
    return String(o.result as bigint);
  });
  const [totalAssets, totalShares, activeCover, pendingLiability, assetsPerShare] = values;
  return { chainId, blockNumber: Number(head), observedAt: Number(blockTime), totalAssets: totalAssets!, totalShares: totalShares!, activeCover: activeCover!, pendingLiability: pendingLiability!, assetsPerShare: assetsPerShare! };
}
