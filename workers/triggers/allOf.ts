import { z } from "@hono/zod-openapi";
import { decodeAbiParameters, encodeAbiParameters, getAddress, type Address, type Hex } from "viem";
import { abi } from "../../contracts/out/AllOfTrigger";
import { Address as AddressWords } from "../schemas/common";
import type { Json, TriggerKindModule } from "./kind";
import { allOfFrequency } from "../pricing/frequency";

/**
 * All of (contracts/src/triggers/AllOfTrigger.sol): a composite of 2–4 approved legs, each a
 * trigger with its own parameters, that trips when every leg trips with their incident times
 * within `maxSpreadSeconds`. The proof is one proof per leg; the incident time is the earliest
 * leg's. Everything per leg is its own kind's: the keeper watches, searches and reads evidence
 * leg by leg through the table.
 */

/** `maxSpreadSeconds`: how far apart the legs' own incident times may be. */
export type AllOfParams = { triggers: Address[]; params: Hex[]; maxSpreadSeconds: number };

// No function of the artifact takes the Params struct or the proof, so their types are written
// here as AllOfTrigger declares them (Params; proof = abi.encode(bytes[] subProofs)).
const paramsTypes = [{ type: "tuple", components: [
  { name: "triggers", type: "address[]" }, { name: "params", type: "bytes[]" }, { name: "maxSpreadSeconds", type: "uint32" },
] }] as const;
const proofTypes = [{ type: "bytes[]" }] as const;

export function encodeAllOfParams(p: AllOfParams): Hex {
  return encodeAbiParameters(paramsTypes, [p]);
}

/** An all-of product's legs: each sub-trigger with its own encoded parameters, and the spread. */
export function decodeAllOfParams(params: Hex): AllOfParams {
  const [d] = decodeAbiParameters(paramsTypes, params);
  return { triggers: [...d.triggers], params: [...d.params], maxSpreadSeconds: d.maxSpreadSeconds };
}

export function encodeAllOfProof(proofs: Hex[]): Hex {
  return encodeAbiParameters(proofTypes, [proofs]);
}

export function decodeAllOfProof(proof: Hex): Hex[] {
  const [proofs] = decodeAbiParameters(proofTypes, proof);
  return [...proofs];
}

const paramsSchema = z
  .object({
    maxSpreadSeconds: z.int(),
    triggers: z.array(
      z.object({
        trigger: AddressWords,
        kind: z.string().openapi({ description: "the leg's trigger kind (\"unknown\" when its contract is not a recorded trigger)" }),
        params: z.unknown().openapi({ description: "the leg's parameters in words (its kind's), or its bytes when the kind is unknown" }),
      }),
    ),
  })
  .openapi("AllOfParams");

export const allOf = {
  name: "all_of",
  label: "all-of",
  contract: "AllOfTrigger",
  deployKey: "allOf",
  abi,
  // The market is the registry that approves its legs.
  deployArgs: ({ market }) => [market],
  // Its distance is its furthest leg's.
  defaultSalesMarginBps: 500,

  paramsSchema,
  encodeParams: encodeAllOfParams,
  decodeParams: decodeAllOfParams,
  tripFrequency(params, ctx, kinds) {
    const p = paramsSchema.safeParse(params);
    if (!p.success) return null;
    // The composite pays only when every leg trips: it is never more frequent than any leg, so
    // the rarest leg that can be priced bounds it (a leg of an unknown kind, or one that cannot
    // be priced, only makes it rarer). With no leg priced there is no bound: not priced at all.
    const legs = p.data.triggers.flatMap((t) => {
      const f = kinds.byName(t.kind)?.tripFrequency(t.params, ctx, kinds) ?? null;
      return f ? [f] : [];
    });
    return legs.length === 0 ? null : allOfFrequency(legs);
  },
  describeParams(params, kinds) {
    const { triggers, params: legParams, maxSpreadSeconds } = decodeAllOfParams(params);
    return {
      maxSpreadSeconds,
      triggers: triggers.map((t, i): Json => {
        const k = kinds.byAddress(t);
        return { trigger: t, kind: k?.name ?? "unknown", params: k ? k.describeParams(legParams[i]!, kinds) : legParams[i]! };
      }),
    };
  },
  encodeProof: encodeAllOfProof,
  decodeProof: decodeAllOfProof,

  keeper: {
    // A leg may keep observations (a pause): the composite forwards `observe` to its legs.
    observes: true,
    proofSearch: "off-chain",
    recordsPeak: false,
    watch(params, _trigger, kinds) {
      const p = paramsSchema.parse(params);
      return {
        legs: p.triggers.flatMap((t) => kinds.byName(t.kind)?.keeper.watch(t.params, getAddress(t.trigger), kinds).legs ?? []),
        // Few products, and a leg may have tripped rounds ago: look every run.
        candidate: () => true,
        proof: encodeAllOfProof,
      };
    },
  },

  evidence(params, proof, _trigger, kinds) {
    const p = decodeAllOfParams(params);
    const proofs = decodeAllOfProof(proof);
    return p.triggers.flatMap((t, k) => kinds.byAddress(getAddress(t))?.evidence(p.params[k]!, proofs[k] ?? "0x", getAddress(t), kinds) ?? []);
  },
} as const satisfies TriggerKindModule<"all_of", AllOfParams, Hex[]>;
