import type { Address, PublicClient } from "viem";
import { feedAbi, multicallAt } from "../chain/multicall";

/**
 * A feed's whole history read off-chain, the way contracts/src/libraries/FeedHistory.sol walks it:
 * rounds are read in Multicall3 chunks (each chunk one bounded eth_call, far under public RPCs'
 * gas caps), and the timeline crosses phases as the library does. The feed-history trigger kinds
 * (workers/triggers/tvlDrop.ts, depeg.ts) search it for proofs; the contract re-checks everything.
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
