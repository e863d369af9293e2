import { getAddress, parseEventLogs, zeroAddress, type Address, type Hex, type PublicClient } from "viem";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { cursorStatement, indexStatements, productStatusFromIncidentsStatement, rollbackAfter, setOwners, type IndexChanges, type IncidentChange, type ProductChange } from "../../db/queries/chainIndex";
import { integratorsOf } from "../../db/queries/policies";
import type { Cursor } from "../../db/queries/keeperWatch";
import type { WebhookEvent } from "../../db/queries/webhookDeliveries";
import type { Deployment } from "../chain/deployment";
import { multicallAt } from "../chain/multicall";
import { kindLookup } from "../triggers/index";
import type { Evidence } from "../triggers/kind";

export type IndexResult = {
  from: number;
  to: number;
  events: number;
  /** Set when the cursor's block was no longer canonical: everything after `fork` was re-read. */
  reorgFork: number | null;
  statements: D1PreparedStatement[];
  webhookEvents: WebhookEvent[];
};

/**
 * Reads the market's events from the block after the cursor up to `head - confirmations`
 * (at most `maxBlocks` blocks and, block boundaries allowing, `maxLogs` logs per run; a range the
 * RPC refuses as too large is halved) and turns them into D1 statements, cursor included, for the
 * caller's batch. Before reading, it checks that the cursor's block is still canonical; when it
 * is not (a reorg deeper than the confirmation depth), it undoes what was indexed after a point
 * safely below the cursor and reads again from there.
 */
export async function indexRange(
  db: D1Database,
  client: PublicClient,
  logsClient: PublicClient,
  dep: Deployment,
  opts: { chainId: number; head: bigint; confirmations: number; maxBlocks: number; maxLogs: number; startBlock: number },
  cursor: Cursor | null,
): Promise<IndexResult> {
  let last = cursor?.blockNumber ?? opts.startBlock - 1;
  let reorgFork: number | null = null;
  if (cursor && cursor.blockNumber >= 0) {
    const block = await client.getBlock({ blockNumber: BigInt(cursor.blockNumber) }).catch(() => null);
    if (block && block.hash !== cursor.blockHash) {
      reorgFork = Math.max(opts.startBlock - 1, cursor.blockNumber - Math.max(64, 4 * opts.confirmations));
      const owners = await rollbackAfter(db, opts.chainId, reorgFork);
      await rereadOwners(db, client, dep, owners, reorgFork);
      last = reorgFork;
    }
  }
  const safe = Number(opts.head) - opts.confirmations;
  const from = last + 1;
  // The span the last run found workable: a dense stretch (a burst of purchases) is read in ranges
  // that fit a run's log budget, not asked for whole again by every run while it is worked through.
  const span = Math.max(1, Math.min(opts.maxBlocks, reorgFork === null ? (cursor?.spanBlocks ?? opts.maxBlocks) : opts.maxBlocks));
  const upTo = Math.min(safe, last + span);
  if (upTo < from) return { from, to: last, events: 0, reorgFork, statements: [], webhookEvents: [] };

  const read = await readLogs(logsClient, client, dep.market, from, upTo, opts.maxLogs);
  const events = parseEventLogs({ abi: marketAbi, logs: read.logs, strict: true });
  const times = await blockTimes(client, [...new Set(events.filter((e) => e.eventName !== "CoverPurchased" && e.eventName !== "Transfer").map((e) => e.blockNumber))]);

  const c: IndexChanges = { policies: [], owners: [], opened: [], incidentChanges: [], payouts: [], deferred: [], products: [] };
  const hooks: WebhookEvent[] = [];
  const owners = new Map<number, { id: number; owner: string; block: number }>();
  const incidentChanges = new Map<number, IncidentChange>();
  const productChanges = new Map<number, ProductChange>();
  const openedProducts = new Map<number, number>(); // incident → product
  for (const e of events) {
    const block = Number(e.blockNumber);
    switch (e.eventName) {
      case "CoverPurchased": {
        const a = e.args;
        c.policies.push({
          id: Number(a.policyId), productId: Number(a.productId), owner: getAddress(a.holder), payer: getAddress(a.payer),
          coverAmount: a.coverAmount.toString(), premium: a.premium.toString(), startAt: Number(a.start), endAt: Number(a.end),
          integrator: getAddress(a.integrator), txHash: e.transactionHash, blockNumber: block,
        });
        break;
      }
      case "Transfer":
        if (e.args.from !== zeroAddress) owners.set(Number(e.args.tokenId), { id: Number(e.args.tokenId), owner: getAddress(e.args.to), block });
        break;
      case "IncidentOpened": {
        const a = e.args;
        const id = Number(a.incidentId);
        openedProducts.set(id, Number(a.productId));
        c.opened.push({
          id, productId: Number(a.productId), incidentTime: Number(a.incidentTime), firedAt: times.get(e.blockNumber) ?? 0,
          liability: a.liability.toString(), proofHex: a.proof, evidenceJson: "{}", fireTxHash: e.transactionHash, firedBlock: block,
        });
        productChanges.set(Number(a.productId), { id: Number(a.productId), status: "incident" });
        hooks.push({ type: "incident.opened", id: `incident.opened:${id}`, integrator: null, payload: { incidentId: id, productId: Number(a.productId), incidentTime: Number(a.incidentTime), liability: a.liability.toString(), txHash: e.transactionHash, blockNumber: block } });
        break;
      }
      case "IncidentConfirmed": {
        const id = Number(e.args.incidentId);
        incidentChanges.set(id, { ...incidentChanges.get(id), id, status: "confirmed", block, reserve: e.args.reserve.toString(), confirmedAt: times.get(e.blockNumber), confirmTxHash: e.transactionHash });
        hooks.push({ type: "incident.confirmed", id: `incident.confirmed:${id}`, integrator: null, payload: { incidentId: id, liability: e.args.liability.toString(), reserve: e.args.reserve.toString(), txHash: e.transactionHash, blockNumber: block } });
        break;
      }
      case "IncidentVetoed": {
        const id = Number(e.args.incidentId);
        incidentChanges.set(id, { ...incidentChanges.get(id), id, status: "vetoed", block });
        break;
      }
      case "IncidentClosed": {
        const id = Number(e.args.incidentId);
        incidentChanges.set(id, { ...incidentChanges.get(id), id, status: "closed", block });
        break;
      }
      case "PoliciesSettled": {
        const a = e.args;
        a.policyIds.forEach((pid, k) => {
          const row = { policyId: Number(pid), incidentId: Number(a.incidentId), recipient: getAddress(a.recipients[k]!), amount: a.amounts[k]!.toString(), deferred: false, txHash: e.transactionHash, blockNumber: block, paidAt: times.get(e.blockNumber) ?? 0 };
          c.payouts.push(row);
          hooks.push({ type: "payout.sent", id: `payout.sent:${row.policyId}`, integrator: null, payload: row });
        });
        break;
      }
      case "PayoutDeferred":
        c.deferred.push({ policyId: Number(e.args.policyId) });
        break;
      case "ProductReopened":
        productChanges.set(Number(e.args.productId), { id: Number(e.args.productId), status: "active" });
        break;
      case "ProductSalesPausedSet":
        productChanges.set(Number(e.args.productId), e.args.paused ? { id: Number(e.args.productId), status: "paused", onlyFrom: ["active"] } : { id: Number(e.args.productId), status: "active", onlyFrom: ["paused"] });
        break;
      default:
        break;
    }
  }
  // Product status follows its incidents' outcome.
  for (const ch of incidentChanges.values()) {
    const productId = openedProducts.get(ch.id);
    if (ch.status === "confirmed" && productId !== undefined) productChanges.set(productId, { id: productId, status: "closed" });
  }
  c.owners = [...owners.values()];
  c.incidentChanges = [...incidentChanges.values()];
  c.products = [...productChanges.values()];
  const to = read.to;
  await addEvidence(client, dep, c, BigInt(to));
  await attributePayouts(db, hooks);

  // Narrow to the blocks kept when the budget cut the range; widen (doubling) when it came back light.
  const nextSpan = read.truncated ? Math.max(1, to - from + 1) : read.logs.length * 2 <= opts.maxLogs ? Math.min(opts.maxBlocks, span * 2) : span;
  const statements = [...indexStatements(db, opts.chainId, c), cursorStatement(db, opts.chainId, to, read.toHash, nextSpan >= opts.maxBlocks ? null : nextSpan)];
  // Confirmed/vetoed incidents opened in an earlier range need their product's id from D1.
  if (c.incidentChanges.some((x) => !openedProducts.has(x.id))) {
    statements.push(productStatusFromIncidentsStatement(db, c.incidentChanges.map((x) => x.id)));
  }
  return { from, to, events: events.length, reorgFork, statements, webhookEvents: hooks };
}

async function blockTimes(client: PublicClient, numbers: bigint[]): Promise<Map<bigint, number>> {
  const blocks = await Promise.all(numbers.map((n) => client.getBlock({ blockNumber: n })));
  return new Map(blocks.map((b) => [b.number!, Number(b.timestamp)]));
}

/** Payout events carry the policy's integrator (zero when none), so integrator webhooks hear only about their own policies. */
async function attributePayouts(db: D1Database, hooks: WebhookEvent[]): Promise<void> {
  const payouts = hooks.filter((h) => h.type === "payout.sent");
  if (payouts.length === 0) return;
  const ids = payouts.map((h) => (h.payload as { policyId: number }).policyId);
  const by = await integratorsOf(db, ids);
  for (const h of payouts) {
    h.integrator = by.get((h.payload as { policyId: number }).policyId) ?? zeroAddress;
  }
}

/**
 * The evidence of each opened incident, so anyone can check a payout was right: what its kind
 * reads back from the oracles at the indexed block (the rounds its proof points at, the pause
 * observation; one entry per leg of a composite), with the firing block and transaction.
 */
async function addEvidence(client: PublicClient, dep: Deployment, c: IndexChanges, at: bigint): Promise<void> {
  if (c.opened.length === 0) return;
  const meta = await multicallAt(client, dep.multicall, at, c.opened.flatMap((o) => [
    { address: dep.market, abi: marketAbi, functionName: "product", args: [BigInt(o.productId)] },
    { address: dep.market, abi: marketAbi, functionName: "productParams", args: [BigInt(o.productId)] },
  ]));
  const kinds = kindLookup(dep.triggerKinds);
  const needs: { incident: number; evidence: Evidence }[] = [];
  c.opened.forEach((o, k) => {
    const product = meta[2 * k]!;
    const params = meta[2 * k + 1]!;
    if (product.status !== "success" || params.status !== "success") return;
    const trigger = getAddress((product.result as { trigger: Address }).trigger);
    for (const evidence of kinds.byAddress(trigger)?.evidence(params.result as Hex, o.proofHex as Hex, trigger, kinds) ?? []) needs.push({ incident: o.id, evidence });
  });
  const out = await multicallAt(client, dep.multicall, at, needs.flatMap((n) => n.evidence.calls));
  let i = 0;
  const details = new Map<number, unknown[]>();
  for (const n of needs) {
    const list = details.get(n.incident) ?? [];
    list.push(n.evidence.describe(out.slice(i, i + n.evidence.calls.length)));
    i += n.evidence.calls.length;
    details.set(n.incident, list);
  }
  for (const o of c.opened) {
    o.evidenceJson = JSON.stringify({ conditions: details.get(o.id) ?? [], firedBlock: o.firedBlock, fireTxHash: o.fireTxHash, incidentTime: o.incidentTime });
  }
}

/** After a rollback, policies whose owner changed past the fork get their owner from the chain at the fork. */
async function rereadOwners(db: D1Database, client: PublicClient, dep: Deployment, ids: number[], fork: number): Promise<void> {
  if (ids.length === 0) return;
  const out = await multicallAt(client, dep.multicall, BigInt(fork), ids.map((id) => ({ address: dep.market, abi: marketAbi, functionName: "ownerOf", args: [BigInt(id)] })));
  await setOwners(db, ids.flatMap((id, k) => (out[k]!.status === "success" ? [{ id, owner: getAddress(out[k]!.result as Address), block: fork }] : [])));
}

/** An RPC's refusal of a log range as too large (viem's response-size cap, or the provider's own limits). */
export function isRangeTooLarge(err: unknown): boolean {
  for (let e = err as { name?: string; message?: string; details?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.name === "ResponseBodyTooLargeError" || e.name === "LimitExceededRpcError") return true;
    if (/more than \d+ results|response size|too large|block range|range (is )?too|limited to/i.test(`${e.details ?? ""} ${e.message ?? ""}`) && e.name !== "TimeoutError") return true;
  }
  return false;
}

/** Most halvings of a refused log range in one run (each is one more request). */
const MAX_HALVINGS = 8;

/**
 * The market's logs in [from, to]: halves the range while the RPC refuses it as too large, then
 * keeps whole blocks up to `maxLogs` logs (at least one block, whatever its count). Returns the
 * last block covered and its hash (taken from its logs when it has any; read otherwise).
 */
async function readLogs(logsClient: PublicClient, client: PublicClient, market: Address, from: number, to: number, maxLogs: number) {
  let end = to;
  let halvings = 0;
  for (;;) {
    try {
      const [logs, endBlock] = await Promise.all([
        logsClient.getLogs({ address: market, fromBlock: BigInt(from), toBlock: BigInt(end) }),
        client.getBlock({ blockNumber: BigInt(end) }),
      ]);
      if (logs.length <= maxLogs) return { logs, to: end, toHash: endBlock.hash!, truncated: false };
      // Too many for one run: whole blocks up to the budget; the cursor resumes after the last.
      // Logs come in block order: keep the blocks before the one holding log number maxLogs + 1
      // (or the first block alone when it holds more), and end the range at the last kept log's
      // block, whose hash that log carries.
      const cut = logs[maxLogs]!.blockNumber!;
      const kept = cut > logs[0]!.blockNumber! ? logs.filter((l) => l.blockNumber! < cut) : logs.filter((l) => l.blockNumber === cut);
      const lastLog = kept[kept.length - 1]!;
      return { logs: kept, to: Number(lastLog.blockNumber!), toHash: lastLog.blockHash!, truncated: true };
    } catch (err) {
      if (!isRangeTooLarge(err) || end === from || halvings >= MAX_HALVINGS) throw err;
      end = from + Math.floor((end - from) / 2);
      halvings++;
      console.warn(JSON.stringify({ at: "keeper.index-range-narrowed", from, to: end, halvings }));
    }
  }
}
