import { z } from "@hono/zod-openapi";
import { decodeAbiParameters, encodeAbiParameters, getAddress, keccak256, zeroAddress, type Address, type Hex } from "viem";
import { abi } from "../../contracts/out/DepegTrigger";
import { FeedReader, readBack, type Round } from "../keeper/feedHistory";
import { Address as AddressWords, DecimalString } from "../schemas/common";
import { assessFeed, feedRead, feedReads, latestRound, roundsEvidence } from "./feed";
import { abiInputs, jsonOf, type TriggerKindModule, type WatchLeg } from "./kind";
import { depegFrequency } from "../pricing/frequency";

/**
 * Depeg (contracts/src/triggers/DepegTrigger.sol): a price feed stays below `thresholdE18` for
 * `durationSeconds`. The proof is the episode's onset round id; the incident time is the onset's
 * `updatedAt`.
 */

export type DepegParams = {
  feed: Address;
  /** Price with 18 decimals, e.g. 0.97e18 for $0.97. */
  thresholdE18: bigint;
  durationSeconds: number;
  maxAgeSeconds: number;
  sequencerFeed?: Address;
  sequencerGraceSeconds?: number;
};

export type DepegProof = { onsetRoundId: bigint };

// The artifact's `latestBelow(Params p)` carries the Params struct; `scanKey(feed, threshold,
// onsetRoundId)` the proof's type and the fields the scan key is taken over.
const [paramsTuple] = abiInputs(abi, "latestBelow");
const scanKeyTypes = abiInputs(abi, "scanKey");
const proofTypes = [scanKeyTypes[2]] as const;

export function encodeDepegParams(p: DepegParams): Hex {
  return encodeAbiParameters([paramsTuple], [{ ...p, sequencerFeed: p.sequencerFeed ?? zeroAddress, sequencerGraceSeconds: p.sequencerGraceSeconds ?? 0 }]);
}

export function decodeDepegParams(params: Hex): Required<DepegParams> {
  const [p] = decodeAbiParameters([paramsTuple], params);
  return p;
}

export function encodeDepegProof(onsetRoundId: bigint): Hex {
  return encodeAbiParameters(proofTypes, [onsetRoundId]);
}

export function decodeDepegProof(proof: Hex): DepegProof {
  const [onsetRoundId] = decodeAbiParameters(proofTypes, proof);
  return { onsetRoundId };
}

/** The key of the trigger's stored walk progress (`scans`); `threshold` in the feed's decimals. */
export function depegScanKey(feed: Address, threshold: bigint, onsetId: bigint): Hex {
  return keccak256(encodeAbiParameters(scanKeyTypes, [feed, threshold, onsetId]));
}

// ─── the off-chain proof search (the contract's decision, over the rounds read back) ─────────

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
  return { onset, walk: rounds.slice(i).map((x) => x.id), proof: encodeDepegProof(onset.id) };
}

// ─── the kind ────────────────────────────────────────────────────────────────────────────────

const BPS = 10_000n;

const paramsSchema = z
  .object({
    feed: AddressWords,
    thresholdE18: DecimalString("970000000000000000"),
    durationSeconds: z.int(),
    maxAgeSeconds: z.int(),
    sequencerFeed: AddressWords,
    sequencerGraceSeconds: z.int(),
  })
  .openapi("DepegParams");

export const depeg = {
  name: "depeg",
  label: "depeg",
  contract: "DepegTrigger",
  deployKey: "depeg",
  abi,
  deployArgs: () => [],
  // A $0.995 product sells at a healthy $1.00 peg (50 bps away), not below $0.9975.
  defaultSalesMarginBps: 25,

  paramsSchema,
  encodeParams: encodeDepegParams,
  decodeParams: decodeDepegParams,
  tripFrequency(params, ctx) {
    const p = paramsSchema.safeParse(params);
    return p.success ? depegFrequency(ctx, BigInt(p.data.thresholdE18), p.data.durationSeconds) : null;
  },
  describeParams: (params) => jsonOf(decodeDepegParams(params)),
  encodeProof: (p) => encodeDepegProof(p.onsetRoundId),
  decodeProof: decodeDepegProof,

  keeper: {
    observes: false,
    proofSearch: "off-chain",
    recordsPeak: false,
    watch(params, trigger) {
      const p = paramsSchema.parse(params);
      const feed = getAddress(p.feed);
      const thresholdE18 = BigInt(p.thresholdE18);
      const leg: WatchLeg = {
        reads: feedReads(feed),
        // Distance of the price (scaled to 18 decimals) above the threshold, in bps of the threshold.
        assess: (out, now) =>
          assessFeed(feed, feedRead(out), now, { maxAgeSeconds: p.maxAgeSeconds, zeroIsValid: false }, (f) => {
            const price = f.answer * 10n ** BigInt(18 - f.decimals);
            return price < thresholdE18 ? 0n : ((price - thresholdE18) * BPS) / thresholdE18;
          }),
        history: (out) => {
          const f = feedRead(out);
          return f ? { feed, id: f.roundId } : null;
        },
        async findProof(out, rounds, notBefore) {
          const f = feedRead(out);
          if (!f) return null;
          // The contract compares rounds with the threshold in the feed's own decimals.
          const threshold = thresholdE18 / 10n ** BigInt(18 - f.decimals);
          const found = await findDepegOnset(new FeedReader(rounds, feed), latestRound(f), threshold);
          if (!found || found.onset.at <= notBefore) return null;
          const key = depegScanKey(feed, threshold, found.onset.id);
          return {
            proof: found.proof,
            walk: found.walk,
            incidentTime: found.onset.at,
            scan: {
              call: { address: trigger, abi, functionName: "scans", args: [key] },
              // scans(key) → (cursor, cursorAt, onsetAt, recoveredAt, started): the cursor once the walk has started.
              cursor: (v) => {
                const s = v as readonly [bigint, number, number, number, boolean];
                return s[4] ? s[0] : null;
              },
            },
          };
        },
      };
      return { legs: [leg], candidate: ({ distanceBps }) => distanceBps === 0, proof: ([one]) => one! };
    },
  },

  evidence(params, proof) {
    const { feed } = decodeDepegParams(params);
    return [roundsEvidence("depeg", feed, [decodeDepegProof(proof).onsetRoundId])];
  },
} as const satisfies TriggerKindModule<"depeg", DepegParams, DepegProof>;
