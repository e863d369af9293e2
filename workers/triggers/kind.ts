import type { z } from "@hono/zod-openapi";
import type { Abi, Address, Hex } from "viem";
import type { Call, Outcome } from "../chain/multicall";
import type { RoundCache } from "../keeper/feedHistory";
import type { Frequency, FrequencyContext } from "../pricing/frequency";

/**
 * What one trigger kind is, off-chain: its contract, its parameter and proof encodings (from the
 * generated ABI where the artifact has them), how the keeper reads it, decides whether to look for
 * a proof and finds one, and how an incident's evidence is read back. One file per kind in this
 * folder implements it; workers/triggers/index.ts holds the one table of kinds that every kind
 * list (zod, drizzle, OpenAPI, deployment, keeper, deploy scripts) derives from.
 */
export interface TriggerKindModule<Name extends string = string, Params = unknown, Proof = unknown> {
  /** Stored in D1 (`products.trigger_kind`) and shown by the API. */
  readonly name: Name;
  /** The kind in words, for descriptions ("TVL drop"). */
  readonly label: string;
  /** The contract: its name in contracts/out and in the `deployments` table. */
  readonly contract: string;
  /** Where the local deploy keeps its contract (`core.<deployKey>`, scripts/lib/deploy.ts). */
  readonly deployKey: string;
  /** The contract's generated ABI (contracts/out/<contract>.ts). */
  readonly abi: Abi;
  /** Constructor arguments when deployed next to the market. */
  deployArgs(core: { market: Address }): readonly unknown[];
  /** How close to its trigger (bps of distance) a product of this kind may be and still sell, unless it sets its own. */
  readonly defaultSalesMarginBps: number;

  /** The parameters in words (`products.params_json`, the API's `trigger.params`). */
  readonly paramsSchema: z.ZodType;
  encodeParams(p: Params): Hex;
  decodeParams(params: Hex): Params;
  /** The parameters in words: each field named, amounts as decimal strings (what `paramsSchema` describes). */
  describeParams(params: Hex, kinds: KindLookup): Json;
  encodeProof(p: Proof): Hex;
  decodeProof(proof: Hex): Proof;

  /** The keeper's view of the kind. */
  readonly keeper: {
    /** Asked `observationDue` every run (kinds that keep on-chain observations, or may have legs that do). */
    readonly observes: boolean;
    /** "on-chain": the proof is the trigger's own `findProof`; "off-chain": the legs' proof searches. */
    readonly proofSearch: "on-chain" | "off-chain";
    /** The keeper keeps the highest reading it recorded inside the product's `windowSeconds` (the `peak` of its record). */
    readonly recordsPeak: boolean;
    /** How the keeper watches a product of this kind, from its parameters in words. */
    watch(params: unknown, trigger: Address, kinds: KindLookup): Watch;
  };
  /**
   * How often a product of this kind, with these parameters (in words), would pay a year: the
   * premium model's λ (workers/pricing/frequency.ts has the calibrated curves); null when it
   * cannot be priced (parameters its schema refuses, a composite without a known leg).
   */
  tripFrequency(params: unknown, ctx: FrequencyContext, kinds: KindLookup): Frequency | null;
  /** What an incident's evidence reads back at the indexed block, and how it is shown. */
  evidence(params: Hex, proof: Hex, trigger: Address, kinds: KindLookup): Evidence[];
}

/** Any kind in the table. */
export type AnyTriggerKind = TriggerKindModule<string, unknown, unknown>;

/**
 * Finds other kinds without importing the table (a composite kind needs it; the table imports
 * every kind): by name (from parameters in words) or by trigger address (from the deployment).
 */
export type KindLookup = {
  byName(name: string): AnyTriggerKind | undefined;
  byAddress(trigger: Address): AnyTriggerKind | undefined;
};

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** The keeper's last record of a product, as far as an assessment uses it (db/queries/keeper's WatchedProduct). */
export type KeeperRecord = { wRoundId: string | null; wAnswer: string | null; wValid: number | null; peak: string | null };

/** One leg's part of a product's reading. `distance`: bps from tripping (0: at or past the trip level), null when unknown. */
export type LegReading = {
  source: string;
  roundId: string | null;
  answer: string | null;
  updatedAt: number | null;
  paused: boolean | null;
  valid: boolean;
  problem: string | null;
  distance: bigint | null;
};

/**
 * A leg's proof found off-chain: the bytes `check` takes, the round ids the contract walks, the
 * incident time it names (null when the contract decides it), and the trigger's stored walk
 * progress to read when the walk is longer than one `check` does.
 */
export type LegProof = {
  proof: Hex;
  walk: bigint[];
  incidentTime: bigint | null;
  scan: { call: Call; cursor(result: unknown): bigint | null } | null;
};

/** One condition the keeper reads: a product's own, or one leg of a composite product. */
export type WatchLeg = {
  /** Calls in the run's first Multicall3 round (deduplicated across every leg of every product). */
  reads: Call[];
  /** The leg's part of the reading, from the outcomes of `reads` (same order). */
  assess(out: Outcome[], now: bigint, record: KeeperRecord): LegReading;
  /** The feed whose recent rounds the off-chain search reads first (prefetched for every candidate at once). */
  history(out: Outcome[]): { feed: Address; id: bigint } | null;
  /** The leg's proof from history, after `notBefore`; null when history does not prove it. */
  findProof(out: Outcome[], rounds: RoundCache, notBefore: bigint): Promise<LegProof | null>;
};

export type Watch = {
  legs: WatchLeg[];
  /** Whether to look for a proof this run, given a valid reading of an active product. */
  candidate(x: { distanceBps: number | null; record: KeeperRecord; skippedRounds: bigint }): boolean;
  /** The proof `fire` takes, from the legs' proofs (in `legs` order). */
  proof(legs: Hex[]): Hex;
};

/** Part of an incident's evidence: calls at the indexed block, and the record made of their outcomes. */
export type Evidence = { calls: Call[]; describe(out: Outcome[]): Json };

type FunctionOf<A extends Abi, N extends string> = Extract<A[number], { type: "function"; name: N }>;

/**
 * The inputs of a function of a generated ABI, typed: how a kind takes its struct and proof
 * types from the artifact (e.g. the `Params` tuple a view takes) instead of copying them.
 */
export function abiInputs<const A extends Abi, N extends string>(abi: A, name: N): FunctionOf<A, N>["inputs"] {
  const f = abi.find((x) => x.type === "function" && x.name === name);
  if (!f || f.type !== "function") throw new Error(`the generated ABI has no function ${name}`);
  return f.inputs as FunctionOf<A, N>["inputs"];
}

/** A decoded ABI value as JSON: bigints as decimal strings, structs as objects. */
export const jsonOf = (v: unknown): Json =>
  typeof v === "bigint" ? v.toString() : Array.isArray(v) ? v.map(jsonOf) : v !== null && typeof v === "object"
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonOf(x)])) : (v as Json);
