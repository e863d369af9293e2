import { encodeAbiParameters, keccak256, type Address, type Hex, type PublicClient } from "viem";
import { feedAbi, multicallAt } from "../chain/multicall";

/**
 * The keeper's off-chain proof search over a feed's whole history: rounds are read in Multicall3
 * chunks (each chunk one bounded eth_call, far under public RPCs' gas caps), the timeline and
 * the decision are the same as the trigger contracts' (contracts/src/libraries/FeedHistory.sol,
 * DepegTrigger.sol, TvlDropTrigger.sol), and the contract re-checks everything on-chain.
 */

export type Round = { id: bigint; answer: bigint; at: bigint };

/** Rounds one Multicall3 eth_call reads (≈ 10k gas each on a proxy: ≈ 5M gas a chunk). */
export const ROUNDS_PER_CALL = 500;
/** Most rounds one search reads back (a month of a feed posting every 3 minutes). */
export const MAX_SEARCH_ROUNDS = 20_000;

const phaseOf = (id: bigint) => id >> 64n;
const aggOf = (id: bigint) => id & ((1n << 64n) - 1n);

/** Reads rounds of any feed at one block, with a cache, many feeds per Multicall3 request. */
export class RoundCache {
  private cache = new Map<string, Round | null>();
  requests = 0;
  constructor(
    private client: PublicClient,
    private multicall: Address,
    private blockNumber: bigint,
  ) {}

  /** Each (feed, id)'s round, or null when it does not exist (the feed cannot answer it or never set it). */
  async read(pairs: { feed: Address; id: bigint }[]): Promise<(Round | null)[]> {
    const key = (f: Address, id: bigint) => `${f}:${id}`;
    const seen = new Set<string>();
    const missing = pairs.filter((x) => {
      const k = key(x.feed, x.id);
      if (this.cache.has(k) || seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    for (let s = 0; s < missing.length; s += ROUNDS_PER_CALL) {
      const chunk = missing.slice(s, s + ROUNDS_PER_CALL);
      this.requests++;
      const out = await multicallAt(this.client, this.multicall, this.blockNumber, chunk.map((x) => ({ address: x.feed, abi: feedAbi, functionName: "getRoundData", args: [x.id] })));
      chunk.forEach((x, k) => {
        const r = out[k]!;
        const ck = key(x.feed, x.id);
        if (r.status !== "success") return this.cache.set(ck, null);
        const [, answer, , updatedAt] = r.result as readonly [bigint, bigint, bigint, bigint, bigint];
        if (updatedAt === 0n) return this.cache.set(ck, null);
        if (answer < 0n) throw new FeedInvalidError(x.feed, x.id, "answer-negative");
        this.cache.set(ck, { id: x.id, answer, at: updatedAt });
      });
    }
    return pairs.map((x) => this.cache.get(key(x.feed, x.id)) ?? null);
  }

  /** Reads, in as few requests as possible, the `n` rounds before each feed's latest (same phase). */
  async prefetch(latest: { feed: Address; id: bigint }[], n: number): Promise<void> {
    const pairs: { feed: Address; id: bigint }[] = [];
    for (const l of latest) for (let x = 1n; x <= BigInt(n) && aggOf(l.id) > x; x++) pairs.push({ feed: l.feed, id: l.id - x });
    await this.read(pairs);
  }
}

/** One feed's view of a RoundCache. */
export class FeedReader {
  constructor(
    private cache: RoundCache,
    readonly feed: Address,
  ) {}

  async rounds(ids: bigint[]): Promise<(Round | null)[]> {
    return this.cache.read(ids.map((id) => ({ feed: this.feed, id })));
  }

  async round(id: bigint): Promise<Round | null> {
    return (await this.rounds([id]))[0]!;
  }

  /** The last round of `phase` (one that has its round 1): probes many ids per request. */
  async lastOf(phase: bigint): Promise<Round> {
    const base = phase << 64n;
    let lo = 1n; // exists
    let hi = 1n << 63n; // beyond any real round count: treated as missing
    while (hi - lo > 1n) {
      const step = (hi - lo) / 64n > 0n ? (hi - lo) / 64n : 1n;
      const probes: bigint[] = [];
      for (let x = lo + step; x < hi; x += step) probes.push(x);
      const got = await this.rounds(probes.map((x) => base + x));
      let newLo = lo;
      let newHi = hi;
      for (let k = 0; k < probes.length; k++) {
        if (got[k]) newLo = probes[k]!;
        else {
          newHi = probes[k]!;
          break;
        }
      }
      lo = newLo;
      hi = newHi;
    }
    return (await this.round(base + lo))!;
  }
}

export class FeedInvalidError extends Error {
  constructor(readonly feed: Address, readonly roundId: bigint, readonly problem: string) {
    super(`feed ${feed} round ${roundId}: ${problem}`);
    this.name = "FeedInvalidError";
  }
}

/**
 * Reads the timeline backwards from `latest` (oldest first in the result) until `enough` says so,
 * the feed's first round is reached (`fromStart`), or `maxRounds` rounds are held.
 */
export async function readBack(
  r: FeedReader,
  latest: Round,
  enough: (oldest: Round, count: number) => boolean,
  maxRounds = MAX_SEARCH_ROUNDS,
): Promise<{ rounds: Round[]; fromStart: boolean }> {
  const back: Round[] = [latest];
  let fromStart = false;
  let cur = latest;
  const phases = new Map<bigint, Round | null>(); // phase → previous phase's last round (null: none)
  const prevLastOf = async (phase: bigint): Promise<Round | null> => {
    if (!phases.has(phase)) {
      const has = phase > 0n && (await r.round(((phase - 1n) << 64n) | 1n)) !== null;
      phases.set(phase, has ? await r.lastOf(phase - 1n) : null);
    }
    return phases.get(phase)!;
  };
  while (back.length < maxRounds && !enough(cur, back.length)) {
    const phase = phaseOf(cur.id);
    const prevLast = await prevLastOf(phase);
    const k = aggOf(cur.id);
    // A chunk of this phase's earlier rounds at once.
    const n = BigInt(Math.min(ROUNDS_PER_CALL, maxRounds - back.length));
    const from = k - 1n < n ? 1n : k - n;
    const ids: bigint[] = [];
    for (let x = k - 1n; x >= from && x >= 1n; x--) ids.push((phase << 64n) | x);
    const got = await r.rounds(ids);
    let crossed = false;
    for (const g of got) {
      if (!g || (prevLast && g.at < prevLast.at)) {
        crossed = true;
        break;
      }
      back.push(g);
      cur = g;
      if (back.length >= maxRounds || enough(cur, back.length)) break;
    }
    if (back.length >= maxRounds || enough(cur, back.length)) break;
    if (crossed || aggOf(cur.id) <= 1n) {
      if (!prevLast) {
        fromStart = true;
        break;
      }
      back.push(prevLast);
      cur = prevLast;
    }
  }
  return { rounds: back.reverse(), fromStart };
}

// ─── depeg ──────────────────────────────────────────────────────────────────────────────────

/** `walk`: the ids the contract walks, onset to latest. */
export type DepegFound = { onset: Round; walk: bigint[]; proof: Hex };

/**
 * The onset of the depeg episode the latest round belongs to (DepegTrigger's definition): the
 * first round of the run of below-threshold rounds ending at the latest. Null when the latest is
 * not below, or the run reaches further back than the search reads.
 */
export async function findDepegOnset(r: FeedReader, latest: Round, threshold: bigint): Promise<DepegFound | null> {
  if (latest.answer >= threshold) return null;
  const { rounds, fromStart } = await readBack(r, latest, (oldest) => oldest.answer >= threshold);
  let i = rounds.length - 1;
  while (i > 0 && rounds[i - 1]!.answer < threshold) i--;
  if (i === 0 && rounds[0]!.answer < threshold && !fromStart) return null; // run longer than the search
  const onset = rounds[i]!;
  return { onset, walk: rounds.slice(i).map((x) => x.id), proof: encodeAbiParameters([{ type: "uint80" }], [onset.id]) };
}

export function depegScanKey(feed: Address, threshold: bigint, onsetId: bigint): Hex {
  return keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }, { type: "uint80" }], [feed, threshold, onsetId]));
}

// ─── TVL drop ───────────────────────────────────────────────────────────────────────────────

/** `walk`: the ids the contract walks, start to trip. */
export type TvlFound = { start: Round; prev: Round; trip: Round; incidentTime: bigint; walk: bigint[]; proof: Hex };

/**
 * Whether rounds[k] trips (TvlDropTrigger's definition), judged on the rounds held: null when they
 * do not reach back to the round in force when k's window opened.
 */
export function tripsAt(rounds: Round[], k: number, fromStart: boolean, dropBps: bigint, window: bigint) {
  const opens = rounds[k]!.at - window;
  let i = k;
  while (i > 0 && rounds[i]!.at > opens) i--;
  if (!(rounds[i]!.at <= opens || (i === 0 && fromStart))) return null;
  // The last reading in force in the window high enough that the fall from it to rounds[k] is
  // the whole drop; the incident time is the reading after it.
  let peakNext = 0n;
  let trips = false;
  for (let x = i; x < k; x++) {
    if (rounds[x + 1]!.at + window > rounds[k]!.at && rounds[x]!.answer * (10_000n - dropBps) >= rounds[k]!.answer * 10_000n) {
      peakNext = rounds[x + 1]!.at;
      trips = true;
    }
  }
  return { trips, peakNext, startIdx: i };
}

/**
 * The earliest fall (a maximal run of tripping rounds) in the last two windows of history whose
 * incident time is after `notBefore`, as a proof (start, prev, trip) the contract accepts.
 */
export async function findTvlFall(r: FeedReader, latest: Round, dropBps: number, windowSeconds: number, notBefore: bigint): Promise<TvlFound | null> {
  const W = BigInt(windowSeconds);
  const X = BigInt(dropBps);
  const { rounds, fromStart } = await readBack(r, latest, (oldest) => oldest.at + 2n * W < latest.at);
  for (let j = 1; j < rounds.length; j++) {
    const t = tripsAt(rounds, j, fromStart, X, W);
    if (!t || !t.trips) continue;
    const p = tripsAt(rounds, j - 1, fromStart, X, W);
    if (!p || p.trips) continue;
    if (t.peakNext <= notBefore) continue;
    const start = rounds[p.startIdx]!;
    return {
      start,
      prev: rounds[j - 1]!,
      trip: rounds[j]!,
      incidentTime: t.peakNext,
      walk: rounds.slice(p.startIdx, j + 1).map((x) => x.id),
      proof: encodeAbiParameters([{ type: "uint80" }, { type: "uint80" }, { type: "uint80" }], [start.id, rounds[j - 1]!.id, rounds[j]!.id]),
    };
  }
  return null;
}

export function tvlScanKey(feed: Address, dropBps: number, windowSeconds: number, f: { start: Round; prev: Round; trip: Round }): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "uint16" }, { type: "uint32" }, { type: "uint80" }, { type: "uint80" }, { type: "uint80" }],
      [feed, dropBps, windowSeconds, f.start.id, f.prev.id, f.trip.id],
    ),
  );
}

// ─── per product: every leg's proof, and the advance calls a long walk needs first ───────────

/** Rounds the keeper leaves to `check` inside `fire` (the contracts walk up to 1,000). */
export const CHECK_BUDGET = 900;
/** Rounds one `advance` transaction walks (≈ 5k gas a round through a proxy: well under 30M). */
export const ADVANCE_ROUNDS = 1_500;

export type LegSpec =
  | { kind: "tvl_drop"; trigger: Address; feed: Address; dropBps: number; windowSeconds: number }
  | { kind: "depeg"; trigger: Address; feed: Address; threshold: bigint }
  | { kind: "paused"; trigger: Address };

export type LegProof = { proof: Hex; walk: bigint[]; scan: { kind: "depeg" | "tvl_drop"; trigger: Address; key: Hex } | null; incidentTime: bigint | null };

/** A leg's proof found off-chain, or null when its condition is not proven by history. */
export async function legProof(cache: RoundCache, leg: LegSpec, latest: Round | null, notBefore: bigint): Promise<LegProof | null> {
  if (leg.kind === "paused") return { proof: "0x", walk: [], scan: null, incidentTime: null };
  if (!latest) return null;
  const r = new FeedReader(cache, leg.feed);
  if (leg.kind === "depeg") {
    const f = await findDepegOnset(r, latest, leg.threshold);
    if (!f || f.onset.at <= notBefore) return null;
    return { proof: f.proof, walk: f.walk, scan: { kind: "depeg", trigger: leg.trigger, key: depegScanKey(leg.feed, leg.threshold, f.onset.id) }, incidentTime: f.onset.at };
  }
  const f = await findTvlFall(r, latest, leg.dropBps, leg.windowSeconds, notBefore);
  if (!f) return null;
  return { proof: f.proof, walk: f.walk, scan: { kind: "tvl_drop", trigger: leg.trigger, key: tvlScanKey(leg.feed, leg.dropBps, leg.windowSeconds, f) }, incidentTime: f.incidentTime };
}

/**
 * How many `advance` transactions the legs need before `fire` can finish the walk: the rounds
 * left after each leg's stored progress (`cursors`, null when not started), beyond CHECK_BUDGET.
 */
export function advancesNeeded(legs: LegProof[], cursors: (bigint | null)[]): number {
  let most = 0;
  legs.forEach((l, k) => {
    if (l.walk.length === 0) return;
    const c = cursors[k] ?? null;
    const done = c === null ? 0 : Math.max(0, l.walk.indexOf(c));
    const left = l.walk.length - 1 - done;
    if (left > CHECK_BUDGET) most = Math.max(most, Math.ceil((left - CHECK_BUDGET) / ADVANCE_ROUNDS));
  });
  return most;
}
