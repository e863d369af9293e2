import { getAddress, getContract, keccak256, toHex, type Abi, type Address, type GetContractReturnType, type Hex } from "viem";
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

export type Deployed = { address: Address; gasUsed: bigint; blockNumber: bigint; txHash: Hex; libraries: Record<string, Address> };
/** Called once per contract a deploy creates: its name, its artifact's name, its constructor arguments and what the receipt says. */
export type OnDeployed = (name: string, artifact: string, args: readonly unknown[], deployed: Deployed) => void;
export type DeployOptions = { confirmations?: number; onDeployed?: OnDeployed; name?: string };

/**
 * The artifact's bytecode with each external library's placeholder replaced by the address of a
 * fresh deployment of that library (one per library per call).
 */
async function linked(clients: LocalClients, wallet: Wallet, artifact: Artifact, opts: DeployOptions): Promise<{ code: Hex; libraries: Record<string, Address> }> {
  let code: string = artifact.bytecode;
  const libraries: Record<string, Address> = {};
  for (const { library, placeholder } of artifact.libraries ?? []) {
    const lib = libraryArtifacts[library];
    if (!lib) throw new Error(`deploy: no artifact for library ${library}`);
    const { address } = await deploy(clients, wallet, lib, [], { ...opts, name: library });
    libraries[library] = address;
    code = code.split(placeholder).join(address.slice(2).toLowerCase());
  }
  return { code: code as Hex, libraries };
}

/**
 * Deploys one contract (and the external libraries it links against) and waits for its receipt
 * (and `confirmations` blocks); `onDeployed` hears of each contract created, under `name`.
 */
export async function deploy(clients: LocalClients, wallet: Wallet, artifact: Artifact, args: readonly unknown[] = [], opts: DeployOptions = {}): Promise<Deployed> {
  const { code: bytecode, libraries } = await linked(clients, wallet, artifact, opts);
  const hash = await wallet.deployContract({ abi: artifact.abi, bytecode, args, account: wallet.account!, chain: wallet.chain });
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash, confirmations: opts.confirmations ?? 1 });
  if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploy failed: ${hash}`);
  const deployed = { address: getAddress(receipt.contractAddress), gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber, txHash: hash, libraries };
  if (opts.name) opts.onDeployed?.(opts.name, opts.name, args, deployed);
  return deployed;
}

/** Sends a transaction through a typed write and fails loudly when it reverts. */
export async function send(clients: LocalClients, write: Promise<Hex>, confirmations = 1) {
  const hash = await write;
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash, confirmations });
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
  /** The pool share's name and symbol ("Tripwire LP USD", "twLP" unless given). */
  poolName?: string;
  poolSymbol?: string;
  /** An existing Multicall3 (public chains: the canonical one); a local copy is deployed when absent. */
  multicall?: Address;
  /** Blocks to wait on top of each transaction (1 unless given). */
  confirmations?: number;
  /** Hears of each contract deployed (scripts/lib/release.ts records them). */
  onDeployed?: OnDeployed;
  /**
   * Who owns the pool and the keeper contract from their construction (the deploying `owner`
   * unless given). When the pool's owner is not the deploying account, the pool's `setMarket` is
   * left to it (`npm run deploy` writes it into the owner's batch).
   */
  poolOwner?: Address;
  keeperOwner?: Address;
};

/**
 * Deploys the production contracts (pool, market, triggers, keeper) wired together, plus the
 * local stablecoin unless one is given, and a local Multicall3 for the keeper's batched reads. Used by tests, benchmarks and the local main job.
 */
export async function deployCore(clients: LocalClients, opts: CoreOptions) {
  const { owner } = opts;
  const d = { confirmations: opts.confirmations, onDeployed: opts.onDeployed };
  const asset = opts.asset ?? (await deploy(clients, owner, MockStablecoin, [opts.assetDecimals ?? 6], { ...d, name: "Stablecoin" })).address;
  const ownerAddress = owner.account!.address;
  const poolOwner = opts.poolOwner ?? ownerAddress;
  const poolArgs = [asset, opts.poolName ?? "Tripwire LP USD", opts.poolSymbol ?? "twLP", poolOwner, opts.leverageBps ?? 10_000, opts.cooldownSeconds ?? 7 * 86_400] as const;
  const pool = await deploy(clients, owner, CoverPool, poolArgs, { ...d, name: "CoverPool" });
  const market = await deploy(clients, owner, CoverMarket, [pool.address, ownerAddress, BigInt(opts.termGridSeconds ?? 3600)], { ...d, name: "CoverMarket" });
  const client = { public: clients.publicClient, wallet: owner };
  const triggers = await deployTriggers(clients, owner, client, market.address, d);
  const keeper = await deploy(clients, owner, TripwireKeeper, [market.address, opts.keeperOwner ?? ownerAddress], { ...d, name: "TripwireKeeper" });
  // Public chains host Multicall3 at its canonical address; the local chain gets its own copy.
  const multicall = opts.multicall ?? (await deploy(clients, owner, Multicall3, [], { ...d, name: "Multicall3" })).address;

  const c = {
    asset: getContract({ address: asset, abi: MockStablecoin.abi, client }),
    pool: getContract({ address: pool.address, abi: CoverPool.abi, client }),
    market: getContract({ address: market.address, abi: CoverMarket.abi, client }),
    ...triggers,
    keeper: getContract({ address: keeper.address, abi: TripwireKeeper.abi, client }),
    multicall: getContract({ address: multicall, abi: Multicall3.abi, client }),
  };
  const confirmations = opts.confirmations ?? 1;
  if (getAddress(poolOwner) === getAddress(ownerAddress)) await send(clients, c.pool.write.setMarket([market.address]), confirmations);
  for (const k of kinds) await send(clients, c.market.write.setTriggerApproved([triggers[k.deployKey].address, true]), confirmations);
  await send(clients, c.market.write.grantRole([role("QUOTE_SIGNER_ROLE"), opts.quoteSigner]), confirmations);
  await send(clients, c.market.write.grantRole([role("GUARDIAN_ROLE"), opts.guardian]), confirmations);
  await send(clients, c.market.write.grantRole([role("PAUSER_ROLE"), opts.pauser]), confirmations);
  return c;
}

export type Core = Awaited<ReturnType<typeof deployCore>>;

type Kind = (typeof kinds)[number];
type OwnerClient = { public: LocalClients["publicClient"]; wallet: Wallet };
/** One typed contract per trigger kind, under its `deployKey` (`core.tvlDrop`, `core.allOf`, …). */
type TriggerContracts = { [K in Kind as K["deployKey"]]: GetContractReturnType<K["abi"], OwnerClient> };

/** Deploys every kind's contract of the table, in its order (which fixes their addresses on a fresh chain). */
async function deployTriggers(clients: LocalClients, owner: Wallet, client: OwnerClient, market: Address, d: DeployOptions): Promise<TriggerContracts> {
  const out: Record<string, unknown> = {};
  for (const k of kinds) {
    // The kind's module holds its ABI; its bytecode stays out of the Worker's bundle, in the artifact.
    const { bytecode } = (await import(`../../contracts/out/${k.contract}.ts`)) as { bytecode: Hex };
    const { address } = await deploy(clients, owner, { abi: k.abi, bytecode }, k.deployArgs({ market }), { ...d, name: k.contract });
    out[k.deployKey] = getContract({ address, abi: k.abi, client });
  }
  return out as TriggerContracts;
}

/** The trigger contracts by the names the deployments table records them under (each kind's `contract`). */
export function triggerContracts(core: Core): Record<string, Address> {
  return Object.fromEntries(kinds.map((k) => [k.contract, core[k.deployKey].address]));
}
