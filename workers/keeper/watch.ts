import { encodeFunctionData, getAddress, type Address, type Hex, type PublicClient } from "viem";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { abi as triggerIfaceAbi } from "../../contracts/out/ITrigger";
import { multicallAbi, multicallAt, type Call, type Outcome } from "../chain/multicall";
export { feedAbi, isTransportError, multicallAt, type Call } from "../chain/multicall";
import { kindLookup, kindNamed } from "../triggers/index";
import type { LegProof, LegReading, Watch, WatchLeg } from "../triggers/kind";
import { RoundCache } from "./feedHistory";
import { ADVANCE_ROUNDS, advancesNeeded, CHECK_BUDGET } from "./history";
import type { OpenIncident, Reading, WatchedProduct } from "../../db/queries/keeperWatch";

/**
 * The keeper's reads and decisions, kind by kind through the table (workers/triggers/): each
 * product's legs say what to read and how far the reading is from tripping; each kind says when
 * to look for a proof and how its legs' proofs make the one `fire` takes.
 */

/** Every trigger kind's interface (ITrigger), from the generated artifact. */
export const triggerAbi = triggerIfaceAbi;

/** On-chain ProductStatus / IncidentStatus values (ICoverMarket). */
export const ProductStatus = { None: 0, Active: 1, Incident: 2, Closed: 3 } as const;
export const IncidentStatus = { None: 0, Pending: 1, Confirmed: 2, Vetoed: 3, Closed: 4 } as const;

const kindsByName = kindLookup();

/** A product's watch, from its parameters in words as the catalog decoded them. */
function watchOf(p: WatchedProduct): Watch {
  return kindNamed(p.triggerKind).keeper.watch(JSON.parse(p.paramsJson), getAddress(p.triggerAddress), kindsByName);
}

/** A leg with the outcomes of its reads in this run. */
type ReadLeg = { leg: WatchLeg; out: Outcome[] };

/** Calls asked for by many legs (a feed shared by products) are made once. */
class CallSet {
  readonly calls: Call[] = [];
  private index = new Map<string, number>();
  add(c: Call): number {
    const key = `${c.address}:${c.functionName}:${JSON.stringify(c.args ?? [], (_, v) => (typeof v === "bigint" ? v.toString() : v))}`;
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.calls.push(c) - 1;
      this.index.set(key, i);
    }
    return i;
  }
}

// ─── one tick's reading of every product ────────────────────────────────────────────────────

export type OnChainProduct = { status: number; activeSince: bigint; vetoWindowSeconds: number; trigger: Address; openIncident: bigint };

export type Assessment = {
  product: WatchedProduct;
  onChain: OnChainProduct | null;
  reading: Reading;
  changed: boolean;
  /** The condition looks tripped (or new oracle data arrived): ask the trigger for a proof. */
  candidate: boolean;
  observeDue: boolean;
  /** How the product's kind watches it, and its legs with what this run read for each (the proof search starts from them). */
  watch: Watch;
  legs: ReadLeg[];
};

export type Snapshot = {
  blockNumber: bigint;
  blockTimestamp: bigint;
  assessments: Assessment[];
};

/**
 * Reads every watched product's oracle state in one Multicall3 round at `blockNumber`: what each
 * product's legs read (each distinct feed's latest round and decimals, each covered contract's
 * `paused()`, …, once however many products share it), the market's record of each product and
 * its open incident, and whether an observation is due. Decides per product how far it is from
 * tripping, whether the data is valid (stale, zero or future data is recorded and never acted
 * on), and whether to look for a proof.
 */
export async function readProducts(
  client: PublicClient,
  addr: { market: Address; multicall: Address },
  blockNumber: bigint,
  products: WatchedProduct[],
): Promise<Snapshot> {
  // In slices, one after the other: one slice's calls, answers and assessments are what a run
  // holds in memory at a time, however many products there are (10,000 products in one round
  // exhausted the Worker's heap). Each slice is one JSON-RPC batch.
  if (products.length <= PRODUCTS_PER_READ) return readSlice(client, addr, blockNumber, products);
  const assessments: Assessment[] = [];
  let blockTimestamp = 0n;
  for (let s = 0; s < products.length; s += PRODUCTS_PER_READ) {
    const part = await readSlice(client, addr, blockNumber, products.slice(s, s + PRODUCTS_PER_READ));
    blockTimestamp = part.blockTimestamp;
    assessments.push(...part.assessments);
  }
  return { blockNumber, blockTimestamp, assessments };
}

/** Products read per Multicall3 round (one JSON-RPC batch each). */
export const PRODUCTS_PER_READ = 1_000;

async function readSlice(
  client: PublicClient,
  addr: { market: Address; multicall: Address },
  blockNumber: bigint,
  products: WatchedProduct[],
): Promise<Snapshot> {
  const watches = products.map(watchOf);
  const reads = new CallSet();
  const readAt = watches.map((w) => w.legs.map((l) => l.reads.map((c) => reads.add(c))));
  const observing = products.filter((p) => kindNamed(p.triggerKind).keeper.observes);

  const calls: Call[] = [{ address: addr.multicall, abi: multicallAbi, functionName: "getCurrentBlockTimestamp" }, ...reads.calls];
  for (const p of products) {
    calls.push({ address: addr.market, abi: marketAbi, functionName: "product", args: [BigInt(p.id)] });
    calls.push({ address: addr.market, abi: marketAbi, functionName: "openIncidentOf", args: [BigInt(p.id)] });
  }
  for (const p of observing) calls.push({ address: getAddress(p.triggerAddress), abi: triggerAbi, functionName: "observationDue", args: [p.paramsHex as Hex] });

  const out = await multicallAt(client, addr.multicall, blockNumber, calls);
  const ts = out[0]!;
  if (ts.status !== "success") throw new Error("Multicall3 did not answer getCurrentBlockTimestamp");
  const blockTimestamp = ts.result as bigint;
  const readOut = out.slice(1, 1 + reads.calls.length);
  let i = 1 + reads.calls.length;
  const next = () => out[i++]!;
  const onChain = new Map<number, OnChainProduct | null>();
  for (const p of products) {
    const r = next();
    const inc = next();
    if (r.status !== "success" || inc.status !== "success") onChain.set(p.id, null);
    else {
      const m = r.result as { status: number; activeSince: number; vetoWindowSeconds: number; trigger: Address };
      onChain.set(p.id, { status: m.status, activeSince: BigInt(m.activeSince), vetoWindowSeconds: m.vetoWindowSeconds, trigger: m.trigger, openIncident: inc.result as bigint });
    }
  }
  const due = new Map<number, boolean>();
  for (const p of observing) {
    const r = next();
    due.set(p.id, r.status === "success" && Boolean(r.result));
  }

  const assessments = products.map((p, k): Assessment => {
    const legs = watches[k]!.legs.map((leg, j): ReadLeg => ({ leg, out: readAt[k]![j]!.map((x) => readOut[x]!) }));
    const parts: LegReading[] = legs.map(({ leg, out }) => leg.assess(out, blockTimestamp, p));
    const first = parts[0];
    const invalid = parts.find((x) => !x.valid);
    const distance = parts.reduce<bigint | null>((m, x) => (x.distance === null ? m : m === null || x.distance > m ? x.distance : m), null);
    const reading: Reading = {
      productId: p.id,
      source: first?.source ?? p.triggerAddress,
      roundId: first?.roundId ?? null,
      answer: first?.answer ?? null,
      updatedAt: first?.updatedAt ?? null,
      paused: parts.find((x) => x.paused !== null)?.paused ?? null,
      valid: parts.length > 0 && invalid === undefined,
      problem: parts.length === 0 ? "no-conditions" : invalid?.problem ?? null,
      distanceBps: invalid ? null : distance === null ? null : Number(distance),
      blockNumber: Number(blockNumber),
      observedAt: Number(blockTimestamp),
    };
    const changed =
      p.wValid === null ||
      p.wRoundId !== reading.roundId ||
      Boolean(p.wValid) !== reading.valid ||
      (p.wProblem ?? null) !== reading.problem ||
      (p.wPaused === null ? null : Boolean(p.wPaused)) !== reading.paused;
    const chain = onChain.get(p.id) ?? null;
    const active = chain?.status === ProductStatus.Active;
    const observeDue = active && (due.get(p.id) ?? false);
    // Rounds the feed posted since the keeper's last reading (a dense feed may hide an event between runs).
    const skippedRounds = p.wRoundId !== null && reading.roundId !== null ? BigInt(reading.roundId) - BigInt(p.wRoundId) : 0n;
    const candidate = active && reading.valid && !observeDue && watches[k]!.candidate({ distanceBps: reading.distanceBps, record: p, skippedRounds });
    return { product: p, onChain: chain, reading, changed, candidate, observeDue, watch: watches[k]!, legs };
  });
  return { blockNumber, blockTimestamp, assessments };
}

/** A proof for `fire`, and the `advance` calls (to the product's trigger) a long walk needs first. */
export type ProofFound = { productId: number; proof: Hex; trigger: Address; advance: Hex[] };
export type IncidentState = { id: bigint; productId: number; status: number; incidentTime: bigint; firedAt: bigint; vetoWindowSeconds: number };

/**
 * Second round, only when needed: proofs for the candidates, and the state of every open
 * incident. Kinds whose proof is the trigger's own (`proofSearch: "on-chain"`, the paused kind's
 * observations) are asked `findProof`; the others' legs are searched off-chain over as much
 * history as the event needs (feed history in bounded Multicall3 chunks). Each proof names the
 * incident time after the product's `activeSince`, as the market requires.
 */
export async function proofsAndIncidents(
  client: PublicClient,
  addr: { market: Address; multicall: Address },
  snap: Snapshot,
  knownIncidents: OpenIncident[],
): Promise<{ proofs: ProofFound[]; incidents: IncidentState[]; roundRequests: number }> {
  const candidates = snap.assessments.filter((a) => a.candidate && a.onChain);
  const onChainSearch = candidates.filter((a) => kindNamed(a.product.triggerKind).keeper.proofSearch === "on-chain");
  const offChain = candidates.filter((a) => kindNamed(a.product.triggerKind).keeper.proofSearch === "off-chain");
  const vetoOf = new Map(snap.assessments.map((a) => [a.product.id, a.onChain?.vetoWindowSeconds ?? 0]));
  const ids = new Set(knownIncidents.map((x) => BigInt(x.id)));
  for (const a of snap.assessments) if (a.onChain && a.onChain.openIncident !== 0n && a.onChain.status !== ProductStatus.Active) ids.add(a.onChain.openIncident);
  const incidentIds = [...ids];
  const calls: Call[] = [
    ...onChainSearch.map((a) => ({ address: getAddress(a.product.triggerAddress), abi: triggerAbi, functionName: "findProof", args: [a.product.paramsHex as Hex, a.onChain!.activeSince] })),
    ...incidentIds.map((id) => ({ address: addr.market, abi: marketAbi, functionName: "incident", args: [id] })),
  ];
  const out = await multicallAt(client, addr.multicall, snap.blockNumber, calls);
  const proofs: ProofFound[] = [];
  onChainSearch.forEach((a, k) => {
    const r = out[k]!;
    if (r.status !== "success") return;
    const [tripped, proof] = r.result as readonly [boolean, Hex];
    if (tripped) proofs.push({ productId: a.product.id, proof, trigger: getAddress(a.product.triggerAddress), advance: [] });
  });
  const incidents: IncidentState[] = [];
  incidentIds.forEach((id, k) => {
    const r = out[onChainSearch.length + k]!;
    if (r.status !== "success") return;
    const m = r.result as { productId: number; status: number; incidentTime: number; firedAt: number };
    incidents.push({ id, productId: m.productId, status: m.status, incidentTime: BigInt(m.incidentTime), firedAt: BigInt(m.firedAt), vetoWindowSeconds: vetoOf.get(m.productId) ?? 0 });
  });
  const cache = new RoundCache(client, addr.multicall, snap.blockNumber);
  proofs.push(...(await searchOffChain(client, addr, snap, offChain, cache)));
  return { proofs, incidents, roundRequests: cache.requests };
}

async function searchOffChain(client: PublicClient, addr: { multicall: Address }, snap: Snapshot, candidates: Assessment[], cache: RoundCache): Promise<ProofFound[]> {
  if (candidates.length === 0) return [];
  // One request for the recent rounds of every candidate's feeds; long events read more.
  const latest = new Map<string, { feed: Address; id: bigint }>();
  for (const a of candidates) for (const { leg, out } of a.legs) {
    const h = leg.history(out);
    if (h) latest.set(`${h.feed}:${h.id}`, h);
  }
  await cache.prefetch([...latest.values()], 64);

  const found: { a: Assessment; legs: LegProof[] }[] = [];
  for (const a of candidates) {
    const legs: LegProof[] = [];
    let ok = true;
    for (const { leg, out } of a.legs) {
      const proof = await leg.findProof(out, cache, a.onChain!.activeSince).catch((err: unknown) => {
        console.warn(JSON.stringify({ at: "keeper.proof-search", productId: a.product.id, error: err instanceof Error ? err.message.slice(0, 200) : String(err) }));
        return null;
      });
      if (!proof) {
        ok = false;
        break;
      }
      legs.push(proof);
    }
    if (ok) found.push({ a, legs });
  }
  if (found.length === 0) return [];

  // Stored walk progress of every leg that walks further than one check does.
  const scanCalls: Call[] = [];
  const scanAt: (number | null)[][] = found.map((f) =>
    f.legs.map((l) => {
      if (!l.scan || l.walk.length <= CHECK_BUDGET) return null;
      scanCalls.push(l.scan.call);
      return scanCalls.length - 1;
    }),
  );
  const scans = await multicallAt(client, addr.multicall, snap.blockNumber, scanCalls);
  return found.map(({ a, legs }, k) => {
    const cursors = scanAt[k]!.map((i, j) => {
      if (i === null) return null;
      const r = scans[i]!;
      return r.status === "success" ? legs[j]!.scan!.cursor(r.result) : null;
    });
    const proof = a.watch.proof(legs.map((l) => l.proof));
    const n = advancesNeeded(legs, cursors);
    const data = encodeFunctionData({ abi: triggerIfaceAbi, functionName: "advance", args: [a.product.paramsHex as Hex, proof, BigInt(ADVANCE_ROUNDS)] });
    return { productId: a.product.id, proof, trigger: getAddress(a.product.triggerAddress), advance: Array.from({ length: n }, () => data) };
  });
}
