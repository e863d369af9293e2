import { describe, expect, it } from "vitest";
import { allowed, INTENT_STATUSES, IntentTransitionError, transition, type IntentEvent, type IntentState, type IntentStatus } from "../../workers/objects/txIntent";

const HASH = `0x${"ab".repeat(32)}` as const;
const row = (status: IntentStatus, over: Partial<IntentState> = {}): IntentState => ({
  id: "settle:31337:1:abc", status, nonce: 7, max_fee: "100", priority_fee: "10", hashes: JSON.stringify([HASH]),
  tx_hash: null, block_number: null, error: null, attempts: 1, broadcast_at: 1_000, ...over,
});

const EVENTS: IntentEvent[] = [
  { on: "refused", error: "execution reverted" },
  { on: "sent", at: 2_000, error: null },
  { on: "resigned", nonce: 9 },
  { on: "replaced", maxFee: "113", priorityFee: "12", at: 3_000 },
  { on: "receipt", hash: HASH, block: 42 },
  { on: "receipt-lost", at: 4_000 },
  { on: "final", success: true },
  { on: "final", success: false },
  { on: "retried" },
];
const label = (e: IntentEvent) => (e.on === "final" ? `final(${e.success ? "success" : "revert"})` : e.on);

/** The whole table, written out: status → event → next status. */
const EXPECTED: Record<IntentStatus, Record<string, IntentStatus>> = {
  queued: {},
  signed: { refused: "failed", sent: "broadcast", resigned: "signed", receipt: "included" },
  broadcast: { sent: "broadcast", resigned: "signed", replaced: "broadcast", receipt: "included" },
  included: { receipt: "included", "receipt-lost": "broadcast", "final(success)": "mined", "final(revert)": "reverted" },
  mined: { "receipt-lost": "broadcast" },
  reverted: { retried: "signed", "receipt-lost": "broadcast" },
  failed: { retried: "signed" },
};

describe("TxSender intent transitions (workers/objects/txIntent.ts)", () => {
  it("allows exactly the moves of the table and refuses every other with a named error", () => {
    for (const status of INTENT_STATUSES) {
      for (const e of EVENTS) {
        const want = EXPECTED[status][label(e)];
        // allowed() answers for the event name: "final" is a move only where some final outcome is.
        expect(allowed(status, e.on), `allowed(${status}, ${e.on})`).toBe(Object.keys(EXPECTED[status]).some((k) => k === e.on || k.startsWith(`${e.on}(`)));
        if (want) expect(transition(row(status), e).status, `${status} --${label(e)}→`).toBe(want);
        else expect(() => transition(row(status), e), `${status} --${label(e)}→ must be refused`).toThrow(IntentTransitionError);
      }
    }
  });

  it("a lost receipt resets the inclusion (hash and block cleared, the wait restarts) from included and from mined", () => {
    for (const from of ["included", "mined"] as const) {
      const r = transition(row(from, { tx_hash: HASH, block_number: 42 }), { on: "receipt-lost", at: 4_000 });
      expect(r).toMatchObject({ status: "broadcast", tx_hash: null, block_number: null, broadcast_at: 4_000 });
    }
  });

  it("records what each move carries: receipt, fresh nonce, higher fees, send attempt, refusal, revert", () => {
    expect(transition(row("broadcast"), { on: "receipt", hash: HASH, block: 42 })).toMatchObject({ status: "included", tx_hash: HASH, block_number: 42 });
    expect(transition(row("broadcast"), { on: "resigned", nonce: 9 })).toMatchObject({ status: "signed", nonce: 9, hashes: "[]", broadcast_at: null });
    expect(transition(row("broadcast"), { on: "replaced", maxFee: "113", priorityFee: "12", at: 3_000 })).toMatchObject({ max_fee: "113", priority_fee: "12", broadcast_at: 3_000 });
    // The first send sets broadcast_at; a re-send keeps it (the replacement clock runs from the first).
    expect(transition(row("signed", { broadcast_at: null, attempts: 0 }), { on: "sent", at: 2_000, error: null })).toMatchObject({ status: "broadcast", attempts: 1, broadcast_at: 2_000 });
    expect(transition(row("broadcast"), { on: "sent", at: 5_000, error: "already known" })).toMatchObject({ attempts: 2, broadcast_at: 1_000, error: "already known" });
    expect(transition(row("signed"), { on: "refused", error: "execution reverted" })).toMatchObject({ status: "failed", error: "would revert: execution reverted" });
    expect(transition(row("included", { tx_hash: HASH }), { on: "final", success: false })).toMatchObject({ status: "reverted", error: "reverted on-chain" });
  });
});
