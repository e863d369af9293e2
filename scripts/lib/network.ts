import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { defineChain, getAddress, isAddress, isHex, zeroAddress, type Address, type Hex } from "viem";
import { z } from "zod";
import { localAccount, localClients } from "./clients";
import { parseDuration } from "./words";

/**
 * The two files of a deployment: `deploy/NAME.json`, what an operator decides about a network
 * (written by hand, committed), and `deployments/<chainId>.json`, what `npm run deploy` put there
 * (written by it, committed for public chains, read by the Worker's setup and `npm run ops`).
 * Neither ever holds a key: keys come from the environment.
 */

export class NetworkConfigError extends Error {
  override name = "NetworkConfigError";
}

/** The embedded local chain's id (anvil): the only chain anvil's public development accounts may hold a role on. */
export const LOCAL_CHAIN_ID = 31337;

const AddressField = z.string().refine((s) => isAddress(s, { strict: false }) && getAddress(s) !== zeroAddress, "not a non-zero address").transform((s) => getAddress(s));
/** A duration in words with its unit ("7d", "1h"): a bare number is refused (seconds or hours?). */
const Duration = z.string().transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});

export const NetworkConfig = z
  .object({
    $comment: z.string().optional(),
    /** Shown in the deployment record and the Safe batches. */
    name: z.string().min(1),
    chainId: z.int().positive(),
    /** The environment variable holding the RPC URL (a provider URL carries its key, so it is never in the file). */
    rpcUrlEnv: z.string().regex(/^[A-Z][A-Z0-9_]*$/, "an environment variable name (A–Z, 0–9, _)"),
    /** A loopback RPC URL to use when the variable is unset (the embedded chain only: it carries no key). */
    rpcUrl: z.string().regex(/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/, "only a loopback URL (http://127.0.0.1:PORT) may be written here; a provider URL goes in the variable rpcUrlEnv names").optional(),
    asset: z.object({ address: AddressField, symbol: z.string().min(1), decimals: z.int().min(0).max(36) }).strict(),
    /** DEFAULT_ADMIN_ROLE of the market and owner of the pool and the keeper contract: a Safe or a timelock. */
    owner: AddressField,
    /** The address of the Worker's QUOTE_SIGNER_KEY. */
    quoteSigner: AddressField,
    guardian: AddressField,
    pauser: AddressField,
    pool: z.object({ name: z.string().min(1), symbol: z.string().min(1), leverageBps: z.int().min(1).max(100_000), cooldown: Duration }).strict(),
    market: z.object({ termGrid: Duration.prefault("1h") }).strict().prefault({}),
    /** Multicall3 (canonical on public chains; a local chain deploys its own). */
    multicall3: AddressField.default("0xcA11bde05977b3631167028862bE2a173976CA11"),
    /** Blocks to wait on top of each deployment transaction before the next. */
    confirmations: z.int().min(0).max(64).default(1),
    /** Set only when the owner is deliberately an account without code (never in production). */
    ownerIsAccount: z.boolean().default(false),
    /** The Chainlink Automation forwarder the owner has set on TripwireKeeper (`setForwarder`), once it has. */
    keeperForwarder: AddressField.optional(),
  })
  .strict();
export type NetworkConfig = z.infer<typeof NetworkConfig>;

/** A 32-byte hex string anywhere in the file is taken for a private key, and refused. */
function findKeyLike(v: unknown, path: string[] = []): string | null {
  if (typeof v === "string") return /^(0x)?[0-9a-fA-F]{64}$/.test(v.trim()) ? path.join(".") || "(root)" : null;
  if (Array.isArray(v)) return v.map((x, i) => findKeyLike(x, [...path, String(i)])).find((x) => x !== null) ?? null;
  if (v && typeof v === "object") return Object.entries(v).map(([k, x]) => findKeyLike(x, [...path, k])).find((x) => x !== null) ?? null;
  return null;
}

/** anvil's public development accounts (the first 20 of its mnemonic): worthless, and a role held by one is anyone's. */
const devAccounts = new Set(Array.from({ length: 20 }, (_, i) => localAccount(i).address));

/** `deploy/NAME.json` (or a path to a file), parsed, with every field's problem named. */
export function loadNetwork(nameOrPath: string): NetworkConfig & { file: string } {
  const file = nameOrPath.endsWith(".json") ? nameOrPath : join("deploy", `${nameOrPath}.json`);
  if (!existsSync(file)) throw new NetworkConfigError(`${file} not found (a network is deploy/<name>.json; see deploy/README.md)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new NetworkConfigError(`${file}: not JSON (${(e as Error).message})`);
  }
  const key = findKeyLike(raw);
  if (key) throw new NetworkConfigError(`${file}: ${key} looks like a private key; keys never go in files (the deployer's comes from DEPLOYER_KEY, the operator's from OPS_KEY)`);
  const parsed = NetworkConfig.safeParse(raw);
  if (!parsed.success) {
    throw new NetworkConfigError(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  const cfg = parsed.data;
  checkRoles(cfg, file);
  return { ...cfg, file };
}

const ROLES = ["owner", "quoteSigner", "guardian", "pauser"] as const;

/**
 * Who may hold a role: never a contract anyone can make call out (Multicall3: through it anyone
 * is the role), never the asset, never one of anvil's public accounts on a real chain; and the
 * quote signer, a hot key in the Worker, holds no other role there.
 */
export function checkRoles(cfg: NetworkConfig, file = "the network config") {
  for (const role of ROLES) {
    const a = cfg[role];
    if (a === cfg.multicall3) throw new NetworkConfigError(`${file}: ${role} is Multicall3 (${a}): through it anyone could act as the ${role}`);
    if (a === cfg.asset.address) throw new NetworkConfigError(`${file}: ${role} is the asset's contract (${a})`);
    if (cfg.chainId !== LOCAL_CHAIN_ID && devAccounts.has(a)) throw new NetworkConfigError(`${file}: ${role} ${a} is one of anvil's public development accounts; on chain ${cfg.chainId} anyone could act as it`);
  }
  if (cfg.chainId !== LOCAL_CHAIN_ID) {
    for (const role of ["owner", "guardian", "pauser"] as const) {
      if (cfg[role] === cfg.quoteSigner) throw new NetworkConfigError(`${file}: quoteSigner is also the ${role}: the quote signer is a hot key in the Worker and holds no other role`);
    }
  }
}

/**
 * An error in words for the terminal: viem's short message and details (its full message carries
 * the request, bytecode included, and the RPC URL, whose path often holds the provider's key), with
 * any URL's path and query cut.
 */
export function errorText(e: unknown): string {
  const err = e as { shortMessage?: string; details?: string; name?: string; message?: string };
  const text = err?.shortMessage ? `${err.shortMessage}${err.details ? ` (${err.details})` : ""}` : e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e);
  return text.replace(/(https?:\/\/[^/\s"']+)[^\s"']*/g, "$1/…");
}

/** The RPC URL of the network, from the environment variable it names. */
export function rpcUrlOf(cfg: NetworkConfig, env: NodeJS.ProcessEnv = process.env): string {
  const url = env[cfg.rpcUrlEnv] ?? cfg.rpcUrl;
  if (!url) throw new NetworkConfigError(`${cfg.rpcUrlEnv} is not set: it holds the RPC URL of ${cfg.name} (chain ${cfg.chainId})`);
  return url;
}

/**
 * Clients of the network at `url`: its chain id and name; a public chain's poll every 2 s and
 * retry transport errors, the embedded chain's (or a dry run's throw-away anvil, `local`) poll fast.
 */
export function networkClients(cfg: NetworkConfig, url: string, opts: { local?: boolean } = {}) {
  const chain = defineChain({ id: cfg.chainId, name: cfg.name, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url] } } });
  return localClients(url, chain, opts.local || cfg.chainId === LOCAL_CHAIN_ID ? {} : { pollingInterval: 2_000, retryCount: 3 });
}

/** A private key from the environment variable `name` (keys never come from files), or undefined when unset. */
export function keyFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): Hex | undefined {
  const key = env[name];
  if (key === undefined) return undefined;
  if (!isHex(key) || key.length !== 66) throw new NetworkConfigError(`${name} is not a 32-byte hex private key (0x + 64 hex digits)`);
  return key;
}

// ─── the deployment record ────────────────────────────────────────────────────────────────────

const HexString = z.string().regex(/^0x[0-9a-fA-F]*$/);
/** A contract's name (and its artifact's): a Solidity identifier, so it can neither break out of SQL nor name a path. */
const ContractName = z.string().regex(/^[A-Z][A-Za-z0-9]{0,63}$/, "a contract name (a Solidity identifier)");
const ContractRecord = z.object({
  address: AddressField,
  /** Block and transaction of the deployment; null for a contract found there (the asset, canonical Multicall3). */
  block: z.int().nonnegative().nullable(),
  tx: HexString.nullable(),
  /** Constructor arguments as JSON (bigints as decimal strings). */
  args: z.array(z.unknown()),
  /** The artifact it was deployed from (contracts/out/<artifact>.ts), and the libraries it links. */
  artifact: ContractName.nullable(),
  libraries: z.record(ContractName, AddressField).default({}),
  codeSize: z.int().nonnegative(),
});
export const DeploymentRecord = z.object({
  network: z.string(),
  chainId: z.int().positive(),
  dryRun: z.boolean(),
  deployer: AddressField,
  deployedAt: z.int(),
  compiler: z.object({ solc: z.string(), settings: z.record(z.string(), z.unknown()) }),
  /** Who holds what when the handoff is complete. */
  roles: z.object({ owner: AddressField, quoteSigner: AddressField, guardian: AddressField, pauser: AddressField }),
  /** Names as the Worker's deployments table takes them: CoverMarket, CoverPool, Stablecoin, TripwireKeeper, each trigger's contract, Multicall3, CoverBook. */
  contracts: z.record(ContractName, ContractRecord),
  /** The block of the deployer's last transaction (its renouncing of the market's admin role). */
  handoffBlock: z.int().nonnegative(),
  /** What the owner still has to sign to finish the handoff (the pool's `setMarket`), as a Safe Transaction Builder batch. */
  pendingOwnerBatch: z.string().nullable(),
});
export type DeploymentRecord = z.infer<typeof DeploymentRecord>;
export type ContractRecord = z.infer<typeof ContractRecord>;

export const deploymentPath = (chainId: number, opts: { dryRun?: boolean } = {}) =>
  opts.dryRun ? join("deployments", "dry-run", `${chainId}.json`) : join("deployments", `${chainId}.json`);

export function writeDeployment(record: DeploymentRecord, path = deploymentPath(record.chainId, record)): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(DeploymentRecord.parse(record), null, 2) + "\n");
  return path;
}

export function readDeployment(chainId: number, opts: { dryRun?: boolean; path?: string } = {}): DeploymentRecord {
  const path = opts.path ?? deploymentPath(chainId, opts);
  if (!existsSync(path)) throw new NetworkConfigError(`${path} not found: deploy first (npm run deploy -- --network NAME)`);
  const parsed = DeploymentRecord.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new NetworkConfigError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  if (parsed.data.chainId !== chainId) throw new NetworkConfigError(`${path} records chain ${parsed.data.chainId}, not ${chainId}`);
  return parsed.data;
}

/** The contract addresses of a record, by name. */
export const addressesOf = (r: DeploymentRecord): Record<string, Address> => Object.fromEntries(Object.entries(r.contracts).map(([k, v]) => [k, v.address]));

/**
 * The Worker's `deployments` rows of a record, as SQL for `wrangler d1 execute` (what the
 * Worker reads to find its contracts; db/schema.ts). The libraries are not rows: nothing reads them.
 */
export function deploymentSql(record: DeploymentRecord, opts: { at?: number; skip?: string[] } = {}): string {
  // Re-parsed here, whatever the caller did: names and addresses are then identifiers and hex only.
  const r = DeploymentRecord.parse(record);
  const at = opts.at ?? r.deployedAt;
  if (!Number.isSafeInteger(at)) throw new NetworkConfigError(`deployment time ${at} is not an integer`);
  const marketBlock = r.contracts.CoverMarket?.block ?? 0;
  return Object.entries(r.contracts)
    .filter(([name]) => !["CoverBook", ...(opts.skip ?? [])].includes(name))
    .map(([name, c]) => `INSERT INTO deployments (chain_id, contract, address, deployed_block, deployed_at) VALUES (${r.chainId}, '${name}', '${c.address}', ${c.block ?? marketBlock}, ${at}) ON CONFLICT (chain_id, contract) DO UPDATE SET address = excluded.address, deployed_block = excluded.deployed_block, deployed_at = excluded.deployed_at;`)
    .join("\n");
}
