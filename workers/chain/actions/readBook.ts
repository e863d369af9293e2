import type { Address, PublicClient } from "viem";
import { abi as marketAbi } from "../../../contracts/out/CoverMarket";
import { onChain } from "../client";

/**
 * Every listed product's cover active now (`productActiveCover`), in one Multicall3 call however
 * many products: what the stress scenarios sum. A product the market cannot answer for fails the
 * whole read (no scenario is computed from a partial book).
 */
export async function readBook(client: PublicClient, addr: { market: Address; multicall: Address }, ids: readonly number[]): Promise<Map<number, bigint>> {
  if (ids.length === 0) return new Map();
  const covers = await onChain(() =>
    client.multicall({
      contracts: ids.map((id) => ({ address: addr.market, abi: marketAbi, functionName: "productActiveCover", args: [BigInt(id)] }) as const),
      allowFailure: false,
      multicallAddress: addr.multicall,
      batchSize: 16_384,
    }),
  );
  return new Map(ids.map((id, k) => [id, covers[k] as bigint]));
}
