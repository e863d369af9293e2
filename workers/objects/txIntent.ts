import type { Hex } from "viem";

/**
 * A transaction intent's life in a TxSender, and in its D1 mirror (`keeper_intents.status`, the
 * same names):
 *
 *   queued     D1 only: a keeper run enqueued the work (a settlement batch) and recorded it before
 *              any TxSender took it; the sender's first record replaces it (signed, or failed)
 *   signed     recorded with its nonce and raw transaction, maybe not broadcast yet
 *   broadcast  handed to the node (re-sent, or replaced with higher fees, while it waits)
 *   included   a receipt of one of its hashes exists, not yet `confirmations` deep
 *   mined      final at the confirmation depth, succeeded
 *   reverted   final at the confirmation depth, reverted (nothing was paid: the work may be sent again)
 *   failed     refused before broadcast (estimation says the call would revert); no nonce used
 */
export const INTENT_STATUSES = ["queued", "signed", "broadcast", "included", "mined", "reverted", "failed"] as const;
export type IntentStatus = (typeof INTENT_STATUSES)[number];
export const INTENT_KINDS = ["observe", "advance", "fire", "confirm", "settle", "relay"] as const;
export type IntentKind = (typeof INTENT_KINDS)[number];
export const FINAL_STATUSES: readonly IntentStatus[] = ["mined", "reverted", "failed"];
/** Not final: the work is still on its way (the keeper resumes these). */
export const OPEN_STATUSES: readonly IntentStatus[] = ["queued", "signed", "broadcast", "included"];
/** Final without effect: the same work may be queued again. */
export const RETRYABLE_STATUSES: readonly IntentStatus[] = ["reverted", "failed"];

/** What can happen to an intent. */
export type IntentEvent =
  /** Estimation says the call would revert: never sent. */
  | { on: "refused"; error: string }
  /** Sent to the node (or tried: the receipt check decides). */
  | { on: "sent"; at: number; error: string | null }
  /** Its nonce was taken by something else: signed again under a fresh nonce, old hashes dropped. */
  | { on: "resigned"; nonce: number }
  /** Stuck too long: signed again with the same nonce and higher fees. */
  | { on: "replaced"; maxFee: string; priorityFee: string; at: number }
  /** A receipt of `hash` exists at `block`. */
  | { on: "receipt"; hash: Hex; block: number }
  /** The receipt vanished: a reorg deeper than the confirmation depth. Back to waiting for one. */
  | { on: "receipt-lost"; at: number }
  /** The receipt is `confirmations` deep (checked twice). */
  | { on: "final"; success: boolean }
  /** A failed or reverted intent asked for again: the same work, from the start. */
  | { on: "retried" };

/** Which event may move an intent out of which status, and where to. Anything else is a bug. */
const TRANSITIONS: { readonly [S in IntentStatus]: { readonly [E in IntentEvent["on"]]?: IntentStatus } } = {
  queued: {}, // never held by a TxSender
  signed: { refused: "failed", sent: "broadcast", resigned: "signed", receipt: "included" },
  broadcast: { sent: "broadcast", resigned: "signed", replaced: "broadcast", receipt: "included" },
  included: { receipt: "included", "receipt-lost": "broadcast", final: "mined" },
  mined: { "receipt-lost": "broadcast" },
  reverted: { retried: "signed", "receipt-lost": "broadcast" },
  failed: { retried: "signed" },
};

/** The fields of an intent's record its transitions touch. */
export type IntentState = {
  id: string;
  status: IntentStatus;
  nonce: number | null;
  max_fee: string | null;
  priority_fee: string | null;
  hashes: string; // JSON array, oldest first: replacements add to it
  tx_hash: Hex | null; // the hash that was included
  block_number: number | null;
  error: string | null;
  attempts: number;
  broadcast_at: number | null;
};

/** Whether `on` is a move from `status` (to check before a side effect the move needs, such as a nonce). */
export function allowed(status: IntentStatus, on: IntentEvent["on"]): boolean {
  return on === "final" ? status === "included" : TRANSITIONS[status][on] !== undefined;
}

export class IntentTransitionError extends Error {
  override readonly name = "IntentTransitionError";
}

/**
 * The one place an intent's status changes: checks the move against the table and applies the
 * fields that go with it (the reorg reset, the nonce change, the receipt) to `row` in place.
 */
export function transition<R extends IntentState>(row: R, event: IntentEvent): R {
  const next = event.on === "final" && !event.success ? (row.status === "included" ? "reverted" : undefined) : TRANSITIONS[row.status][event.on];
  if (!next) throw new IntentTransitionError(`intent ${row.id}: "${event.on}" is not a move from ${row.status}`);
  switch (event.on) {
    case "refused":
      row.error = `would revert: ${event.error}`;
      break;
    case "sent":
      row.attempts += 1;
      row.error = event.error;
      row.broadcast_at ??= event.at;
      break;
    case "resigned":
      row.nonce = event.nonce;
      row.hashes = "[]";
      row.broadcast_at = null;
      break;
    case "replaced":
      row.max_fee = event.maxFee;
      row.priority_fee = event.priorityFee;
      row.broadcast_at = event.at;
      break;
    case "receipt":
      row.tx_hash = event.hash;
      row.block_number = event.block;
      break;
    case "receipt-lost":
      row.tx_hash = null;
      row.block_number = null;
      row.broadcast_at = event.at;
      break;
    case "final":
      if (!event.success) row.error = "reverted on-chain";
      break;
    case "retried":
      break;
  }
  row.status = next;
  return row;
}
