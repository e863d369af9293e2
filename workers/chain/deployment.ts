import { getAddress, type Address } from "viem";
import { loadDeployments } from "../../db/queries/deployments";
import { problem } from "../errors";
import { kinds, type TriggerKind } from "../triggers/index";

export type Deployment = {
  market: Address;
  pool: Address;
  asset: Address;
  multicall: Address;
  /** Block the market was deployed in: where the keeper's indexer starts. */
  marketBlock: number;
  /** Each recorded trigger contract's kind (the deployments table names each by its kind's `contract`). */
  triggerKinds: Map<Address, TriggerKind>;
};

/** Canonical Multicall3 on public chains; a local chain records its own copy as "Multicall3". */
export const CANONICAL_MULTICALL3: Address = "0xcA11bde05977b3631167028862bE2a173976CA11";

const cache = new Map<number, { at: number; value: Deployment }>();
const TTL_MS = 60_000;

/** The contracts of the chain this Worker serves, from the deployments table (cached per isolate). */
export async function deploymentOf(db: D1Database, chainId: number): Promise<Deployment> {
  const hit = cache.get(chainId);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
  const rows = await loadDeployments(db, chainId);
  const by = new Map(rows.map((r) => [r.contract, getAddress(r.address)]));
  const need = (name: string) => {
    const a = by.get(name);
    if (!a) throw problem("deployment-missing", `No ${name} is recorded for chain ${chainId}.`);
    return a;
  };
  const value: Deployment = {
    market: need("CoverMarket"),
    pool: need("CoverPool"),
    asset: need("Stablecoin"),
    multicall: by.get("Multicall3") ?? CANONICAL_MULTICALL3,
    marketBlock: rows.find((r) => r.contract === "CoverMarket")?.deployedBlock ?? 0,
    triggerKinds: new Map(kinds.flatMap((k) => (by.has(k.contract) ? [[by.get(k.contract)!, k.name] as const] : []))),
  };
  cache.set(chainId, { at: Date.now(), value });
  return value;
}
