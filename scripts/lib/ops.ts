import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  type Abi,
  getAddress,
  keccak256,
  parseEventLogs,
  toHex,
  type Account,
  type Address,
  type Hex,
  type PublicClient,
  type WalletClient,
} from "viem";
import * as CoverBook from "../../contracts/out/CoverBook";
import * as CoverMarket from "../../contracts/out/CoverMarket";
import * as IOracleErrors from "../../contracts/out/IOracleErrors";
import * as CoverPool from "../../contracts/out/CoverPool";
import * as TripwireKeeper from "../../contracts/out/TripwireKeeper";
import { tripwireApi } from "../../client/api";
import { kinds, type TriggerKind } from "../../workers/triggers/index";
import { productTerms, type TriggerTerms } from "./kindWords";
import { triggerContracts, type Core } from "./deploy";
import type { DeploymentRecord } from "./network";
import { safeBatch, writeSafeBatch, type Call } from "./safe";
import { formatDecimal, formatDuration, formatPercent } from "./words";

/**
 * The owner's and pauser's operations on a deployment, each built from typed arguments into the
 * contract calls it makes (`Call`: address, ABI, function, arguments, a line of description),
 * then simulated from the account that will make them, then either sent (a key in the
 * environment: the local chain, or a pauser that is an account) or written as a Safe Transaction
 * Builder batch for the owner to sign. `npm run ops` is the command line over these; `npm start`
 * lists its sample catalog through `listProduct` and `registerProduct` too.
 */

export class OpsError extends Error {
  override name = "OpsError";
}

/**
 * What an operation acts on: a deployment record (deployments/<chainId>.json), or the contracts
 * of a local deploy (`coreTarget`) in the same shape.
 */
export type Target = Pick<DeploymentRecord, "chainId" | "network" | "roles"> & { contracts: Record<string, { address: Address }> };

/** A local deploy (scripts/lib/deploy.ts `deployCore`) as a target: its contracts by their deployment names, `owner` in every role. */
export function coreTarget(core: Core, chainId: number, network: string, owner: Address): Target {
  return {
    chainId,
    network,
    roles: { owner, quoteSigner: owner, guardian: owner, pauser: owner },
    contracts: Object.fromEntries(Object.entries({ CoverMarket: core.market.address, CoverPool: core.pool.address, Stablecoin: core.asset.address, TripwireKeeper: core.keeper.address, ...triggerContracts(core) }).map(([k, address]) => [k, { address }])),
  };
}

/** Who must make a call: the market's admin (the owner), or the pauser. */
export type Role = "owner" | "pauser";
export type Operation = { role: Role; calls: Call[]; summary: string };

const market = (d: Target) => contract(d, "CoverMarket");
function contract(d: Target, name: string): Address {
  const c = d.contracts[name];
  if (!c) throw new OpsError(`the deployment of chain ${d.chainId} records no ${name}`);
  return c.address;
}
const marketCall = (d: Target, functionName: string, args: readonly unknown[], description: string): Call => ({ to: market(d), abi: CoverMarket.abi, functionName, args, description });

/** The trigger contract of a kind in the deployment. */
export function triggerOf(d: Target): (kind: TriggerKind) => Address {
  return (kind) => contract(d, kinds.find((k) => k.name === kind)!.contract);
}

export type ListProductArgs = {
  trigger: TriggerTerms;
  /** Cover the product may carry, in base units of the asset. */
  capAmount: bigint;
  coverageLagSeconds: number;
  vetoWindowSeconds: number;
};

/** `listProduct` with the terms text written from the trigger's parameters; its keccak256 is the product's `termsHash`. */
export function listProduct(d: Target, a: ListProductArgs, assetDecimals: number): Operation & { termsText: string; termsHash: Hex } {
  const { trigger, params, termsText: condition } = productTerms(a.trigger, triggerOf(d));
  // What binds the buyer besides the condition: when cover starts, whether a fire can be vetoed,
  // and which contract on which chain judges it.
  const veto = a.vetoWindowSeconds === 0
    ? "A tripped condition is paid with no veto window."
    : `The guardian may veto a fired incident within ${formatDuration(a.vetoWindowSeconds)} of its firing, for oracle malfunction only; then it is paid.`;
  const termsText = `${condition} Cover starts ${formatDuration(a.coverageLagSeconds)} after purchase. ${veto} Judged on chain ${d.chainId} by the trigger contract ${trigger}.`;
  const termsHash = keccak256(toHex(termsText));
  const config = { trigger, params, termsHash, capAmount: a.capAmount, coverageLagSeconds: a.coverageLagSeconds, vetoWindowSeconds: a.vetoWindowSeconds };
  const words = `${a.trigger.kind} product, cap ${formatDecimal(a.capAmount, assetDecimals, { grouping: true })}, cover starts ${formatDuration(a.coverageLagSeconds)} after purchase, veto window ${formatDuration(a.vetoWindowSeconds)}`;
  return { role: "owner", summary: `list a ${words}`, calls: [marketCall(d, "listProduct", [config], `listProduct: ${termsText}`)], termsText, termsHash };
}

export function setProductCap(d: Target, productId: bigint, capAmount: bigint, assetDecimals: number): Operation {
  const summary = `set product ${productId}'s cap to ${formatDecimal(capAmount, assetDecimals, { grouping: true })}`;
  return { role: "owner", summary, calls: [marketCall(d, "setProductCap", [productId, capAmount], summary)] };
}

export function setIntegratorFee(d: Target, integrator: Address, feeBps: number): Operation {
  const summary = `set integrator ${integrator}'s fee to ${formatPercent(feeBps)} of premium`;
  return { role: "owner", summary, calls: [marketCall(d, "setIntegratorFee", [getAddress(integrator), feeBps], summary)] };
}

export function approveTrigger(d: Target, trigger: Address, approved: boolean): Operation {
  const summary = `${approved ? "approve" : "revoke"} trigger ${trigger}`;
  return { role: "owner", summary, calls: [marketCall(d, "setTriggerApproved", [getAddress(trigger), approved], summary)] };
}

/** Pauses (or resumes) sales of one product, or every new cover (the market's PAUSE_NEW_COVER flag). */
export function pause(d: Target, what: { productId: bigint } | { newCover: true }, paused: boolean): Operation {
  if ("productId" in what) {
    const summary = `${paused ? "pause" : "resume"} sales of product ${what.productId}`;
    return { role: "pauser", summary, calls: [marketCall(d, "setProductSalesPaused", [what.productId, paused], summary)] };
  }
  const summary = `${paused ? "pause" : "resume"} all new cover`;
  return { role: "pauser", summary, calls: [marketCall(d, "setPauseFlags", [paused ? 1 : 0], summary)] };
}

/** The owner's side of the deploy's handoff: the pool's one-time `setMarket` (the pool is the owner's from its constructor). */
export function completeHandoff(d: Target): Operation {
  return {
    role: "owner",
    summary: "set the pool's market (the deploy's handoff)",
    calls: [{ to: contract(d, "CoverPool"), abi: CoverPool.abi, functionName: "setMarket", args: [contract(d, "CoverMarket")], description: `CoverPool.setMarket(${contract(d, "CoverMarket")})` }],
  };
}

/** The address a role's calls come from, as the deployment records it. */
export const roleHolder = (d: Target, role: Role): Address => (role === "owner" ? d.roles.owner : d.roles.pauser);

/** Every custom error a call of the market can bubble up: its own, its library's, the pool's, every trigger's. */
const errorAbi = [...CoverMarket.abi, ...CoverBook.abi, ...CoverPool.abi, ...TripwireKeeper.abi, ...IOracleErrors.abi, ...kinds.flatMap((k) => k.abi as Abi)].filter((x) => x.type === "error");

/** A revert in words: the custom error's name and arguments, or viem's short message. */
export function revertReason(e: unknown): string {
  if (e instanceof BaseError) {
    const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const named = reverted.data ?? (reverted.raw ? (() => {
        try {
          return decodeErrorResult({ abi: errorAbi, data: reverted.raw });
        } catch {
          return undefined;
        }
      })() : undefined);
      if (named) return `${named.errorName}(${(named.args ?? []).map((a) => String(a)).join(", ")})`;
      if (reverted.raw && reverted.raw !== "0x") return `an unknown error ${reverted.raw.slice(0, 10)}`;
      return "a revert without a reason (typically a call to an address with no contract: check every address in the parameters)";
    }
    return e.shortMessage;
  }
  return String(e);
}

/**
 * Simulates every call from `from` at the latest block (each on its own: a later call of a batch
 * does not see an earlier one's effects). Throws an OpsError naming the first call that reverts
 * and its custom error.
 */
export async function simulate(publicClient: PublicClient, op: Operation, from: Address): Promise<void> {
  for (const call of op.calls) {
    try {
      await publicClient.simulateContract({ account: from, address: call.to, abi: call.abi, functionName: call.functionName, args: call.args as unknown[] });
    } catch (e) {
      throw new OpsError(`${call.description}: the simulation from ${from} reverts: ${revertReason(e)}`);
    }
  }
}

/** Sends the calls from the wallet's account, in order, each waited for; the receipts. */
export async function sendOperation(publicClient: PublicClient, wallet: WalletClient, op: Operation, confirmations = 1) {
  const account = wallet.account as Account;
  await simulate(publicClient, op, account.address);
  const receipts = [];
  for (const call of op.calls) {
    const hash = await wallet.writeContract({ address: call.to, abi: call.abi, functionName: call.functionName, args: call.args as unknown[], account, chain: wallet.chain });
    const receipt = await publicClient.waitForTransactionReceipt({ hash, confirmations });
    if (receipt.status !== "success") throw new OpsError(`${call.description}: transaction ${hash} reverted`);
    receipts.push(receipt);
  }
  return receipts;
}

/** Simulates from the role's holder, then writes the Safe Transaction Builder batch for it to sign. */
export async function writeOperationBatch(publicClient: PublicClient, d: Target, op: Operation, path: string, opts: { from?: Address; createdAt?: number } = {}) {
  const from = opts.from ?? roleHolder(d, op.role);
  await simulate(publicClient, op, from);
  const batch = safeBatch({ chainId: d.chainId, safe: from, name: `Tripwire (${d.network}): ${op.summary}`, description: op.calls.map((c) => c.description).join("\n"), calls: op.calls, createdAt: opts.createdAt });
  return { path: writeSafeBatch(path, batch), batch };
}

/** The id of the product a `listProduct` receipt listed. */
export function listedProductId(logs: Parameters<typeof parseEventLogs>[0]["logs"]): bigint {
  const [listed] = parseEventLogs({ abi: CoverMarket.abi, logs, eventName: "ProductListed" });
  if (!listed) throw new OpsError("the receipt holds no ProductListed event");
  return listed.args.productId;
}

export type Registration = { protocolId: string; name: string; termsText: string; rateMultiplierBps?: number; salesMarginBps?: number };

/**
 * Registers a listed product in the API's catalog (PUT /v1/admin/products/{id}, through the typed
 * client): the Worker checks that keccak256(termsText) is the hash the market holds.
 */
export async function registerProduct(api: { url: string; adminKey: string; fetch?: typeof fetch }, productId: bigint, r: Registration) {
  const client = tripwireApi(api.url, { apiKey: api.adminKey, fetch: api.fetch });
  const res = await client.v1.admin.products[":id"].$put({ param: { id: productId.toString() }, json: r });
  if (!res.ok) throw new OpsError(`PUT /v1/admin/products/${productId} answered ${res.status}: ${await res.text()}`);
  return res.json();
}
