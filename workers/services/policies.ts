import type { z } from "@hono/zod-openapi";
import { decodeErrorResult, encodeFunctionData, getAddress, parseEventLogs, type Address, type Hex, type PublicClient } from "viem";
import type { Quote } from "../chain/quote";
import { abi as poolAbi } from "../../contracts/out/CoverPool";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { getPolicy, insertPolicies, policiesOfOwner, type PolicyRow } from "../../db/queries/policies";
import { onChain, receiptOrNull } from "../chain/client";
import { deploymentOf } from "../chain/deployment";
import { notFound, problem } from "../errors";
import type { Policy } from "../schemas/policy";
import type { SendResult } from "../objects/txSender";

export function policyView(row: PolicyRow, now: number): z.infer<typeof Policy> {
  const { closedBy, ...rest } = row;
  // A confirmed incident ended the policy's generation: active at its time, the policy is owed
  // that incident's payout (shown active until paid); not active then, its cover ended unpaid.
  const ended = closedBy !== null && !(row.startAt <= closedBy.incidentTime && closedBy.incidentTime < row.endAt);
  const status = row.status === "paid" ? "paid" : ended ? "ended" : now >= row.endAt ? "expired" : now < row.startAt ? "pending_start" : "active";
  return { ...rest, status, owner: getAddress(row.owner), payer: getAddress(row.payer), integrator: getAddress(row.integrator) };
}

export async function policyById(db: D1Database, id: number, now: number) {
  const row = await getPolicy(db, id);
  if (!row) throw notFound(`Policy ${id}`);
  return policyView(row, now);
}

export async function policiesOf(db: D1Database, owner: string, after: number, limit: number, now: number) {
  const rows = await policiesOfOwner(db, getAddress(owner), after, limit);
  return { policies: rows.map((r) => policyView(r, now)), next: rows.length === limit ? rows[rows.length - 1]!.id : null };
}


/**
 * Registers the policies a purchase transaction minted: reads the receipt, accepts only
 * CoverPurchased events emitted by this deployment's market, and indexes them. Idempotent: a
 * second call for the same transaction returns the same policies and writes nothing.
 */
export async function registerPurchase(db: D1Database, client: PublicClient, chainId: number, txHash: Hex, now: number) {
  const dep = await deploymentOf(db, chainId);
  const receipt = await onChain(() => receiptOrNull(client, txHash));
  if (!receipt) throw problem("transaction-not-found", `No mined transaction ${txHash} on chain ${chainId}.`);
  if (receipt.status !== "success") throw problem("transaction-reverted", `Transaction ${txHash} reverted.`);
  const events = parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName: "CoverPurchased", strict: true }).filter(
    (e) => getAddress(e.address) === dep.market,
  );
  if (events.length === 0) throw problem("not-a-purchase", `Transaction ${txHash} bought no cover from this market.`);
  const rows = events.map((e) => ({
    id: Number(e.args.policyId),
    chainId,
    productId: Number(e.args.productId),
    owner: getAddress(e.args.holder),
    payer: getAddress(e.args.payer),
    coverAmount: e.args.coverAmount.toString(),
    premium: e.args.premium.toString(),
    startAt: Number(e.args.start),
    endAt: Number(e.args.end),
    integrator: getAddress(e.args.integrator),
    status: "active" as const,
    txHash: receipt.transactionHash,
    blockNumber: Number(receipt.blockNumber),
  }));
  const inserted = await insertPolicies(db, rows);
  const stored = await Promise.all(rows.map((r) => getPolicy(db, r.id)));
  return { policies: stored.map((r) => policyView(r!, now)), created: inserted.length > 0 };
}

export type RelayInput = {
  /** Parsed by the quote codec (`QuoteMessage`) in the request schema. */
  quote: Quote;
  signature: string;
  buyer: string;
  acceptanceDeadline: number;
  acceptance: string;
  permit: { deadline: number; v: number; r: string; s: string };
};

/**
 * A relayed purchase: the buyer signed an acceptance of the quote and a permit of the premium;
 * the relayer key submits `buyCoverBySig` through the TxSender (one writer, one intent per quote,
 * so a retried request never sends twice) and the minted policy is indexed once mined.
 */
export async function relayPurchase(
  db: D1Database,
  client: PublicClient,
  chainId: number,
  input: RelayInput,
  relayer: Address | undefined,
  send: (intentId: string, to: Address, data: Hex) => Promise<SendResult>,
  now: number,
) {
  if (!relayer) throw problem("relayer-missing", "RELAYER_KEY is not set.");
  const dep = await deploymentOf(db, chainId);
  const quote = input.quote;
  const data = encodeFunctionData({
    abi: marketAbi,
    functionName: "buyCoverBySig",
    args: [quote, input.signature as Hex, getAddress(input.buyer), BigInt(input.acceptanceDeadline), input.acceptance as Hex,
      BigInt(input.permit.deadline), input.permit.v, input.permit.r as Hex, input.permit.s as Hex],
  });
  // Simulate first: a purchase that would revert is refused with the contract's own error name.
  await onChain(async () => {
    try {
      await client.call({ account: relayer, to: dep.market, data });
    } catch (err) {
      const raw = (err as { walk?: (fn: (e: unknown) => boolean) => unknown }).walk?.((e) => typeof (e as { data?: unknown }).data === "string") as { data?: Hex } | undefined;
      if (!raw?.data) throw err;
      let name = "unknown";
      try {
        name = decodeErrorResult({ abi: [...marketAbi, ...poolAbi], data: raw.data }).errorName;
      } catch {
        // not one of ours: report it as unknown
      }
      throw problem("purchase-would-revert", `The market would refuse this purchase: ${name}.`);
    }
  });
  const sent = await send(`relay:${chainId}:${quote.quoteId}`, dep.market, data);
  if (sent.status === "failed" || !sent.txHash) throw problem("purchase-would-revert", `The market refused this purchase: ${sent.error ?? "unknown"}.`);
  if (sent.status === "reverted") throw problem("transaction-reverted", `Transaction ${sent.txHash} reverted.`);
  if (sent.status !== "mined") return { txHash: sent.txHash, pending: true as const, policies: [] };
  const { policies } = await registerPurchase(db, client, chainId, sent.txHash, now);
  return { txHash: sent.txHash, pending: false as const, policies };
}
