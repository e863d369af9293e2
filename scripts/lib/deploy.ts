import { getContract, keccak256, toHex, type Abi, type Address, type GetContractReturnType, type Hex } from "viem";
import * as CoverBook from "../../contracts/out/CoverBook";
import * as CoverMarket from "../../contracts/out/CoverMarket";
import * as CoverPool from "../../contracts/out/CoverPool";
import * as MockStablecoin from "../../contracts/out/MockStablecoin";
import * as Multicall3 from "../../contracts/out/Multicall3";
import * as TripwireKeeper from "../../contracts/out/TripwireKeeper";
import { kinds } from "../../workers/triggers/index";
import type { LocalClients, Wallet } from "./clients";

export type Artifact = { abi: Abi; bytecode: Hex; libraries?: readonly { library: string; placeholder: string }[] };

/** External libraries contracts link against, by name (contracts/build.ts lists each use). */
const libraryArtifacts: Record<string, Artifact> = { CoverBook };

/**
 * The artifact's bytecode with each external library's placeholder replaced by the address of a
 * fresh deployment of that library (one per library per call).
 */
async function linked(clients: LocalClients, wallet: Wallet, artifact: Artifact): Promise<Hex> {
  let code: string = artifact.bytecode;
  for (const { library, placeholder } of artifact.libraries ?? []) {
    const lib = libraryArtifacts[library];
    if (!lib) throw new Error(`deploy: no artifact for library ${library}`);
    const { address } = await deploy(clients, wallet, lib);
    code = code.split(placeholder).join(address.slice(2).toLowerCase());
  }
  return code as Hex;
}

/** Deploys one contract (and the external libraries it links against) and waits for its receipt. */
export async function deploy(
  clients: LocalClients,
  wallet: Wallet,
  artifact: Artifact,
  args: readonly unknown[] = [],
): Promise<{ address: Address; gasUsed: bigint }> {
  const bytecode = await linked(clients, wallet, artifact);
  const hash = await wallet.deployContract({ abi: artifact.abi, bytecode, args, account: wallet.account!, chain: wallet.chain });
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
  const client = { public: clients.publicClient, wallet: owner };
  const triggers = await deployTriggers(clients, owner, client, market.address);
  const keeper = await deploy(clients, owner, TripwireKeeper, [market.address, ownerAddress]);
  // Public chains host Multicall3 at its canonical address; the local chain gets its own copy.
  const multicall = await deploy(clients, owner, Multicall3);

  const c = {
    asset: getContract({ address: asset, abi: MockStablecoin.abi, client }),
    pool: getContract({ address: pool.address, abi: CoverPool.abi, client }),
    market: getContract({ address: market.address, abi: CoverMarket.abi, client }),
    ...triggers,
    keeper: getContract({ address: keeper.address, abi: TripwireKeeper.abi, client }),
    multicall: getContract({ address: multicall.address, abi: Multicall3.abi, client }),
  };
  await send(clients, c.pool.write.setMarket([market.address]));
  for (const k of kinds) await send(clients, c.market.write.setTriggerApproved([triggers[k.deployKey].address, true]));
  await send(clients, c.market.write.grantRole([role("QUOTE_SIGNER_ROLE"), opts.quoteSigner]));
  await send(clients, c.market.write.grantRole([role("GUARDIAN_ROLE"), opts.guardian]));
  await send(clients, c.market.write.grantRole([role("PAUSER_ROLE"), opts.pauser]));
  return c;
}

export type Core = Awaited<ReturnType<typeof deployCore>>;

type Kind = (typeof kinds)[number];
type OwnerClient = { public: LocalClients["publicClient"]; wallet: Wallet };
/** One typed contract per trigger kind, under its `deployKey` (`core.tvlDrop`, `core.allOf`, …). */
type TriggerContracts = { [K in Kind as K["deployKey"]]: GetContractReturnType<K["abi"], OwnerClient> };

/** Deploys every kind's contract of the table, in its order (which fixes their addresses on a fresh chain). */
async function deployTriggers(clients: LocalClients, owner: Wallet, client: OwnerClient, market: Address): Promise<TriggerContracts> {
  const out: Record<string, unknown> = {};
  for (const k of kinds) {
    // The kind's module holds its ABI; its bytecode stays out of the Worker's bundle, in the artifact.
    const { bytecode } = (await import(`../../contracts/out/${k.contract}.ts`)) as { bytecode: Hex };
    const { address } = await deploy(clients, owner, { abi: k.abi, bytecode }, k.deployArgs({ market }));
    out[k.deployKey] = getContract({ address, abi: k.abi, client });
  }
  return out as TriggerContracts;
}

/** The trigger contracts by the names the deployments table records them under (each kind's `contract`). */
export function triggerContracts(core: Core): Record<string, Address> {
  return Object.fromEntries(kinds.map((k) => [k.contract, core[k.deployKey].address]));
}
