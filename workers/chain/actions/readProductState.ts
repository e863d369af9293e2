import type { Address, Hex, PublicClient, ReadContractReturnType } from "viem";
import { abi as marketAbi } from "../../../contracts/out/CoverMarket";
import { abi as poolAbi } from "../../../contracts/out/CoverPool";
import { onChain } from "../client";

export type ProductState = {
  /** The market's record (`product(id)`): status, trigger, cap, lag, veto window, generation, terms hash, … */
  product: ReadContractReturnType<typeof marketAbi, "product">;
  /** The product's cover active now (`productActiveCover(id)`). */
  activeCover: bigint;
  /** Cover it can still sell: the lower of its cap left and the pool's capacity left. */
  capacityLeft: bigint;
  /** Its trigger parameters (`productParams(id)`), when asked for. */
  params?: Hex;
};

/**
 * Products read live, in one JSON-RPC batch however many (one subrequest): the market's record
 * and active cover of each, and the pool's capacity left once.
 */
export async function readProductStates(client: PublicClient, addr: { market: Address; pool: Address }, ids: readonly number[], opts: { params?: boolean } = {}): Promise<Map<number, ProductState>> {
  return onChain(async () => {
    const [poolLeft, ...rows] = await Promise.all([
      client.readContract({ address: addr.pool, abi: poolAbi, functionName: "capacityLeft" }),
      ...ids.map((id) =>
        Promise.all([
          client.readContract({ address: addr.market, abi: marketAbi, functionName: "product", args: [BigInt(id)] }),
          client.readContract({ address: addr.market, abi: marketAbi, functionName: "productActiveCover", args: [BigInt(id)] }),
          opts.params ? client.readContract({ address: addr.market, abi: marketAbi, functionName: "productParams", args: [BigInt(id)] }) : Promise.resolve(undefined),
        ]),
      ),
    ]);
    const out = new Map<number, ProductState>();
    ids.forEach((id, k) => {
      const [product, activeCover, params] = rows[k]!;
      const productLeft = product.capAmount > activeCover ? product.capAmount - activeCover : 0n;
      out.set(id, {
        product,
        activeCover,
        capacityLeft: productLeft < poolLeft ? productLeft : poolLeft,
        ...(params === undefined ? {} : { params: params as Hex }),
      });
    });
    return out;
  });
}

/** One product read live (see readProductStates). */
export async function readProductState(client: PublicClient, addr: { market: Address; pool: Address }, id: number, opts: { params?: boolean } = {}): Promise<ProductState> {
  return (await readProductStates(client, addr, [id], opts)).get(id)!;
}
