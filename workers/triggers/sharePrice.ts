import { z } from "@hono/zod-openapi";
import { decodeAbiParameters, encodeAbiParameters, getAddress, keccak256, type Address, type Hex } from "viem";
import { abi } from "../../contracts/out/SharePriceTrigger";
import { Address as AddressWords } from "../schemas/common";
import { jsonOf, type TriggerKindModule, type WatchLeg } from "./kind";
import { exploitFrequency } from "../pricing/frequency";

/**
 * Share-price drop (contracts/src/triggers/SharePriceTrigger.sol): a covered vault's own
 * accounting, `convertToAssets(one share)`, stays `dropBps` or more below its high-water mark for
 * `durationSeconds`, seen below at every observation with observations at most `maxGapSeconds`
 * apart. The peak is the price at registration, raised by observations no faster than
 * `maxGrowthBpsPerYear`. The proof is empty: the trigger decides from its own record, and the
 * incident time is the first observation of the run.
 */

export type SharePriceParams = { vault: Address; dropBps: number; durationSeconds: number; maxGapSeconds: number; maxGrowthBpsPerYear: number };

// No function of the artifact takes the Params struct, so its tuple is written here, field for
// field as SharePriceTrigger.Params declares it; `recordKey` takes it, so its encoding is checked
// against the artifact in the kind-table tests.
const paramsTypes = [{ type: "tuple", components: [
  { name: "vault", type: "address" }, { name: "dropBps", type: "uint16" }, { name: "durationSeconds", type: "uint32" },
  { name: "maxGapSeconds", type: "uint32" }, { name: "maxGrowthBpsPerYear", type: "uint32" },
] }] as const;

export function encodeSharePriceParams(p: SharePriceParams): Hex {
  return encodeAbiParameters(paramsTypes, [p]);
}

export function decodeSharePriceParams(params: Hex): SharePriceParams {
  const [p] = decodeAbiParameters(paramsTypes, params);
  return p;
}

/** SharePriceTrigger.recordKey(params): every parameter but the duration. */
export function sharePriceRecordKey(p: SharePriceParams): Hex {
  return keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint16" }, { type: "uint32" }, { type: "uint32" }], [p.vault, p.dropBps, p.maxGapSeconds, p.maxGrowthBpsPerYear]));
}

const BPS = 10_000n;

const paramsSchema = z
  .object({ vault: AddressWords, dropBps: z.int(), durationSeconds: z.int(), maxGapSeconds: z.int(), maxGrowthBpsPerYear: z.int() })
  .openapi("SharePriceParams");

/** SharePriceTrigger.Record as its public getter returns it. */
type RecordTuple = readonly [bigint, bigint, number, number, number, number, number, number, number, number]; // peak, pending, peakAt, pendingAt, since, lastBelow, recoveredAt, lastAbove, decimals, resumedAt

export const sharePrice = {
  name: "share_price",
  label: "share-price drop",
  contract: "SharePriceTrigger",
  deployKey: "sharePrice",
  abi,
  // The market is its registry: only the market (or a composite it approves) registers, which opens the first peak.
  deployArgs: ({ market }) => [market],
  // Refused within 5% (of the peak) of the level, as TVL drops are: a vault already most of the way
  // down is not sold at the ordinary premium. On-chain, sales stop at the level or while a run is on record.
  defaultSalesMarginBps: 500,

  paramsSchema,
  encodeParams: encodeSharePriceParams,
  decodeParams: decodeSharePriceParams,
  // A share price falls when an exploit takes the backing; such a loss does not recover by itself.
  tripFrequency(params, ctx) {
    const p = paramsSchema.safeParse(params);
    return p.success ? exploitFrequency(ctx, p.data.dropBps, "the vault's backing") : null;
  },
  describeParams: (params) => jsonOf(decodeSharePriceParams(params)),
  encodeProof: (_: null): Hex => "0x",
  decodeProof: (_: Hex): null => null,

  keeper: {
    // The record is kept on-chain: the keeper sends `observe` whenever `observationDue` says so.
    observes: true,
    proofSearch: "on-chain",
    recordsPeak: false,
    watch(params, trigger) {
      const p = paramsSchema.parse(params);
      const vault = getAddress(p.vault);
      const key = sharePriceRecordKey({ ...p, vault });
      const leg: WatchLeg = {
        reads: [
          { address: trigger, abi, functionName: "sharePrice", args: [vault] },
          { address: trigger, abi, functionName: "records", args: [key] },
        ],
        // Distance from the level below the trigger's own recorded peak; 0 at or below it.
        assess: ([price, record]) => {
          const base = { source: vault, roundId: null, updatedAt: null, paused: null };
          if (price?.status !== "success" || record?.status !== "success") return { ...base, answer: null, valid: false, problem: "unreadable", distance: null };
          const [ok, value] = price.result as readonly [boolean, bigint];
          if (!ok) return { ...base, answer: null, valid: false, problem: "unreadable", distance: null };
          const [peak, , , , since] = record.result as RecordTuple;
          if (peak === 0n) return { ...base, answer: value.toString(), valid: true, problem: null, distance: null };
          const level = (peak * (BPS - BigInt(p.dropBps))) / BPS;
          // A run on record holds (its recovery is not confirmed yet) whatever this reading says.
          return { ...base, answer: value.toString(), valid: true, problem: null, distance: value <= level || since !== 0 ? 0n : ((value - level) * BPS) / peak };
        },
        history: () => null,
        // As a leg of a composite the proof is empty too; the leg's trigger decides on-chain. Only a
        // run on record can be proven (a composite would otherwise try to fire on every run).
        findProof: async ([, record]) =>
          record?.status === "success" && (record.result as RecordTuple)[4] !== 0 ? { proof: "0x", walk: [], incidentTime: null, scan: null } : null,
      };
      return { legs: [leg], candidate: ({ distanceBps }) => distanceBps === 0, proof: ([one]) => one! };
    },
  },

  evidence(params, _proof, trigger) {
    const p = decodeSharePriceParams(params);
    // The trigger's record: the peak, the run's first observation (the incident time) and the latest.
    return [
      {
        calls: [
          { address: trigger, abi, functionName: "records", args: [sharePriceRecordKey(p)] },
          { address: trigger, abi, functionName: "sharePrice", args: [p.vault] },
        ],
        describe: ([r, price]) => {
          const rec = r?.status === "success" ? (r.result as RecordTuple) : null;
          const now = price?.status === "success" ? (price.result as readonly [boolean, bigint]) : null;
          return {
            kind: "share_price",
            vault: p.vault,
            peak: rec ? rec[0].toString() : null,
            belowSince: rec && rec[4] !== 0 ? Number(rec[4]) : null,
            lastSeenBelow: rec && rec[5] !== 0 ? Number(rec[5]) : null,
            sharePrice: now && now[0] ? now[1].toString() : null,
          };
        },
      },
    ];
  },
} as const satisfies TriggerKindModule<"share_price", SharePriceParams, null>;
