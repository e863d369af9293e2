import { getContract, keccak256, toHex, type Abi, type Address, type Hex } from "viem";
import * as AllOfTrigger from "../../contracts/out/AllOfTrigger";
import * as CoverMarket from "../../contracts/out/CoverMarket";
import * as CoverPool from "../../contracts/out/CoverPool";
import * as DepegTrigger from "../../contracts/out/DepegTrigger";
import * as MockStablecoin from "../../contracts/out/MockStablecoin";
import * as Multicall3 from "../../contracts/out/Multicall3";
import * as PausedTrigger from "../../contracts/out/PausedTrigger";
import * as TripwireKeeper from "../../contracts/out/TripwireKeeper";
import * as TvlDropTrigger from "../../contracts/out/TvlDropTrigger";
import type { LocalClients, Wallet } from "./clients";

export type Artifact = { abi: Abi; bytecode: Hex };

/** Deploys one contract and waits for its receipt. */
export async function deploy(
  clients: LocalClients,
  wallet: Wallet,
  artifact: Artifact,
  args: readonly unknown[] = [],
): Promise<{ address: Address; gasUsed: bigint }> {
  const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args, account: wallet.account!, chain: wallet.chain });
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploy failed: ${hash}`);
  return { address: receipt.contractAddress, gasUsed: receipt.gasUsed };
}

/** Sends a transaction through a typed write and fails loudly when it reverts. */
export async function send(clients: LocalClients, write: Promise<Hex>) {
  const hash = await write;
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction reverted: ${hash}`);
  return receipt;
}

export const role = (name: string) => keccak256(toHex(name));

export type CoreOptions = {
  owner: Wallet;
  quoteSigner: Address;
  guardian: Address;
  pauser: Address;
  leverageBps?: number;
  cooldownSeconds?: number;
  /** An existing stablecoin; a local MockStablecoin is deployed when absent. */
  asset?: Address;
  /** Decimals of the local MockStablecoin (6 unless given). */
  assetDecimals?: number;
  /** CoverMarket's term grid: 3,600 s (production) unless given. */
  termGridSeconds?: number;
};

/**
 * Deploys the production contracts (pool, market, triggers, keeper) wired together, plus the
 * local stablecoin unless one is given, and a local Multicall3 for the keeper's batched reads. Used by tests, benchmarks and the local main job.
 */
export async function deployCore(clients: LocalClients, opts: CoreOptions) {
  const { owner } = opts;
  const asset = opts.asset ?? (await deploy(clients, owner, MockStablecoin, [opts.assetDecimals ?? 6])).address;
  const ownerAddress = owner.account!.address;
  const pool = await deploy(clients, owner, CoverPool, [
    asset,
    "Tripwire LP USD",
    "twLP",
    ownerAddress,
    opts.leverageBps ?? 10_000,
    opts.cooldownSeconds ?? 7 * 86_400,
  ]);
  const market = await deploy(clients, owner, CoverMarket, [pool.address, ownerAddress, BigInt(opts.termGridSeconds ?? 3600)]);
  const tvlDrop = await deploy(clients, owner, TvlDropTrigger);
  const depeg = await deploy(clients, owner, DepegTrigger);
  const paused = await deploy(clients, owner, PausedTrigger);
  const allOf = await deploy(clients, owner, AllOfTrigger, [market.address]);
  const keeper = await deploy(clients, owner, TripwireKeeper, [market.address, ownerAddress]);
  // Public chains host Multicall3 at its canonical address; the local chain gets its own copy.
  const multicall = await deploy(clients, owner, Multicall3);

  const client = { public: clients.publicClient, wallet: owner };
  const c = {
    asset: getContract({ address: asset, abi: MockStablecoin.abi, client }),
    pool: getContract({ address: pool.address, abi: CoverPool.abi, client }),
    market: getContract({ address: market.address, abi: CoverMarket.abi, client }),
    tvlDrop: getContract({ address: tvlDrop.address, abi: TvlDropTrigger.abi, client }),
    depeg: getContract({ address: depeg.address, abi: DepegTrigger.abi, client }),
    paused: getContract({ address: paused.address, abi: PausedTrigger.abi, client }),
    allOf: getContract({ address: allOf.address, abi: AllOfTrigger.abi, client }),
    keeper: getContract({ address: keeper.address, abi: TripwireKeeper.abi, client }),
    multicall: getContract({ address: multicall.address, abi: Multicall3.abi, client }),
  };
  await send(clients, c.pool.write.setMarket([market.address]));
  for (const t of [tvlDrop, depeg, paused, allOf]) await send(clients, c.market.write.setTriggerApproved([t.address, true]));
  await send(clients, c.market.write.grantRole([role("QUOTE_SIGNER_ROLE"), opts.quoteSigner]));
  await send(clients, c.market.write.grantRole([role("GUARDIAN_ROLE"), opts.guardian]));
  await send(clients, c.market.write.grantRole([role("PAUSER_ROLE"), opts.pauser]));
  return c;
}

export type Core = Awaited<ReturnType<typeof deployCore>>;
