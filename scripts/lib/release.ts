import { readFileSync } from "node:fs";
import { getAddress, getContractAddress, parseAbiItem, toHex, zeroHash, type Address, type Hex } from "viem";
import * as CoverMarket from "../../contracts/out/CoverMarket";
import * as CoverPool from "../../contracts/out/CoverPool";
import * as MockStablecoin from "../../contracts/out/MockStablecoin";
import * as Multicall3 from "../../contracts/out/Multicall3";
import * as TripwireKeeper from "../../contracts/out/TripwireKeeper";
import { settings, solcVersion } from "../../contracts/build";
import { jsonOf } from "../../workers/triggers/kind";
import { kinds } from "../../workers/triggers/index";
import { localAccount, type LocalClients, type Wallet } from "./clients";
import { deploy, deployCore, role, send, type Artifact, type Deployed } from "./deploy";
import { LOCAL_CHAIN_ID, NetworkConfigError, type ContractRecord, type DeploymentRecord, type NetworkConfig } from "./network";
import { acceptOwnership, writeOperationBatch } from "./ops";
import type { SafeBatch } from "./safe";

/**
 * `npm run deploy`'s sequence: checks the chain and what must already be on it, deploys the pool,
 * market, triggers and keeper contract from the deployer's account, wires them (market on the
 * pool, triggers approved, the three roles granted), hands every admin power to the configured
 * owner (the market's DEFAULT_ADMIN_ROLE granted to it and renounced by the deployer; the pool's
 * and keeper contract's Ownable2Step ownership offered to it, for it to accept), and returns the
 * deployment record. `verifyDeployment` reads all of it back.
 */

const ADMIN = zeroHash; // AccessControl's DEFAULT_ADMIN_ROLE
const ROLES = { admin: ADMIN, quoteSigner: role("QUOTE_SIGNER_ROLE"), guardian: role("GUARDIAN_ROLE"), pauser: role("PAUSER_ROLE") } as const;

export type Progress = (line: string) => void;

/** What has to be true of the chain before anything is deployed to it. */
async function preflight(cfg: NetworkConfig, clients: LocalClients, deployer: Address, opts: { dryRun: boolean }) {
  const pc = clients.publicClient;
  const chainId = await pc.getChainId();
  if (chainId !== cfg.chainId) throw new NetworkConfigError(`the RPC serves chain ${chainId}, the network config says ${cfg.chainId}`);
  const hasCode = async (a: Address) => ((await pc.getCode({ address: a })) ?? "0x") !== "0x";
  if (!(await hasCode(cfg.asset.address))) throw new NetworkConfigError(`asset ${cfg.asset.address} has no code on chain ${chainId}`);
  const [decimals, symbol] = await Promise.all([
    pc.readContract({ address: cfg.asset.address, abi: MockStablecoin.abi, functionName: "decimals" }),
    pc.readContract({ address: cfg.asset.address, abi: MockStablecoin.abi, functionName: "symbol" }),
  ]);
  if (decimals !== cfg.asset.decimals) throw new NetworkConfigError(`asset ${cfg.asset.address} has ${decimals} decimals, the network config says ${cfg.asset.decimals}`);
  if (!opts.dryRun && symbol !== cfg.asset.symbol) throw new NetworkConfigError(`asset ${cfg.asset.address} is ${symbol}, the network config says ${cfg.asset.symbol}`);
  if (cfg.chainId !== LOCAL_CHAIN_ID && !(await hasCode(cfg.multicall3))) throw new NetworkConfigError(`no Multicall3 at ${cfg.multicall3} on chain ${chainId}`);
  if (cfg.chainId !== LOCAL_CHAIN_ID && !cfg.ownerIsAccount && !opts.dryRun && !(await hasCode(cfg.owner))) {
    throw new NetworkConfigError(`owner ${cfg.owner} has no code: it should be a Safe or a timelock (set ownerIsAccount only if an account is meant)`);
  }
  if (cfg.chainId !== LOCAL_CHAIN_ID && getAddress(deployer) === cfg.owner) throw new NetworkConfigError(`the deployer ${deployer} is the owner: deploy from a separate account`);
  if ((await pc.getBalance({ address: deployer })) === 0n) throw new NetworkConfigError(`the deployer ${deployer} has no gas on chain ${chainId}`);
}

/** Deploys and wires everything, hands admin to the owner; the record (not yet written) and the receipts' gas. */
export async function deployNetwork(cfg: NetworkConfig, clients: LocalClients, deployer: Wallet, opts: { dryRun: boolean; progress?: Progress }) {
  const say = opts.progress ?? (() => undefined);
  const from = deployer.account!.address;
  await preflight(cfg, clients, from, opts);
  const contracts: Record<string, ContractRecord> = {};
  let gasUsed = 0n;
  const onDeployed = (name: string, artifact: string, args: readonly unknown[], d: Deployed) => {
    gasUsed += d.gasUsed;
    contracts[name] = { address: d.address, block: Number(d.blockNumber), tx: d.txHash, args: args.map(jsonOf), artifact, libraries: d.libraries, codeSize: 0 };
    say(`deployed ${name} at ${d.address} (block ${d.blockNumber}, ${d.gasUsed.toLocaleString("en-US")} gas)`);
  };
  const localMulticall = cfg.chainId === LOCAL_CHAIN_ID;
  const core = await deployCore(clients, {
    owner: deployer,
    quoteSigner: cfg.quoteSigner,
    guardian: cfg.guardian,
    pauser: cfg.pauser,
    leverageBps: cfg.pool.leverageBps,
    cooldownSeconds: cfg.pool.cooldown,
    asset: cfg.asset.address,
    termGridSeconds: cfg.market.termGrid,
    poolName: cfg.pool.name,
    poolSymbol: cfg.pool.symbol,
    multicall: localMulticall ? undefined : cfg.multicall3,
    confirmations: cfg.confirmations,
    onDeployed,
  });
  const found = (address: Address): ContractRecord => ({ address, block: null, tx: null, args: [], artifact: null, libraries: {}, codeSize: 0 });
  contracts.Stablecoin = found(cfg.asset.address);
  if (!localMulticall) contracts.Multicall3 = found(cfg.multicall3);
  say("wired: pool → market, triggers approved, quote signer, guardian and pauser roles granted");

  const owner = cfg.owner;
  if (owner !== getAddress(from)) {
    const c = cfg.confirmations;
    await send(clients, core.market.write.grantRole([ADMIN, owner]), c);
    await send(clients, core.pool.write.transferOwnership([owner]), c);
    await send(clients, core.keeper.write.transferOwnership([owner]), c);
    await send(clients, core.market.write.renounceRole([ADMIN, from]), c);
    say(`handed over: market admin to ${owner} (the deployer renounced it); pool and keeper ownership offered to ${owner}`);
  }
  for (const c of Object.values(contracts)) c.codeSize = ((await clients.publicClient.getCode({ address: c.address })) ?? "0x").length / 2 - 1;
  const record: DeploymentRecord = {
    network: cfg.name,
    chainId: cfg.chainId,
    dryRun: opts.dryRun,
    deployer: getAddress(from),
    deployedAt: Number((await clients.publicClient.getBlock()).timestamp),
    compiler: { solc: solcVersion(), settings: Object.fromEntries(Object.entries(settings).filter(([k]) => k !== "outputSelection")) },
    roles: { owner, quoteSigner: cfg.quoteSigner, guardian: cfg.guardian, pauser: cfg.pauser },
    contracts,
    pendingOwnerBatch: null,
  };
  return { record, core, gasUsed };
}

/** Writes the owner's Safe batch accepting the pool's and keeper contract's ownership (when the handoff left one). */
export async function writeAcceptOwnershipBatch(clients: LocalClients, record: DeploymentRecord, path: string): Promise<string | null> {
  const pending = await clients.publicClient.readContract({ address: record.contracts.CoverPool!.address, abi: CoverPool.abi, functionName: "pendingOwner" });
  if (getAddress(pending) !== record.roles.owner) return null;
  return (await writeOperationBatch(clients.publicClient, record, acceptOwnership(record), path)).path;
}

/**
 * Dry runs only: puts what the real chain already has (the asset, as a MockStablecoin of its
 * decimals; Multicall3) at its configured address on the throw-away chain. Where the deployer's
 * next contract would land (deploy/local.json's asset is exactly that), it is deployed there
 * instead of having its code copied in.
 */
export async function putStandIns(clients: LocalClients, cfg: NetworkConfig, deployer: Address, say: Progress = () => undefined) {
  const helper = localAccount(19);
  await clients.testClient.setBalance({ address: helper.address, value: 10n ** 20n });
  const standIn = async (at: Address, artifact: Artifact, args: readonly unknown[], what: string) => {
    if (((await clients.publicClient.getCode({ address: at })) ?? "0x") !== "0x") return;
    const nonce = await clients.publicClient.getTransactionCount({ address: deployer });
    if (getContractAddress({ from: deployer, nonce: BigInt(nonce) }) === at) {
      await deploy(clients, clients.wallet(localAccount(0).address === deployer ? localAccount(0) : helper), artifact, args);
      if (((await clients.publicClient.getCode({ address: at })) ?? "0x") === "0x") throw new Error(`dry run: could not put ${what} at ${at}`);
    } else {
      const tmp = await deploy(clients, clients.wallet(helper), artifact, args);
      await clients.testClient.setCode({ address: at, bytecode: (await clients.publicClient.getCode({ address: tmp.address }))! });
      // The constructor's storage too (an ERC-20's name and symbol sit in its first slots).
      for (let slot = 0; slot < 16; slot++) {
        const value = await clients.publicClient.getStorageAt({ address: tmp.address, slot: toHex(slot, { size: 32 }) });
        if (value && BigInt(value) !== 0n) await clients.testClient.setStorageAt({ address: at, index: toHex(slot, { size: 32 }), value });
      }
    }
    say(`stand-in: ${what} at ${at}`);
  };
  await standIn(cfg.asset.address, MockStablecoin, [cfg.asset.decimals], `a MockStablecoin with ${cfg.asset.decimals} decimals for ${cfg.asset.symbol}`);
  if (cfg.chainId !== LOCAL_CHAIN_ID) await standIn(cfg.multicall3, Multicall3, [], "Multicall3");
}

/** Dry runs and tests only: executes a Safe batch file's transactions, in order, from `safe` (impersonated on anvil). */
export async function executeBatchAs(clients: LocalClients, path: string, safe: Address) {
  const batch = JSON.parse(readFileSync(path, "utf8")) as SafeBatch;
  await clients.testClient.impersonateAccount({ address: safe });
  await clients.testClient.setBalance({ address: safe, value: 10n ** 20n });
  const receipts = [];
  for (const tx of batch.transactions) {
    const hash = await clients.wallet({ address: safe, type: "json-rpc" }).sendTransaction({ to: getAddress(tx.to), data: tx.data, account: safe, chain: clients.publicClient.chain });
    const r = await clients.publicClient.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error(`the batch's transaction to ${tx.to} reverted (${hash})`);
    receipts.push(r);
  }
  await clients.testClient.stopImpersonatingAccount({ address: safe });
  return { transactions: batch.transactions, receipts };
}

export type Check = { what: string; ok: boolean; detail: string };

/**
 * Reads the deployment back and checks it against the network config: code of the right size at
 * every address, each immutable and setting, the wiring, every approved trigger, and who holds
 * each role (from the market's RoleGranted/RoleRevoked events since its deployment: exactly the
 * configured holders, the deployer none). The pool's and keeper contract's owner is the configured
 * owner, or (before the owner accepts) the deployer with the owner pending: `pending: true` then.
 */
export async function verifyDeployment(clients: LocalClients, record: DeploymentRecord, cfg: NetworkConfig): Promise<{ checks: Check[]; ok: boolean; pending: boolean }> {
  const pc = clients.publicClient;
  const checks: Check[] = [];
  const check = (what: string, ok: boolean, detail = "") => checks.push({ what, ok, detail });
  const eq = (what: string, actual: unknown, expected: unknown) => check(what, String(actual) === String(expected), `${String(actual)}${String(actual) === String(expected) ? "" : ` (expected ${String(expected)})`}`);
  const at = (name: string) => {
    const c = record.contracts[name];
    if (!c) throw new NetworkConfigError(`the deployment record has no ${name}`);
    return c.address;
  };
  eq("chain id", await pc.getChainId(), cfg.chainId);
  for (const [name, c] of Object.entries(record.contracts)) {
    const code = (await pc.getCode({ address: c.address })) ?? "0x";
    const size = code.length / 2 - 1;
    if (c.artifact) {
      const art = (await import(`../../contracts/out/${c.artifact}.ts`)) as { deployedBytecodeSize: number };
      eq(`${name}: code size`, size, art.deployedBytecodeSize);
    } else check(`${name}: has code`, size > 0, `${size} bytes at ${c.address}`);
  }
  const market = at("CoverMarket"), pool = at("CoverPool"), keeper = at("TripwireKeeper");
  const read = <T>(address: Address, abi: readonly unknown[], functionName: string, args: readonly unknown[] = []) =>
    pc.readContract({ address, abi: abi as typeof CoverMarket.abi, functionName: functionName as "pool", args: args as [] }) as Promise<T>;
  eq("asset: decimals", await read(cfg.asset.address, MockStablecoin.abi, "decimals"), cfg.asset.decimals);
  eq("pool: asset", await read(pool, CoverPool.abi, "asset"), cfg.asset.address);
  eq("pool: market", await read(pool, CoverPool.abi, "market"), market);
  eq("pool: name", await read(pool, CoverPool.abi, "name"), cfg.pool.name);
  eq("pool: symbol", await read(pool, CoverPool.abi, "symbol"), cfg.pool.symbol);
  eq("pool: leverageBps", await read(pool, CoverPool.abi, "leverageBps"), cfg.pool.leverageBps);
  eq("pool: cooldownSeconds", await read(pool, CoverPool.abi, "cooldownSeconds"), cfg.pool.cooldown);
  eq("market: pool", await read(market, CoverMarket.abi, "pool"), pool);
  eq("market: termGridSeconds", await read(market, CoverMarket.abi, "termGridSeconds"), cfg.market.termGrid);
  eq("keeper contract: market", await read(keeper, TripwireKeeper.abi, "market"), market);
  for (const k of kinds) {
    const trigger = at(k.contract);
    check(`market: ${k.contract} approved`, await read<boolean>(market, CoverMarket.abi, "triggerApproved", [trigger]));
    const expectedArgs = k.deployArgs({ market }).map(jsonOf);
    eq(`${k.contract}: constructor arguments`, JSON.stringify(record.contracts[k.contract]!.args), JSON.stringify(expectedArgs));
    if (k.abi.some((x) => x.type === "function" && x.name === "registry")) eq(`${k.contract}: registry`, await read(trigger, k.abi, "registry"), market);
  }

  // Roles: every grant and revocation since the market was deployed, replayed.
  const fromBlock = BigInt(record.contracts.CoverMarket!.block ?? 0);
  const [granted, revoked] = await Promise.all([
    pc.getLogs({ address: market, event: parseAbiItem("event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)"), fromBlock }),
    pc.getLogs({ address: market, event: parseAbiItem("event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)"), fromBlock }),
  ]);
  const holders = new Map<Hex, Set<Address>>();
  for (const l of [...granted.map((g) => ({ ...g, grant: true })), ...revoked.map((r) => ({ ...r, grant: false }))].sort((a, b) => Number(a.blockNumber - b.blockNumber) || a.logIndex - b.logIndex)) {
    const set = holders.get(l.args.role!) ?? new Set<Address>();
    if (l.grant) set.add(getAddress(l.args.account!));
    else set.delete(getAddress(l.args.account!));
    holders.set(l.args.role!, set);
  }
  const expected: Record<keyof typeof ROLES, Address> = { admin: cfg.owner, quoteSigner: cfg.quoteSigner, guardian: cfg.guardian, pauser: cfg.pauser };
  for (const [name, id] of Object.entries(ROLES) as [keyof typeof ROLES, Hex][]) {
    const have = [...(holders.get(id) ?? [])].sort();
    eq(`market: ${name} role holders`, have.join(","), expected[name]);
    check(`market: ${name} role held by ${expected[name]} (hasRole)`, await read<boolean>(market, CoverMarket.abi, "hasRole", [id, expected[name]]));
  }

  let pending = false;
  for (const [name, address, abi] of [["pool", pool, CoverPool.abi], ["keeper contract", keeper, TripwireKeeper.abi]] as const) {
    const [owner, pendingOwner] = await Promise.all([read<Address>(address, abi, "owner"), read<Address>(address, abi, "pendingOwner")]);
    if (getAddress(owner) === cfg.owner) check(`${name}: owner`, true, owner);
    else {
      const offered = getAddress(owner) === record.deployer && getAddress(pendingOwner) === cfg.owner;
      pending ||= offered;
      check(`${name}: owner`, offered, offered ? `${owner} (the deployer) until ${cfg.owner} accepts` : `${owner} (expected ${cfg.owner})`);
    }
  }
  return { checks, ok: checks.every((c) => c.ok), pending };
}
