import { z } from "@hono/zod-openapi";
import { decodeAbiParameters, encodeAbiParameters, getAddress, keccak256, type Address, type Hex } from "viem";
import { abi } from "../../contracts/out/PausedTrigger";
import { abi as pausableArtifactAbi } from "../../contracts/out/Pausable";
import { Address as AddressWords } from "../schemas/common";
import { jsonOf, type TriggerKindModule, type WatchLeg } from "./kind";
import { pauseFrequency } from "../pricing/frequency";

/**
 * Paused (contracts/src/triggers/PausedTrigger.sol): a covered contract's `paused()` stays true
 * for `durationSeconds`, seen paused at every observation with observations at most
 * `maxGapSeconds` apart. The proof is empty: the trigger decides from its own observations, and
 * the incident time is the first observation of the continuous pause.
 */

/** `maxGapSeconds`: the longest gap between observations that still counts as one continuous pause. */
export type PausedParams = { target: Address; durationSeconds: number; maxGapSeconds: number };

// No function of the artifact takes the Params struct, so its tuple is written here, field for
// field as PausedTrigger.Params declares it.
const paramsTypes = [{ type: "tuple", components: [
  { name: "target", type: "address" }, { name: "durationSeconds", type: "uint32" }, { name: "maxGapSeconds", type: "uint32" },
] }] as const;

export function encodePausedParams(p: PausedParams): Hex {
  return encodeAbiParameters(paramsTypes, [p]);
}

export function decodePausedParams(params: Hex): PausedParams {
  const [p] = decodeAbiParameters(paramsTypes, params);
  return p;
}

/** What a covered contract answers: `paused()`, as OpenZeppelin's Pausable declares it (generated artifact). */
const pausableAbi = pausableArtifactAbi;
/** PausedTrigger.observationKey(target, maxGapSeconds): where its observations of one pause are kept. */
export function observationKey(target: Address, maxGapSeconds: number): Hex {
  return keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint32" }], [target, maxGapSeconds]));
}

const BPS = 10_000n;

const paramsSchema = z
  .object({ target: AddressWords, durationSeconds: z.int(), maxGapSeconds: z.int() })
  .openapi("PausedParams");

export const paused = {
  name: "paused",
  label: "paused",
  contract: "PausedTrigger",
  deployKey: "paused",
  abi,
  deployArgs: () => [],
  // Refused only while the protocol is paused.
  defaultSalesMarginBps: 0,

  paramsSchema,
  encodeParams: encodePausedParams,
  decodeParams: decodePausedParams,
  tripFrequency(params, ctx) {
    const p = paramsSchema.safeParse(params);
    return p.success ? pauseFrequency(ctx, p.data.durationSeconds) : null;
  },
  describeParams: (params) => jsonOf(decodePausedParams(params)),
  // The proof is empty: `check` ignores it.
  encodeProof: (_: null): Hex => "0x",
  decodeProof: (_: Hex): null => null,

  keeper: {
    // Observations are kept on-chain: the keeper sends `observe` whenever `observationDue` says so.
    observes: true,
    proofSearch: "on-chain",
    recordsPeak: false,
    watch(params) {
      const target = getAddress(paramsSchema.parse(params).target);
      const leg: WatchLeg = {
        reads: [{ address: target, abi: pausableAbi, functionName: "paused" }],
        assess: ([r]) => {
          const base = { source: target, roundId: null, answer: null, updatedAt: null };
          if (r?.status !== "success") return { ...base, paused: null, valid: false, problem: "unreadable", distance: null };
          const isPaused = Boolean(r.result);
          return { ...base, paused: isPaused, valid: true, problem: null, distance: isPaused ? 0n : BPS };
        },
        history: () => null,
        // As a leg of a composite the proof is empty too; the leg's trigger decides on-chain. Only a
        // paused target can have a pause to prove (a composite would otherwise try to fire on every run).
        findProof: async ([r]) => (r?.status === "success" && r.result === true ? { proof: "0x", walk: [], incidentTime: null, scan: null } : null),
      };
      return { legs: [leg], candidate: ({ distanceBps }) => distanceBps === 0, proof: ([one]) => one! };
    },
  },

  evidence(params, _proof, trigger) {
    const { target, maxGapSeconds } = decodePausedParams(params);
    // The trigger's record of the pause: its first observation (the incident time) and the latest.
    return [
      {
        calls: [{ address: trigger, abi, functionName: "observations", args: [observationKey(target, maxGapSeconds)] }],
        describe: ([r]) => {
          const o = r?.status === "success" ? (r.result as readonly [number, number]) : null;
          return { kind: "paused", target, pausedSince: o && o[0] !== 0 ? Number(o[0]) : null, lastSeenPaused: o && o[1] !== 0 ? Number(o[1]) : null };
        },
      },
    ];
  },
} as const satisfies TriggerKindModule<"paused", PausedParams, null>;
