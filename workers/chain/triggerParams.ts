import { decodeAbiParameters, encodeAbiParameters, zeroAddress, type Address, type Hex } from "viem";

/**
 * ABI encodings of each trigger kind's parameters and proofs, matching the `Params` structs of
 * contracts/src/triggers/*. The market stores params as bytes; the triggers decode them.
 */

export type TvlDropParams = {
  feed: Address;
  dropBps: number;
  windowSeconds: number;
  maxAgeSeconds: number;
  sequencerFeed?: Address;
  sequencerGraceSeconds?: number;
};

export function encodeTvlDropParams(p: TvlDropParams): Hex {
  return encodeAbiParameters(
    [{ type: "tuple", components: [
      { name: "feed", type: "address" },
      { name: "dropBps", type: "uint16" },
      { name: "windowSeconds", type: "uint32" },
      { name: "maxAgeSeconds", type: "uint32" },
      { name: "sequencerFeed", type: "address" },
      { name: "sequencerGraceSeconds", type: "uint32" },
    ] }],
    [{ ...p, sequencerFeed: p.sequencerFeed ?? zeroAddress, sequencerGraceSeconds: p.sequencerGraceSeconds ?? 0 }],
  );
}

/**
 * A TVL-drop proof: `start` (the round in force when `prev`'s window opened, or the feed's first
 * round), `prev` (the round right before `trip`, which does not trip) and `trip` (the first round
 * of the fall). See TvlDropTrigger's NatSpec.
 */
export function encodeTvlDropProof(startRoundId: bigint, prevRoundId: bigint, tripRoundId: bigint): Hex {
  return encodeAbiParameters([{ type: "uint80" }, { type: "uint80" }, { type: "uint80" }], [startRoundId, prevRoundId, tripRoundId]);
}

export type DepegParams = {
  feed: Address;
  /** Price with 18 decimals, e.g. 0.97e18 for $0.97. */
  thresholdE18: bigint;
  durationSeconds: number;
  maxAgeSeconds: number;
  sequencerFeed?: Address;
  sequencerGraceSeconds?: number;
};

export function encodeDepegParams(p: DepegParams): Hex {
  return encodeAbiParameters(
    [{ type: "tuple", components: [
      { name: "feed", type: "address" },
      { name: "thresholdE18", type: "uint256" },
      { name: "durationSeconds", type: "uint32" },
      { name: "maxAgeSeconds", type: "uint32" },
      { name: "sequencerFeed", type: "address" },
      { name: "sequencerGraceSeconds", type: "uint32" },
    ] }],
    [{ ...p, sequencerFeed: p.sequencerFeed ?? zeroAddress, sequencerGraceSeconds: p.sequencerGraceSeconds ?? 0 }],
  );
}

export function encodeDepegProof(onsetRoundId: bigint): Hex {
  return encodeAbiParameters([{ type: "uint80" }], [onsetRoundId]);
}

/** `maxGapSeconds`: the longest gap between observations that still counts as one continuous pause. */
export type PausedParams = { target: Address; durationSeconds: number; maxGapSeconds: number };

export function encodePausedParams(p: PausedParams): Hex {
  return encodeAbiParameters(tupleOf.paused, [p]);
}

/** `maxSpreadSeconds`: how far apart the legs' own incident times may be. */
export type AllOfParams = { triggers: Address[]; params: Hex[]; maxSpreadSeconds: number };

export function encodeAllOfParams(p: AllOfParams): Hex {
  return encodeAbiParameters(tupleOf.all_of, [p]);
}

export function encodeAllOfProof(proofs: Hex[]): Hex {
  return encodeAbiParameters([{ type: "bytes[]" }], [proofs]);
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Kind = "tvl_drop" | "paused" | "depeg" | "all_of";

const tupleOf = {
  tvl_drop: [{ type: "tuple", components: [
    { name: "feed", type: "address" }, { name: "dropBps", type: "uint16" }, { name: "windowSeconds", type: "uint32" },
    { name: "maxAgeSeconds", type: "uint32" }, { name: "sequencerFeed", type: "address" }, { name: "sequencerGraceSeconds", type: "uint32" },
  ] }],
  depeg: [{ type: "tuple", components: [
    { name: "feed", type: "address" }, { name: "thresholdE18", type: "uint256" }, { name: "durationSeconds", type: "uint32" },
    { name: "maxAgeSeconds", type: "uint32" }, { name: "sequencerFeed", type: "address" }, { name: "sequencerGraceSeconds", type: "uint32" },
  ] }],
  paused: [{ type: "tuple", components: [
    { name: "target", type: "address" }, { name: "durationSeconds", type: "uint32" }, { name: "maxGapSeconds", type: "uint32" },
  ] }],
  all_of: [{ type: "tuple", components: [
    { name: "triggers", type: "address[]" }, { name: "params", type: "bytes[]" }, { name: "maxSpreadSeconds", type: "uint32" },
  ] }],
} as const;

const jsonOf = (v: unknown): Json =>
  typeof v === "bigint" ? v.toString() : Array.isArray(v) ? v.map(jsonOf) : v !== null && typeof v === "object"
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonOf(x)])) : (v as Json);

/**
 * The parameters a market stores for a product, in words: each field named, amounts as decimal
 * strings; an all-of product lists its sub-triggers with their own decoded parameters.
 * `kindOf` maps a trigger address to its kind (from the deployment).
 */
export function decodeTriggerParams(kind: Kind, params: Hex, kindOf: (trigger: Address) => Kind | undefined): Json {
  const [decoded] = decodeAbiParameters(tupleOf[kind], params);
  if (kind !== "all_of") return jsonOf(decoded);
  const { triggers, params: subParams, maxSpreadSeconds } = decoded as { triggers: readonly Address[]; params: readonly Hex[]; maxSpreadSeconds: number };
  return {
    maxSpreadSeconds,
    triggers: triggers.map((t, i) => {
      const k = kindOf(t);
      return { trigger: t, kind: k ?? "unknown", params: k ? decodeTriggerParams(k, subParams[i]!, kindOf) : subParams[i]! };
    }),
  };
}

/** An all-of product's legs: each sub-trigger with its own encoded parameters, and the spread. */
export function decodeAllOfParams(params: Hex): AllOfParams {
  const [d] = decodeAbiParameters(tupleOf.all_of, params);
  return { triggers: [...d.triggers], params: [...d.params], maxSpreadSeconds: d.maxSpreadSeconds };
}
