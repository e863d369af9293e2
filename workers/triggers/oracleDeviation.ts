import { z } from "@hono/zod-openapi";
import { decodeAbiParameters, encodeAbiParameters, getAddress, keccak256, zeroAddress, type Address, type Hex } from "viem";
import { abi } from "../../contracts/out/OracleDeviationTrigger";
import { Address as AddressWords } from "../schemas/common";
import { assessFeed, feedRead, feedReads } from "./feed";
import { abiInputs, jsonOf, type TriggerKindModule, type WatchLeg } from "./kind";
import { oracleDeviationFrequency } from "../pricing/frequency";

/**
 * Oracle deviation (contracts/src/triggers/OracleDeviationTrigger.sol): the price feed a covered
 * protocol uses stays `deviationBps` or more away from a reference feed of the same asset for
 * `durationSeconds`, seen apart at every observation with observations at most `maxGapSeconds`
 * apart. Both feeds pass OracleLib's hygiene. The proof is empty: the trigger decides from its own
 * record, and the incident time is the first observation of the run.
 */

export type OracleDeviationParams = {
  feed: Address;
  referenceFeed: Address;
  deviationBps: number;
  durationSeconds: number;
  maxGapSeconds: number;
  maxAgeSeconds: number;
  sequencerFeed?: Address;
  sequencerGraceSeconds?: number;
};

// The artifact's `readDeviation(Params p)` carries the Params struct.
const [paramsTuple] = abiInputs(abi, "readDeviation");

export function encodeOracleDeviationParams(p: OracleDeviationParams): Hex {
  return encodeAbiParameters([paramsTuple], [{ ...p, sequencerFeed: p.sequencerFeed ?? zeroAddress, sequencerGraceSeconds: p.sequencerGraceSeconds ?? 0 }]);
}

export function decodeOracleDeviationParams(params: Hex): Required<OracleDeviationParams> {
  const [p] = decodeAbiParameters([paramsTuple], params);
  return p;
}

/** OracleDeviationTrigger.recordKey(params): every parameter but the duration. */
export function oracleDeviationRecordKey(p: OracleDeviationParams): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "address" }, { type: "uint16" }, { type: "uint32" }, { type: "uint32" }, { type: "address" }, { type: "uint32" }],
      [p.feed, p.referenceFeed, p.deviationBps, p.maxGapSeconds, p.maxAgeSeconds, p.sequencerFeed ?? zeroAddress, p.sequencerGraceSeconds ?? 0],
    ),
  );
}

const BPS = 10_000n;

/** How far apart two readings are, bps of the reference (the contract's rounding: down), both scaled to 18 decimals. */
export function deviationBpsOf(price: bigint, priceDecimals: number, reference: bigint, referenceDecimals: number): bigint {
  const a = price * 10n ** BigInt(18 - priceDecimals);
  const b = reference * 10n ** BigInt(18 - referenceDecimals);
  return ((a > b ? a - b : b - a) * BPS) / b;
}

const paramsSchema = z
  .object({
    feed: AddressWords,
    referenceFeed: AddressWords,
    deviationBps: z.int(),
    durationSeconds: z.int(),
    maxGapSeconds: z.int(),
    maxAgeSeconds: z.int(),
    sequencerFeed: AddressWords.optional(),
    sequencerGraceSeconds: z.int().optional(),
  })
  .openapi("OracleDeviationParams");

/** OracleDeviationTrigger.Record as its public getter returns it: since, lastApart, alignedAt, lastAligned. */
type RecordTuple = readonly [number, number, number, number, number];

export const oracleDeviation = {
  name: "oracle_deviation",
  label: "oracle deviation",
  contract: "OracleDeviationTrigger",
  deployKey: "oracleDeviation",
  abi,
  deployArgs: () => [],
  // The distance is how much further apart the feeds must move (bps of the reference): a 10%
  // product stops selling once they are 8% apart. On-chain, sales stop at the level or while a run
  // is on record.
  defaultSalesMarginBps: 200,

  paramsSchema,
  encodeParams: encodeOracleDeviationParams,
  decodeParams: decodeOracleDeviationParams,
  tripFrequency(params, ctx) {
    const p = paramsSchema.safeParse(params);
    return p.success ? oracleDeviationFrequency(ctx, p.data.deviationBps, p.data.durationSeconds) : null;
  },
  describeParams: (params) => jsonOf(decodeOracleDeviationParams(params)),
  encodeProof: (_: null): Hex => "0x",
  decodeProof: (_: Hex): null => null,

  keeper: {
    // The record is kept on-chain: the keeper sends `observe` whenever `observationDue` says so.
    observes: true,
    proofSearch: "on-chain",
    recordsPeak: false,
    watch(params, trigger) {
      const p = paramsSchema.parse(params);
      const feed = getAddress(p.feed);
      const reference = getAddress(p.referenceFeed);
      const key = oracleDeviationRecordKey({ ...p, feed, referenceFeed: reference, sequencerFeed: p.sequencerFeed ? getAddress(p.sequencerFeed) : undefined });
      const leg: WatchLeg = {
        reads: [...feedReads(feed), ...feedReads(reference), { address: trigger, abi, functionName: "records", args: [key] }],
        // The covered feed's reading, with how much further apart the two must move to reach the
        // level (0 when they are there, or a run is on record).
        assess: (out, now) => {
          const own = feedRead(out.slice(0, 2));
          const ref = feedRead(out.slice(2, 4));
          const record = out[4];
          const rules = { maxAgeSeconds: p.maxAgeSeconds, zeroIsValid: false };
          const refReading = assessFeed(reference, ref, now, rules, () => 0n);
          return assessFeed(feed, own, now, rules, (f) => {
            const since = record?.status === "success" ? (record.result as RecordTuple)[0] : 0;
            if (!refReading.valid || !ref) return 0n; // the reference cannot be read: treated as at the level (nothing sells)
            const dev = deviationBpsOf(f.answer, f.decimals, ref.answer, ref.decimals);
            return dev >= BigInt(p.deviationBps) || since !== 0 ? 0n : BigInt(p.deviationBps) - dev;
          });
        },
        history: () => null,
        // As a leg of a composite the proof is empty too; the leg's trigger decides on-chain. Only a
        // run on record can be proven (a composite would otherwise try to fire on every run).
        findProof: async (out) =>
          out[4]?.status === "success" && (out[4].result as RecordTuple)[0] !== 0 ? { proof: "0x", walk: [], incidentTime: null, scan: null } : null,
      };
      return { legs: [leg], candidate: ({ distanceBps }) => distanceBps === 0, proof: ([one]) => one! };
    },
  },

  evidence(params, _proof, trigger) {
    const p = decodeOracleDeviationParams(params);
    // The trigger's record (the run's first observation is the incident time) and both feeds now.
    return [
      {
        calls: [
          { address: trigger, abi, functionName: "records", args: [oracleDeviationRecordKey(p)] },
          { address: trigger, abi, functionName: "readDeviation", args: [p] },
        ],
        describe: ([r, d]) => {
          const rec = r?.status === "success" ? (r.result as RecordTuple) : null;
          const now = d?.status === "success" ? (d.result as readonly [bigint, bigint, bigint]) : null;
          return {
            kind: "oracle_deviation",
            feed: p.feed,
            referenceFeed: p.referenceFeed,
            apartSince: rec && rec[0] !== 0 ? Number(rec[0]) : null,
            lastSeenApart: rec && rec[1] !== 0 ? Number(rec[1]) : null,
            priceE18: now ? now[0].toString() : null,
            referencePriceE18: now ? now[1].toString() : null,
            deviationBps: now ? Number(now[2]) : null,
          };
        },
      },
    ];
  },
} as const satisfies TriggerKindModule<"oracle_deviation", OracleDeviationParams, null>;
