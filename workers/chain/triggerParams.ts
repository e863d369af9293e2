import { encodeAbiParameters, zeroAddress, type Address, type Hex } from "viem";

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

export function encodeTvlDropProof(fromRoundId: bigint, toRoundId: bigint): Hex {
  return encodeAbiParameters([{ type: "uint80" }, { type: "uint80" }], [fromRoundId, toRoundId]);
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

export type PausedParams = { target: Address; durationSeconds: number };

export function encodePausedParams(p: PausedParams): Hex {
  return encodeAbiParameters(
    [{ type: "tuple", components: [{ name: "target", type: "address" }, { name: "durationSeconds", type: "uint32" }] }],
    [p],
  );
}

export type AllOfParams = { triggers: Address[]; params: Hex[] };

export function encodeAllOfParams(p: AllOfParams): Hex {
  return encodeAbiParameters(
    [{ type: "tuple", components: [{ name: "triggers", type: "address[]" }, { name: "params", type: "bytes[]" }] }],
    [p],
  );
}

export function encodeAllOfProof(proofs: Hex[]): Hex {
  return encodeAbiParameters([{ type: "bytes[]" }], [proofs]);
}
