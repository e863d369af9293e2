import { z } from "@hono/zod-openapi";
import { decodeAbiParameters, encodeAbiParameters, getAddress, keccak256, zeroAddress, type Address, type Hex } from "viem";
import { abi } from "../../contracts/out/TvlDropTrigger";
import { FeedReader, readBack, type Round } from "../keeper/feedHistory";
import { Address as AddressWords } from "../schemas/common";
import { assessFeed, feedRead, feedReads, latestRound, roundsEvidence } from "./feed";
import { abiInputs, jsonOf, type TriggerKindModule, type WatchLeg } from "./kind";
import { exploitFrequency } from "../pricing/frequency";

/**
 * TVL drop (contracts/src/triggers/TvlDropTrigger.sol): a protocol's TVL feed falls by `dropBps`
 * from the highest reading in force within `windowSeconds`. The proof is three round ids
 * (start, prev, trip); the incident time is the contract's canonical one (see its NatSpec).
 */

export type TvlDropParams = {
  feed: Address;
  dropBps: number;
  windowSeconds: number;
  maxAgeSeconds: number;
  sequencerFeed?: Address;
  sequencerGraceSeconds?: number;
};

/**
 * A TVL-drop proof: `start` (the round in force when `prev`'s window opened, or the feed's first
 * round), `prev` (the round right before `trip`, which does not trip) and `trip` (the first round
 * of the fall). See TvlDropTrigger's NatSpec.
 */
export type TvlDropProof = { startRoundId: bigint; prevRoundId: bigint; tripRoundId: bigint };

// The artifact's `scanKey(Params p, uint80 startId, uint80 prevId, uint80 tripId)` carries both
// the Params struct and the proof's types; `paramsKey(feed, dropBps, windowSeconds)` the fields
// the scan key is taken over.
const [paramsTuple, startId, prevId, tripId] = abiInputs(abi, "scanKey");
const proofTypes = [startId, prevId, tripId] as const;
const scanKeyTypes = [...abiInputs(abi, "paramsKey"), startId, prevId, tripId] as const;

export function encodeTvlDropParams(p: TvlDropParams): Hex {
  return encodeAbiParameters([paramsTuple], [{ ...p, sequencerFeed: p.sequencerFeed ?? zeroAddress, sequencerGraceSeconds: p.sequencerGraceSeconds ?? 0 }]);
}

export function decodeTvlDropParams(params: Hex): Required<TvlDropParams> {
  const [p] = decodeAbiParameters([paramsTuple], params);
  return p;
}

export function encodeTvlDropProof(startRoundId: bigint, prevRoundId: bigint, tripRoundId: bigint): Hex {
  return encodeAbiParameters(proofTypes, [startRoundId, prevRoundId, tripRoundId]);
}

export function decodeTvlDropProof(proof: Hex): TvlDropProof {
  const [startRoundId, prevRoundId, tripRoundId] = decodeAbiParameters(proofTypes, proof);
  return { startRoundId, prevRoundId, tripRoundId };
}

/** The key of the trigger's stored walk progress (`scans`), as the contract's `scanKey` takes it. */
export function tvlScanKey(feed: Address, dropBps: number, windowSeconds: number, f: { start: Round; prev: Round; trip: Round }): Hex {
  return keccak256(encodeAbiParameters(scanKeyTypes, [feed, dropBps, windowSeconds, f.start.id, f.prev.id, f.trip.id]));
}

// ─── the off-chain proof search (the contract's decision, over the rounds read back) ─────────

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
      proof: encodeTvlDropProof(start.id, rounds[j - 1]!.id, rounds[j]!.id),
    };
  }
  return null;
}

// ─── the kind ────────────────────────────────────────────────────────────────────────────────

const BPS = 10_000n;

const paramsSchema = z
  .object({
    feed: AddressWords,
    dropBps: z.int(),
    windowSeconds: z.int(),
    maxAgeSeconds: z.int(),
    sequencerFeed: AddressWords,
    sequencerGraceSeconds: z.int(),
  })
  .openapi("TvlDropParams");

export const tvlDrop = {
  name: "tvl_drop",
  label: "TVL drop",
  contract: "TvlDropTrigger",
  deployKey: "tvlDrop",
  abi,
  deployArgs: () => [],
  // Refuse within 5% of the drop level, measured against the window's peak.
  defaultSalesMarginBps: 500,

  paramsSchema,
  encodeParams: encodeTvlDropParams,
  decodeParams: decodeTvlDropParams,
  // TVL falls that an exploit causes; the window is not priced (exploits drain within hours).
  tripFrequency(params, ctx) {
    const p = paramsSchema.safeParse(params);
    return p.success ? exploitFrequency(ctx, p.data.dropBps, "its TVL") : null;
  },
  describeParams: (params) => jsonOf(decodeTvlDropParams(params)),
  encodeProof: (p) => encodeTvlDropProof(p.startRoundId, p.prevRoundId, p.tripRoundId),
  decodeProof: decodeTvlDropProof,

  keeper: {
    observes: false,
    proofSearch: "off-chain",
    recordsPeak: true,
    watch(params, trigger) {
      const p = paramsSchema.parse(params);
      const feed = getAddress(p.feed);
      const leg: WatchLeg = {
        reads: feedReads(feed),
        // Distance from the trip level below the highest reading inside the window (the keeper's
        // recorded peak and last reading, and this one); a reading of 0 is a full drain.
        assess: (out, now, record) =>
          assessFeed(feed, feedRead(out), now, { maxAgeSeconds: p.maxAgeSeconds, zeroIsValid: true }, (f) => {
            let peak = f.answer;
            for (const v of [record.peak, record.wValid ? record.wAnswer : null]) if (v !== null && BigInt(v) > peak) peak = BigInt(v);
            const level = (peak * (BPS - BigInt(p.dropBps))) / BPS;
            return f.answer <= level ? 0n : ((f.answer - level) * BPS) / peak;
          }),
        history: (out) => {
          const f = feedRead(out);
          return f ? { feed, id: f.roundId } : null;
        },
        async findProof(out, rounds, notBefore) {
          const f = feedRead(out);
          if (!f) return null;
          const fall = await findTvlFall(new FeedReader(rounds, feed), latestRound(f), p.dropBps, p.windowSeconds, notBefore);
          if (!fall) return null;
          const key = tvlScanKey(feed, p.dropBps, p.windowSeconds, fall);
          return {
            proof: fall.proof,
            walk: fall.walk,
            incidentTime: fall.incidentTime,
            scan: {
              call: { address: trigger, abi, functionName: "scans", args: [key] },
              // scans(key) → (cursor, cursorAt, peakNextAt, started, …): the cursor once the walk has started.
              cursor: (v) => {
                const s = v as readonly [bigint, number, number, boolean];
                return s[3] ? s[0] : null;
              },
            },
          };
        },
      };
      return {
        legs: [leg],
        // At the trip level against the recorded peak; seen for the first time (it may have fallen
        // before the keeper ever read it); or several rounds since the last run (a dense feed: the
        // rounds in between may hold a fall) with the reading below the peak (distance < dropBps).
        // The off-chain search over the feed's history then decides exactly.
        candidate: ({ distanceBps, record, skippedRounds }) =>
          distanceBps === 0 || record.wRoundId === null || (skippedRounds > 1n && distanceBps !== null && distanceBps < p.dropBps),
        proof: ([one]) => one!,
      };
    },
  },

  evidence(params, proof) {
    const { feed } = decodeTvlDropParams(params);
    const { prevRoundId, tripRoundId } = decodeTvlDropProof(proof);
    return [roundsEvidence("tvl_drop", feed, [prevRoundId, tripRoundId])];
  },
} as const satisfies TriggerKindModule<"tvl_drop", TvlDropParams, TvlDropProof>;
