import type { Address, PublicClient } from "viem";
import { abi as poolAbi } from "../../../contracts/out/CoverPool";
import { onChain } from "../client";

/** One LP share (6 + 6 decimals): what `assetsPerShare` prices. */
export const ONE_SHARE = 10n ** 12n;

export type PoolState = {
  totalAssets: bigint;
  activeCover: bigint;
  unearnedPremium: bigint;
  pendingLiability: bigint;
  freeCapital: bigint;
  /** (assets − pending liability) × leverage: the pool's own `capacity()`, never recomputed here. */
  capacity: bigint;
  capacityLeft: bigint;
  totalShares: bigint;
  leverageBps: number;
  cooldownSeconds: number;
  /** convertToAssets(one share). */
  assetsPerShare: bigint;
  blockNumber: bigint;
};

/**
 * The pool read live, in one JSON-RPC batch (one subrequest): every figure the API shows about
 * it comes from here, and every formula stays on-chain.
 */
export async function readPoolState(client: PublicClient, pool: Address): Promise<PoolState> {
  const read = <F extends "totalAssets" | "activeCover" | "unearnedPremium" | "pendingLiability" | "freeCapital" | "capacity" | "capacityLeft" | "totalSupply">(functionName: F) =>
    client.readContract({ address: pool, abi: poolAbi, functionName });
  const [totalAssets, activeCover, unearnedPremium, pendingLiability, freeCapital, capacity, capacityLeft, totalShares, leverageBps, cooldownSeconds, assetsPerShare, blockNumber] =
    await onChain(() =>
      Promise.all([
        read("totalAssets"), read("activeCover"), read("unearnedPremium"), read("pendingLiability"), read("freeCapital"), read("capacity"), read("capacityLeft"), read("totalSupply"),
        client.readContract({ address: pool, abi: poolAbi, functionName: "leverageBps" }),
        client.readContract({ address: pool, abi: poolAbi, functionName: "cooldownSeconds" }),
        client.readContract({ address: pool, abi: poolAbi, functionName: "convertToAssets", args: [ONE_SHARE] }),
        client.getBlockNumber(),
      ]),
    );
  return { totalAssets, activeCover, unearnedPremium, pendingLiability, freeCapital, capacity, capacityLeft, totalShares, leverageBps: Number(leverageBps), cooldownSeconds: Number(cooldownSeconds), assetsPerShare, blockNumber };
}
