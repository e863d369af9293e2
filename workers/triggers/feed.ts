import type { Address } from "viem";
import { feedAbi, type Call, type Outcome } from "../chain/multicall";
import type { Round } from "../keeper/feedHistory";
import type { Evidence, Json, LegReading } from "./kind";

/** What the kinds that read a Chainlink feed (TVL drop, depeg) share: the keeper's reads, their hygiene, evidence rounds. */

export type FeedRead = { roundId: bigint; answer: bigint; updatedAt: bigint; decimals: number };

/** A feed leg's reads in the run's first round: the latest round and the decimals. */
export function feedReads(feed: Address): Call[] {
  return [
    { address: feed, abi: feedAbi, functionName: "latestRoundData" },
    { address: feed, abi: feedAbi, functionName: "decimals" },
  ];
}

/** The outcomes of `feedReads`, or null when either did not answer. */
export function feedRead(out: Outcome[]): FeedRead | null {
  const [r, d] = out;
  if (r?.status !== "success" || d?.status !== "success") return null;
  const [roundId, answer, , updatedAt] = r.result as readonly [bigint, bigint, bigint, bigint, bigint];
  return { roundId, answer, updatedAt, decimals: Number(d.result) };
}

/** The latest round as the off-chain search holds it. */
export const latestRound = (f: FeedRead): Round => ({ id: f.roundId, answer: f.answer, at: f.updatedAt });

/**
 * A feed leg's reading: invalid when unreadable, ≤ 0 (< 0 when `zeroIsValid`: a TVL of 0 is a
 * full drain), incomplete, updated in the future, older than `maxAgeSeconds`, or with more than
 * 18 decimals; otherwise `distance` of the valid read decides how far it is from tripping.
 */
export function assessFeed(
  feed: Address,
  f: FeedRead | null,
  now: bigint,
  rules: { maxAgeSeconds: number; zeroIsValid: boolean },
  distance: (f: FeedRead) => bigint,
): LegReading {
  const base = { source: feed, paused: null };
  if (!f) return { ...base, roundId: null, answer: null, updatedAt: null, valid: false, problem: "unreadable", distance: null };
  const shown = { roundId: f.roundId.toString(), answer: f.answer.toString(), updatedAt: Number(f.updatedAt) };
  const problem =
    (rules.zeroIsValid ? f.answer < 0n : f.answer <= 0n) ? "answer-not-positive"
    : f.updatedAt === 0n ? "round-incomplete"
    : f.updatedAt > now ? "updated-in-future"
    : now - f.updatedAt > BigInt(rules.maxAgeSeconds) ? "stale"
    : f.decimals > 18 ? "decimals-unsupported"
    : null;
  if (problem) return { ...base, ...shown, valid: false, problem, distance: null };
  return { ...base, ...shown, valid: true, problem: null, distance: distance(f) };
}

/** Evidence of a feed leg: the rounds its proof points at, read back (round id, answer, update time). */
export function roundsEvidence(kind: string, feed: Address, rounds: bigint[]): Evidence {
  return {
    calls: rounds.map((r) => ({ address: feed, abi: feedAbi, functionName: "getRoundData", args: [r] })),
    describe: (out) => ({
      kind,
      feed,
      rounds: out.map((r): Json => {
        if (r.status !== "success") return { error: "unreadable" };
        const [roundId, answer, , updatedAt] = r.result as readonly [bigint, bigint, bigint, bigint];
        return { roundId: roundId.toString(), answer: answer.toString(), updatedAt: Number(updatedAt) };
      }),
    }),
  };
}
