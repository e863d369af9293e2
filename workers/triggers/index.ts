import { getAddress, type Address } from "viem";
import { allOf } from "./allOf";
import { depeg } from "./depeg";
import type { AnyTriggerKind, KindLookup } from "./kind";
import { oracleDeviation } from "./oracleDeviation";
import { paused } from "./paused";
import { sharePrice } from "./sharePrice";
import { tvlDrop } from "./tvlDrop";

/**
 * The one table of trigger kinds. Every kind list derives from it: the API's zod enum (and so
 * the OpenAPI spec), the drizzle column's enum, the deployment's contract names, the keeper's
 * reads and proof searches, the indexer's evidence, the sales-margin defaults and the local
 * deploy. Adding a kind is its Solidity contract, its module in this folder, and its entry here.
 *
 * The order is the local deploy's (it fixes the contracts' addresses on a fresh chain).
 */
export const kinds = [tvlDrop, depeg, paused, allOf, sharePrice, oracleDeviation] as const;

export type TriggerKind = (typeof kinds)[number]["name"];

type NamesOf<T extends readonly { name: string }[]> = { readonly [I in keyof T]: T[I] extends { name: infer N } ? N : never };

/** The kinds' names, as a tuple (what `z.enum` and drizzle's `text({ enum })` take). */
export const kindNames = kinds.map((k) => k.name) as unknown as NamesOf<typeof kinds>;

const byName = new Map<string, AnyTriggerKind>(kinds.map((k) => [k.name, k]));
const byContract = new Map<string, AnyTriggerKind>(kinds.map((k) => [k.contract, k]));

/** The module of a kind stored in D1 or shown by the API. */
export function kindNamed(name: TriggerKind): AnyTriggerKind {
  return byName.get(name)!;
}

/** The kind whose contract is recorded under `contract` in the deployments table. */
export function kindOfContract(contract: string): AnyTriggerKind | undefined {
  return byContract.get(contract);
}

/** Kinds by name, and by trigger address through a deployment's `triggerKinds`. */
export function kindLookup(triggerKinds: ReadonlyMap<Address, TriggerKind> = new Map()): KindLookup {
  return {
    byName: (name) => byName.get(name),
    byAddress: (trigger) => {
      const name = triggerKinds.get(getAddress(trigger));
      return name === undefined ? undefined : byName.get(name);
    },
  };
}
