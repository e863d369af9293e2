import type { z } from "@hono/zod-openapi";
import { getAddress, parseEventLogs, type Hex, type PublicClient } from "viem";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { getPolicy, insertPolicies, policiesOfOwner, type PolicyRow } from "../../db/queries/policies";
import { onChain } from "../chain/client";
import { deploymentOf } from "../chain/deployment";
import { notFound, ProblemError } from "../errors";
import type { Policy } from "../schemas/policy";

export function policyView(row: PolicyRow, now: number): z.infer<typeof Policy> {
  const status = row.status === "paid" ? "paid" : now >= row.endAt ? "expired" : now < row.startAt ? "pending_start" : "active";
  return { ...row, status, owner: getAddress(row.owner), payer: getAddress(row.payer), integrator: getAddress(row.integrator) };
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

const unprocessable = (slug: string, title: string, detail: string) => new ProblemError(422, slug, title, detail);

/**
 * Registers the policies a purchase transaction minted: reads the receipt, accepts only
 * CoverPurchased events emitted by this deployment's market, and indexes them. Idempotent: a
 * second call for the same transaction returns the same policies and writes nothing.
 */
export async function registerPurchase(db: D1Database, client: PublicClient, chainId: number, txHash: Hex, now: number) {
  const dep = await deploymentOf(db, chainId);
  const receipt = await onChain(async () => {
    try {
      return await client.getTransactionReceipt({ hash: txHash });
    } catch (err) {
      if (err instanceof Error && err.name === "TransactionReceiptNotFoundError") return null;
      throw err;
    }
  });
  if (!receipt) throw unprocessable("transaction-not-found", "Transaction not found", `No mined transaction ${txHash} on chain ${chainId}.`);
  if (receipt.status !== "success") throw unprocessable("transaction-reverted", "Transaction reverted", `Transaction ${txHash} reverted.`);
  const events = parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName: "CoverPurchased", strict: true }).filter(
    (e) => getAddress(e.address) === dep.market,
  );
  if (events.length === 0) throw unprocessable("not-a-purchase", "Not a purchase", `Transaction ${txHash} bought no cover from this market.`);
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
