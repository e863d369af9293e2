import { encodeFunctionData, getAddress, parseAbi, type Address, type Hex, type PublicClient } from "viem";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { abi as depegAbi } from "../../contracts/out/DepegTrigger";
import { abi as tvlAbi } from "../../contracts/out/TvlDropTrigger";
import { abi as triggerIfaceAbi } from "../../contracts/out/ITrigger";
import { encodeAllOfProof } from "../chain/triggerParams";
import { feedAbi, multicallAt, type Call } from "../chain/multicall";
export { feedAbi, isTransportError, multicallAt, type Call } from "../chain/multicall";
import { ADVANCE_ROUNDS, advancesNeeded, legProof, RoundCache, type LegProof, type LegSpec } from "./history";
import type { OpenIncident, Reading, WatchedProduct } from "../../db/queries/keeper";

/** The oracle and covered-contract reads the keeper makes, and the trigger interface it simulates. */

const pausableAbi = parseAbi(["function paused() view returns (bool)"]);
export const triggerAbi = parseAbi([
  "function findProof(bytes params, uint64 notBefore) view returns (bool tripped, bytes proof)",
  "function observationDue(bytes params) view returns (bool)",
]);
const multicallAbi = parseAbi(["function getCurrentBlockTimestamp() view returns (uint256)"]);

const BPS = 10_000n;
/** On-chain ProductStatus / IncidentStatus values (ICoverMarket). */
export const ProductStatus = { None: 0, Active: 1, Incident: 2, Closed: 3 } as const;
export const IncidentStatus = { None: 0, Pending: 1, Confirmed: 2, Vetoed: 3, Closed: 4 } as const;

// ─── products' parameters, as the catalog decoded them ──────────────────────────────────────

type TvlDrop = { kind: "tvl_drop"; trigger: Address; feed: Address; dropBps: number; windowSeconds: number; maxAgeSeconds: number };
type Depeg = { kind: "depeg"; trigger: Address; feed: Address; thresholdE18: bigint; maxAgeSeconds: number };
type Paused = { kind: "paused"; trigger: Address; target: Address };
type Condition = TvlDrop | Depeg | Paused;

function conditionsOf(p: { triggerKind: string; triggerAddress: string; paramsJson: string }): Condition[] {
  const j = JSON.parse(p.paramsJson) as Record<string, unknown>;
  const one = (kind: string, trigger: Address, x: Record<string, unknown>): Condition[] => {
    if (kind === "tvl_drop") return [{ kind, trigger, feed: getAddress(x.feed as string), dropBps: Number(x.dropBps), windowSeconds: Number(x.windowSeconds), maxAgeSeconds: Number(x.maxAgeSeconds) }];
    if (kind === "depeg") return [{ kind, trigger, feed: getAddress(x.feed as string), thresholdE18: BigInt(x.thresholdE18 as string), maxAgeSeconds: Number(x.maxAgeSeconds) }];
    if (kind === "paused") return [{ kind, trigger, target: getAddress(x.target as string) }];
    if (kind === "all_of") return (x.triggers as { kind: string; trigger: string; params: Record<string, unknown> }[]).flatMap((t) => one(t.kind, getAddress(t.trigger), t.params));
    return [];
  };
  return one(p.triggerKind, getAddress(p.triggerAddress), j);
}

// ─── one tick's reading of every product ────────────────────────────────────────────────────

type FeedRead = { roundId: bigint; answer: bigint; updatedAt: bigint; decimals: number } | null;
export type OnChainProduct = { status: number; activeSince: bigint; vetoWindowSeconds: number; trigger: Address; openIncident: bigint };

export type Assessment = {
  product: WatchedProduct;
  onChain: OnChainProduct | null;
  reading: Reading;
  changed: boolean;
  /** The condition looks tripped (or new oracle data arrived): ask the trigger for a proof. */
  candidate: boolean;
  observeDue: boolean;
};

export type Snapshot = {
  blockNumber: bigint;
  blockTimestamp: bigint;
  assessments: Assessment[];
  /** Each feed's latest round and decimals at the block (null when unreadable). */
  feeds: Map<Address, FeedRead>;
};

/**
 * Reads every watched product's oracle state in one Multicall3 round at `blockNumber`: each
 * distinct feed's latest round and decimals, each covered contract's `paused()`, the market's
 * record of each product and its open incident, and whether an observation is due. Decides per
 * product how far it is from tripping, whether the data is valid (stale, zero or future data is
 * recorded and never acted on), and whether to look for a proof.
 */
export async function readProducts(
  client: PublicClient,
  addr: { market: Address; multicall: Address },
  blockNumber: bigint,
  products: WatchedProduct[],
): Promise<Snapshot> {
  const conditions = products.map(conditionsOf);
  const feeds = [...new Set(conditions.flat().flatMap((c) => (c.kind === "paused" ? [] : [c.feed])))];
  const targets = [...new Set(conditions.flat().flatMap((c) => (c.kind === "paused" ? [c.target] : [])))];
  const observing = products.filter((p) => p.triggerKind === "paused" || p.triggerKind === "all_of");

  const calls: Call[] = [{ address: addr.multicall, abi: multicallAbi, functionName: "getCurrentBlockTimestamp" }];
  for (const f of feeds) calls.push({ address: f, abi: feedAbi, functionName: "latestRoundData" }, { address: f, abi: feedAbi, functionName: "decimals" });
  for (const t of targets) calls.push({ address: t, abi: pausableAbi, functionName: "paused" });
  for (const p of products) {
    calls.push({ address: addr.market, abi: marketAbi, functionName: "product", args: [BigInt(p.id)] });
    calls.push({ address: addr.market, abi: marketAbi, functionName: "openIncidentOf", args: [BigInt(p.id)] });
  }
  for (const p of observing) calls.push({ address: getAddress(p.triggerAddress), abi: triggerAbi, functionName: "observationDue", args: [p.paramsHex as Hex] });

  const out = await multicallAt(client, addr.multicall, blockNumber, calls);
  let i = 0;
  const next = () => out[i++]!;
  const ts = next();
  if (ts.status !== "success") throw new Error("Multicall3 did not answer getCurrentBlockTimestamp");
  const blockTimestamp = ts.result as bigint;
  const feedReads = new Map<Address, FeedRead>();
  for (const f of feeds) {
    const r = next();
    const d = next();
    if (r.status !== "success" || d.status !== "success") feedReads.set(f, null);
    else {
      const [roundId, answer, , updatedAt] = r.result as readonly [bigint, bigint, bigint, bigint, bigint];
      feedReads.set(f, { roundId, answer, updatedAt, decimals: Number(d.result) });
    }
  }
  const pausedReads = new Map<Address, boolean | null>();
  for (const t of targets) {
    const r = next();
    pausedReads.set(t, r.status === "success" ? Boolean(r.result) : null);
  }
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
    const parts = conditions[k]!.map((c) => assess(c, c.kind === "paused" ? pausedReads.get(c.target) : feedReads.get(c.feed), blockTimestamp, p));
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
    let candidate = false;
    if (active && reading.valid && !observeDue) {
      // TVL: at the trip level against the recorded peak, or several rounds since the last run
      // (a dense feed: the rounds in between may hold a fall) with the reading below the peak.
      // The off-chain search over the feed's history then decides exactly.
      const skipped = p.wRoundId !== null && reading.roundId !== null ? BigInt(reading.roundId) - BigInt(p.wRoundId) : 0n;
      const leg = conditions[k]![0];
      // distance < dropBps ⇔ the reading is below the recorded peak.
      const belowPeak = leg?.kind === "tvl_drop" && reading.distanceBps !== null && reading.distanceBps < leg.dropBps;
      // A product seen for the first time may have fallen before the keeper ever read it.
      if (p.triggerKind === "tvl_drop") candidate = reading.distanceBps === 0 || p.wRoundId === null || (skipped > 1n && belowPeak);
      else if (p.triggerKind === "depeg" || p.triggerKind === "paused") candidate = reading.distanceBps === 0;
      else candidate = true; // all-of: few products, and a sub-condition may have tripped rounds ago
    }
    return { product: p, onChain: chain, reading, changed, candidate, observeDue };
  });
  return { blockNumber, blockTimestamp, assessments, feeds: feedReads };
}

type Part = { source: string; roundId: string | null; answer: string | null; updatedAt: number | null; paused: boolean | null; valid: boolean; problem: string | null; distance: bigint | null };

function assess(c: Condition, read: FeedRead | boolean | null | undefined, now: bigint, p: WatchedProduct): Part {
  if (c.kind === "paused") {
    if (read === null || read === undefined) return { source: c.target, roundId: null, answer: null, updatedAt: null, paused: null, valid: false, problem: "unreadable", distance: null };
    return { source: c.target, roundId: null, answer: null, updatedAt: null, paused: read as boolean, valid: true, problem: null, distance: read ? 0n : BPS };
  }
  const f = read as FeedRead | undefined;
  const base = { source: c.feed, paused: null };
  if (!f) return { ...base, roundId: null, answer: null, updatedAt: null, valid: false, problem: "unreadable", distance: null };
  const shown = { roundId: f.roundId.toString(), answer: f.answer.toString(), updatedAt: Number(f.updatedAt) };
  const problem =
    (c.kind === "tvl_drop" ? f.answer < 0n : f.answer <= 0n) ? "answer-not-positive"
    : f.updatedAt === 0n ? "round-incomplete"
    : f.updatedAt > now ? "updated-in-future"
    : now - f.updatedAt > BigInt(c.maxAgeSeconds) ? "stale"
    : f.decimals > 18 ? "decimals-unsupported"
    : null;
  if (problem) return { ...base, ...shown, valid: false, problem, distance: null };
  if (c.kind === "depeg") {
    const price = f.answer * 10n ** BigInt(18 - f.decimals);
    return { ...base, ...shown, valid: true, problem: null, distance: price < c.thresholdE18 ? 0n : ((price - c.thresholdE18) * BPS) / c.thresholdE18 };
  }
  // TVL drop: distance from the trip level below the highest reading inside the window.
  let peak = f.answer;
  for (const v of [p.peak, p.wValid ? p.wAnswer : null]) if (v !== null && BigInt(v) > peak) peak = BigInt(v);
  const level = (peak * (BPS - BigInt(c.dropBps))) / BPS;
  return { ...base, ...shown, valid: true, problem: null, distance: f.answer <= level ? 0n : ((f.answer - level) * BPS) / peak };
}

/** A proof for `fire`, and the `advance` calls (to the product's trigger) a long walk needs first. */
export type ProofFound = { productId: number; proof: Hex; trigger: Address; advance: Hex[] };
export type IncidentState = { id: bigint; productId: number; status: number; incidentTime: bigint; firedAt: bigint; vetoWindowSeconds: number };


/**
 * Second round, only when needed: proofs for the candidates, and the state of every open
 * incident. Feed-history kinds (TVL drop, depeg, and their legs in all-of products) are searched
 * off-chain over as much history as the event needs (FeedHistory's timeline, in bounded
 * Multicall3 chunks); the paused kind's proof is its on-chain observations (`findProof`). Each
 * proof names the incident time after the product's `activeSince`, as the market requires.
 */
export async function proofsAndIncidents(
  client: PublicClient,
  addr: { market: Address; multicall: Address },
  snap: Snapshot,
  knownIncidents: OpenIncident[],
): Promise<{ proofs: ProofFound[]; incidents: IncidentState[]; roundRequests: number }> {
  const candidates = snap.assessments.filter((a) => a.candidate && a.onChain);
  const onChainSearch = candidates.filter((a) => a.product.triggerKind === "paused");
  const offChain = candidates.filter((a) => a.product.triggerKind !== "paused");
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
  const legsOf = candidates.map((a) => conditionsOf(a.product));
  // One request for the recent rounds of every candidate's feeds; long events read more.
  const latestOf = (f: Address) => {
    const x = snap.feeds.get(f);
    return x ? { id: x.roundId, answer: x.answer, at: x.updatedAt } : null;
  };
  const feeds = [...new Set(legsOf.flat().flatMap((c) => (c.kind === "paused" ? [] : [c.feed])))];
  await cache.prefetch(feeds.flatMap((f) => (latestOf(f) ? [{ feed: f, id: latestOf(f)!.id }] : [])), 64);

  const found: { a: Assessment; legs: LegProof[] }[] = [];
  for (const [k, a] of candidates.entries()) {
    const legs: LegProof[] = [];
    let ok = true;
    for (const c of legsOf[k]!) {
      const spec: LegSpec =
        c.kind === "paused" ? { kind: "paused", trigger: c.trigger }
        : c.kind === "depeg" ? { kind: "depeg", trigger: c.trigger, feed: c.feed, threshold: c.thresholdE18 / 10n ** BigInt(18 - (snap.feeds.get(c.feed)?.decimals ?? 18)) }
        : { kind: "tvl_drop", trigger: c.trigger, feed: c.feed, dropBps: c.dropBps, windowSeconds: c.windowSeconds };
      const leg = await legProof(cache, spec, spec.kind === "paused" ? null : latestOf(spec.feed), a.onChain!.activeSince).catch((err: unknown) => {
        console.warn(JSON.stringify({ at: "keeper.proof-search", productId: a.product.id, error: err instanceof Error ? err.message.slice(0, 200) : String(err) }));
        return null;
      });
      if (!leg) {
        ok = false;
        break;
      }
      legs.push(leg);
    }
    if (ok) found.push({ a, legs });
  }
  if (found.length === 0) return [];

  // Stored walk progress of every leg that walks further than one check does.
  const scanCalls: Call[] = [];
  const scanAt: (number | null)[][] = found.map((f) =>
    f.legs.map((l) => {
      if (!l.scan || l.walk.length <= 900) return null;
      scanCalls.push({ address: l.scan.trigger, abi: l.scan.kind === "depeg" ? depegAbi : tvlAbi, functionName: "scans", args: [l.scan.key] });
      return scanCalls.length - 1;
    }),
  );
  const scans = await multicallAt(client, addr.multicall, snap.blockNumber, scanCalls);
  return found.map(({ a, legs }, k) => {
    const cursors = scanAt[k]!.map((i) => {
      if (i === null) return null;
      const r = scans[i]!;
      if (r.status !== "success") return null;
      const v = r.result as readonly unknown[];
      const started = legs[scanAt[k]!.indexOf(i)]!.scan!.kind === "depeg" ? Boolean(v[4]) : Boolean(v[3]);
      return started ? (v[0] as bigint) : null;
    });
    const proof = a.product.triggerKind === "all_of" ? encodeAllOfProof(legs.map((l) => l.proof)) : legs[0]!.proof;
    const n = advancesNeeded(legs, cursors);
    const data = encodeFunctionData({ abi: triggerIfaceAbi, functionName: "advance", args: [a.product.paramsHex as Hex, proof, BigInt(ADVANCE_ROUNDS)] });
    return { productId: a.product.id, proof, trigger: getAddress(a.product.triggerAddress), advance: Array.from({ length: n }, () => data) };
  });
}
