import { readFileSync } from "node:fs";
import { decodeAbiParameters, decodeEventLog, getAddress, getContractAddress, parseAbiItem, toHex, zeroAddress, zeroHash, type Abi, type Address, type Hex } from "viem";
import * as CoverMarket from "../../contracts/out/CoverMarket";
import * as CoverPool from "../../contracts/out/CoverPool";
import * as MockStablecoin from "../../contracts/out/MockStablecoin";
import * as MockSafe from "../../contracts/out/MockSafe";
import * as Multicall3 from "../../contracts/out/Multicall3";
import * as TripwireKeeper from "../../contracts/out/TripwireKeeper";
import { settings, solcVersion } from "../../contracts/build";
import { jsonOf } from "../../workers/triggers/kind";
import { kinds } from "../../workers/triggers/index";
import { localAccount, type LocalClients, type Wallet } from "./clients";
import { deploy, deployCore, role, send, type Artifact, type Deployed } from "./deploy";
import { LOCAL_CHAIN_ID, NetworkConfigError, type ContractRecord, type DeploymentRecord, type NetworkConfig } from "./network";
import { completeHandoff, writeOperationBatch } from "./ops";
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
async function preflight(cfg: NetworkConfig, clients: LocalClients, deployer: Address, opts: { dryRun: boolean }, say: Progress) {
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
  if (cfg.chainId !== LOCAL_CHAIN_ID && !cfg.ownerIsAccount && !(await hasCode(cfg.owner))) {
    throw new NetworkConfigError(`owner ${cfg.owner} has no code: it should be a Safe or a timelock (set ownerIsAccount only if an account is meant)`);
  }
  if (cfg.chainId !== LOCAL_CHAIN_ID) {
    for (const r of ["owner", "quoteSigner", "guardian", "pauser"] as const) {
      if (getAddress(deployer) === cfg[r]) throw new NetworkConfigError(`the deployer ${deployer} is the ${r}: deploy from a separate account that keeps no role`);
    }
  }
  if (cfg.chainId !== LOCAL_CHAIN_ID && !cfg.ownerIsAccount) say(`owner: ${await describeOwner(pc, cfg.owner)}`);
  if ((await pc.getBalance({ address: deployer })) === 0n) throw new NetworkConfigError(`the deployer ${deployer} has no gas on chain ${chainId}`);
}

const safeAbi = [
  { type: "function", name: "getThreshold", stateMutability: "view", inputs: [], outputs: [{ type: "uint256" }] },
  { type: "function", name: "getOwners", stateMutability: "view", inputs: [], outputs: [{ type: "address[]" }] },
  { type: "function", name: "getMinDelay", stateMutability: "view", inputs: [], outputs: [{ type: "uint256" }] },
] as const;

/**
 * What the owner is, from what it answers: a Safe (`getThreshold`, `getOwners`) or a timelock
 * (`getMinDelay`). Anything else (a contract that answers neither, like Multicall3) is refused:
 * an owner must be something only its signers can act as.
 */
export async function describeOwner(pc: LocalClients["publicClient"], owner: Address): Promise<string> {
  try {
    const [threshold, owners] = await Promise.all([
      pc.readContract({ address: owner, abi: safeAbi, functionName: "getThreshold" }),
      pc.readContract({ address: owner, abi: safeAbi, functionName: "getOwners" }),
    ]);
    if (threshold > 0n && BigInt(owners.length) >= threshold) return `${owner} is a Safe, ${threshold} of ${owners.length} (${owners.join(", ")})`;
  } catch {
    // not a Safe
  }
  try {
    const delay = await pc.readContract({ address: owner, abi: safeAbi, functionName: "getMinDelay" });
    return `${owner} is a timelock with a minimum delay of ${delay} s`;
  } catch {
    throw new NetworkConfigError(`owner ${owner} answers neither a Safe's getThreshold()/getOwners() nor a timelock's getMinDelay(): it must be a multisig or a timelock (set ownerIsAccount only if an account is meant)`);
  }
}

/** Deploys and wires everything, hands admin to the owner; the record (not yet written) and the receipts' gas. */
export async function deployNetwork(cfg: NetworkConfig, clients: LocalClients, deployer: Wallet, opts: { dryRun: boolean; progress?: Progress }) {
  const say = opts.progress ?? (() => undefined);
  const from = deployer.account!.address;
  await preflight(cfg, clients, from, opts, say);
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
    // The pool and the keeper contract are the owner's from their constructors: the deployer never
    // holds them (the pool's one-time setMarket is the first transaction of the owner's batch).
    poolOwner: cfg.owner,
    keeperOwner: cfg.owner,
  });
  const found = (address: Address): ContractRecord => ({ address, block: null, tx: null, args: [], artifact: null, libraries: {}, codeSize: 0 });
  contracts.Stablecoin = found(cfg.asset.address);
  if (!localMulticall) contracts.Multicall3 = found(cfg.multicall3);
  say("wired: triggers approved, quote signer, guardian and pauser roles granted");

  const owner = cfg.owner;
  let handoffBlock = Number(await clients.publicClient.getBlockNumber());
  if (owner !== getAddress(from)) {
    const c = cfg.confirmations;
    await send(clients, core.market.write.grantRole([ADMIN, owner]), c);
    handoffBlock = Number((await send(clients, core.market.write.renounceRole([ADMIN, from]), c)).blockNumber);
    say(`handed over: market admin to ${owner} (the deployer renounced it); the pool and the keeper contract were ${owner}'s from their construction`);
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
    handoffBlock,
    pendingOwnerBatch: null,
  };
  return { record, core, gasUsed };
}

/** Writes the owner's Safe batch finishing the handoff (the pool's `setMarket`), when the pool still waits for it. */
export async function writeHandoffBatch(clients: LocalClients, record: DeploymentRecord, path: string): Promise<string | null> {
  const pool = record.contracts.CoverPool!.address;
  const [market, owner] = await Promise.all([
    clients.publicClient.readContract({ address: pool, abi: CoverPool.abi, functionName: "market" }),
    clients.publicClient.readContract({ address: pool, abi: CoverPool.abi, functionName: "owner" }),
  ]);
  if (market !== zeroAddress || getAddress(owner) !== record.roles.owner) return null;
  return (await writeOperationBatch(clients.publicClient, record, completeHandoff(record), path)).path;
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
  if (cfg.chainId !== LOCAL_CHAIN_ID && !cfg.ownerIsAccount) await standIn(cfg.owner, MockSafe, [localAccount(17).address, localAccount(18).address, 2n], "a 2-of-2 MockSafe for the owner");
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

/** The failed checks in one line, for an error that stops a command. */
export const failedChecks = (checks: Check[]) => checks.filter((c) => !c.ok).map((c) => `${c.what}: ${c.detail}`).join("; ");

/** The artifacts a record may name (contracts/out/<name>.ts): the deploy's own, never a name read from the file. */
async function artifactOf(name: string): Promise<(Artifact & { deployedBytecodeSize: number }) | null> {
  const known = ["CoverPool", "CoverMarket", "CoverBook", "TripwireKeeper", "Multicall3", "MockStablecoin", ...kinds.map((k) => k.contract)];
  if (!known.includes(name)) return null;
  return (await import(`../../contracts/out/${name}.ts`)) as Artifact & { deployedBytecodeSize: number };
}

/** Markets' events the deploy sequence itself emits before the handoff; anything else then was not ours. */
const SEQUENCE_EVENTS = new Set(["RoleGranted", "RoleRevoked", "TriggerApprovalSet"]);

/**
 * Reads the deployment back and checks it against the network config. Nothing in the record is
 * taken on trust: each deployed contract's transaction is fetched, and must have been sent by the
 * record's deployer, created exactly the recorded address in the recorded block, and carried this
 * build's creation code (libraries linked at their recorded, themselves verified, addresses) with
 * the recorded constructor arguments. Then: code of the artifact's size at every address, each
 * immutable and setting, the wiring, every approved trigger, who holds each role (replayed from
 * the market's RoleGranted/RoleRevoked events since its verified deployment block: exactly the
 * configured holders, the deployer none), that the deployer's sequence emitted nothing but its own
 * grants and approvals before the handoff, and that the pool and keeper contract are the owner's
 * with no ownership pending and no forwarder the config does not name. Before the owner's batch
 * (the pool's `setMarket`) has run, the pool's market is unset: `pending: true` then.
 */
export async function verifyDeployment(clients: LocalClients, record: DeploymentRecord, cfg: NetworkConfig): Promise<{ checks: Check[]; ok: boolean; pending: boolean }> {
  const pc = clients.publicClient;
  const checks: Check[] = [];
  const check = (what: string, ok: boolean, detail = "") => checks.push({ what, ok, detail });
  const same = (a: unknown, b: unknown) => (typeof a === "string" && typeof b === "string" && /^0x[0-9a-fA-F]{40}$/.test(a) && /^0x[0-9a-fA-F]{40}$/.test(b) ? getAddress(a) === getAddress(b) : String(a) === String(b));
  const eq = (what: string, actual: unknown, expected: unknown) => check(what, same(actual, expected), `${String(actual)}${same(actual, expected) ? "" : ` (expected ${String(expected)})`}`);
  const at = (name: string) => {
    const c = record.contracts[name];
    if (!c) throw new NetworkConfigError(`the deployment record has no ${name}`);
    return c.address;
  };
  eq("chain id", await pc.getChainId(), cfg.chainId);
  eq("record: network's chain id", record.chainId, cfg.chainId);
  eq("record: Stablecoin is the configured asset", at("Stablecoin"), cfg.asset.address);
  if (cfg.chainId !== LOCAL_CHAIN_ID) eq("record: Multicall3 is the configured one", at("Multicall3"), cfg.multicall3);

  // Every deployed contract, from its own transaction.
  for (const [name, c] of Object.entries(record.contracts)) {
    const code = (await pc.getCode({ address: c.address })) ?? "0x";
    const size = code.length / 2 - 1;
    if (!c.artifact || !c.tx) {
      check(`${name}: has code`, size > 0, `${size} bytes at ${c.address}`);
      continue;
    }
    const art = await artifactOf(c.artifact);
    if (!art || c.artifact !== name) {
      check(`${name}: a contract this deploy makes`, false, `the record names artifact ${c.artifact}`);
      continue;
    }
    eq(`${name}: code size`, size, art.deployedBytecodeSize);
    try {
      const [tx, receipt] = await Promise.all([pc.getTransaction({ hash: c.tx as Hex }), pc.getTransactionReceipt({ hash: c.tx as Hex })]);
      let creation: string = art.bytecode;
      let linkedOk = true;
      for (const { library, placeholder } of art.libraries ?? []) {
        const lib = c.libraries[library];
        linkedOk &&= lib !== undefined && record.contracts[library]?.address === lib;
        creation = creation.split(placeholder).join((lib ?? zeroAddress).slice(2).toLowerCase());
      }
      const input = tx.input.toLowerCase();
      const ctor = art.abi.find((x) => x.type === "constructor") as { inputs: readonly { type: string }[] } | undefined;
      const args = input.startsWith(creation.toLowerCase()) ? jsonOf(decodeAbiParameters((ctor?.inputs ?? []) as never, `0x${input.slice(creation.length)}`)) : null;
      const ok =
        receipt.status === "success" && receipt.contractAddress !== null && receipt.contractAddress !== undefined && getAddress(receipt.contractAddress) === c.address &&
        getAddress(tx.from) === record.deployer && Number(receipt.blockNumber) === c.block && linkedOk && args !== null && JSON.stringify(args) === JSON.stringify(c.args);
      check(`${name}: created by the deployer's transaction with this build's code and the recorded arguments`, ok,
        ok ? `${c.tx} (block ${c.block})` : `${c.tx}: from ${tx.from}, created ${receipt.contractAddress ?? "nothing"} in block ${receipt.blockNumber}${args === null ? ", not this build's creation code" : JSON.stringify(args) !== JSON.stringify(c.args) ? `, arguments ${JSON.stringify(args)}` : ""}${linkedOk ? "" : ", libraries not the recorded ones"}`);
    } catch (e) {
      check(`${name}: created by the deployer's transaction`, false, `${c.tx} cannot be read: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  const market = at("CoverMarket"), pool = at("CoverPool"), keeper = at("TripwireKeeper");
  const read = <T>(address: Address, abi: readonly unknown[], functionName: string, args: readonly unknown[] = []) =>
    pc.readContract({ address, abi: abi as typeof CoverMarket.abi, functionName: functionName as "pool", args: args as [] }) as Promise<T>;
  eq("asset: decimals", await read(cfg.asset.address, MockStablecoin.abi, "decimals"), cfg.asset.decimals);
  eq("pool: asset", await read(pool, CoverPool.abi, "asset"), cfg.asset.address);
  const poolMarket = await read<Address>(pool, CoverPool.abi, "market");
  const pending = poolMarket === zeroAddress;
  check("pool: market", same(poolMarket, market) || pending, pending ? `not set until ${cfg.owner} executes its batch (setMarket)` : `${poolMarket}${same(poolMarket, market) ? "" : ` (expected ${market})`}`);
  eq("pool: name", await read(pool, CoverPool.abi, "name"), cfg.pool.name);
  eq("pool: symbol", await read(pool, CoverPool.abi, "symbol"), cfg.pool.symbol);
  eq("pool: leverageBps", await read(pool, CoverPool.abi, "leverageBps"), cfg.pool.leverageBps);
  eq("pool: cooldownSeconds", await read(pool, CoverPool.abi, "cooldownSeconds"), cfg.pool.cooldown);
  eq("market: pool", await read(market, CoverMarket.abi, "pool"), pool);
  eq("market: termGridSeconds", await read(market, CoverMarket.abi, "termGridSeconds"), cfg.market.termGrid);
  eq("keeper contract: market", await read(keeper, TripwireKeeper.abi, "market"), market);
  eq("keeper contract: forwarder", await read(keeper, TripwireKeeper.abi, "forwarder"), cfg.keeperForwarder ?? zeroAddress);
  for (const k of kinds) {
    const trigger = at(k.contract);
    check(`market: ${k.contract} approved`, await read<boolean>(market, CoverMarket.abi, "triggerApproved", [trigger]));
    if (k.abi.some((x) => x.type === "function" && x.name === "registry")) eq(`${k.contract}: registry`, await read(trigger, k.abi, "registry"), market);
  }
  for (const [name, address] of [["pool", pool], ["keeper contract", keeper]] as const) {
    eq(`${name}: owner`, await read(address, CoverPool.abi, "owner"), cfg.owner);
    eq(`${name}: pending owner`, await read(address, CoverPool.abi, "pendingOwner"), zeroAddress);
  }

  // What the market emitted from its (verified) deployment to the handoff: only the sequence's own events.
  const fromBlock = BigInt(record.contracts.CoverMarket!.block ?? 0);
  const before = await pc.getLogs({ address: market, fromBlock, toBlock: BigInt(record.handoffBlock) });
  const foreign = before.flatMap((l) => {
    try {
      const e = decodeEventLog({ abi: CoverMarket.abi as Abi, data: l.data, topics: l.topics });
      const approvedOther = e.eventName === "TriggerApprovalSet" && !kinds.some((k) => same((e.args as unknown as { trigger: Address }).trigger, at(k.contract)));
      return SEQUENCE_EVENTS.has(e.eventName ?? "") && !approvedOther ? [] : [`${e.eventName} in block ${l.blockNumber}`];
    } catch {
      return [`an unknown event in block ${l.blockNumber}`];
    }
  });
  check("market: nothing but the deploy's own grants and approvals before the handoff", foreign.length === 0, foreign.join(", ") || `blocks ${fromBlock}–${record.handoffBlock}`);

  // Roles: every grant and revocation since the market was deployed, replayed.
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
  return { checks, ok: checks.every((c) => c.ok), pending };
}
