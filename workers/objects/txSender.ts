import { DurableObject } from "cloudflare:workers";
import { BaseError, createPublicClient, http, keccak256, type Hex, type PublicClient, type TransactionReceipt } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { recordIntent } from "../../db/queries/keeperIntents";
import { receiptOrNull } from "../chain/client";
import { config } from "../config";
import { allowed, FINAL_STATUSES as FINAL, IntentTransitionError, transition, type IntentKind, type IntentState, type IntentStatus } from "./txIntent";

export type { IntentKind, IntentStatus } from "./txIntent";

/** Hot keys a TxSender may hold; each has its own Durable Object instance. */
export type KeyName = "KEEPER_KEY" | "RELAYER_KEY";

export type SendRequest = {
  /** Deterministic id of the work (e.g. `fire:31337:4:1700000000`): a retry names the same intent. */
  intentId: string;
  kind: IntentKind;
  to: Hex;
  data: Hex;
  /** Blocks on top of the receipt's before the intent counts as final (default KEEPER_CONFIRMATIONS). */
  confirmations?: number;
  /** How long to wait for a final receipt before returning the intent as it stands. */
  waitMs?: number;
};

export type SendResult = {
  intentId: string;
  status: IntentStatus;
  txHash: Hex | null;
  blockNumber: number | null;
  error: string | null;
};

/** An intent as stored; its status and the fields that go with it change only through `transition`. */
type IntentRow = IntentState & {
  kind: IntentKind;
  to_address: Hex;
  data: Hex;
  gas: string | null;
  raw: Hex | null;
  updated_at: number;
};
/** A broadcast transaction not included after this long is re-signed with higher fees (same nonce). */
const REPLACE_AFTER_MS = 45_000;
/** Pending intents are re-broadcast and checked by an alarm this often while any is open. */
const PUMP_EVERY_MS = 15_000;

const nowMs = () => Date.now();
const errorText = (err: unknown) => (err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err)).slice(0, 300);
/** Node answers meaning "this nonce is taken" or "I have it already": check receipts, don't fail. */
const NONCE_TAKEN = /nonce too low|already known|known transaction|replacement transaction underpriced|nonce.*already.*used/i;

/**
 * The only writer for one hot key (the keeper's, the relayer's): it owns the nonce. Every
 * transaction is signed locally and recorded (nonce, raw bytes, hash) under a caller-chosen intent
 * id before it is broadcast, so a retry after any failure — an RPC error, a response lost after
 * broadcast, a timeout, a reorg that drops the receipt — resumes the recorded intent: it looks for
 * the known hashes' receipts, re-broadcasts the same bytes, or replaces them with the same nonce
 * and higher fees. It never signs a second transaction for the same work with a new nonce unless
 * the old nonce was provably taken by something else.
 */
export class TxSender extends DurableObject<Cloudflare.Env> {
  private readonly sql: SqlStorage;
  /** One intent at a time: allocation, signing and broadcast never interleave. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS tx_intents (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, to_address TEXT NOT NULL, data TEXT NOT NULL, nonce INTEGER,
      gas TEXT, max_fee TEXT, priority_fee TEXT, raw TEXT, hashes TEXT NOT NULL DEFAULT '[]', status TEXT NOT NULL,
      tx_hash TEXT, block_number INTEGER, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, broadcast_at INTEGER,
      updated_at INTEGER NOT NULL)`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS tx_intents_open ON tx_intents (status, nonce)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS tx_key (k INTEGER PRIMARY KEY, key_name TEXT NOT NULL, address TEXT NOT NULL, next_nonce INTEGER NOT NULL)");
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Sends `req.data` to `req.to` at most once per intent id with the key `keyName`. */
  async send(keyName: KeyName, req: SendRequest): Promise<SendResult> {
    const { account, client } = this.signer(keyName);
    const confirmations = req.confirmations ?? config(this.env).keeper.confirmations;
    // Allocation, signing and broadcast run under the object's lock: one nonce per intent.
    await this.exclusive(async () => {
      const known = this.load(req.intentId);
      if (known?.status === "mined" && (await this.stillMined(client, known))) return;
      // Never sent (refused by estimation) or mined and reverted: nothing was paid, so the work
      // may be tried again; every market function re-validates on-chain.
      if (!known || known.status === "failed" || known.status === "reverted") {
        if (known) transition(known, { on: "retried" }); // the move is checked; create() writes the fresh record
        await this.create(account, client, req, known?.attempts ?? 0);
      } else await this.resume(account, client, known);
    });
    const waited = await this.waitFinal(client, req.intentId, confirmations, req.waitMs ?? 20_000);
    await this.ctx.storage.setAlarm(nowMs() + PUMP_EVERY_MS).catch(() => undefined);
    return waited;
  }

  /**
   * Asked again about a mined intent: true while its receipt is still on the chain. A receipt that
   * vanished (a reorg deeper than the confirmation depth) puts the intent back to broadcast, to
   * be re-sent with the same bytes (or a fresh nonce if the old one is taken).
   */
  private async stillMined(client: PublicClient, row: IntentRow): Promise<boolean> {
    if (await receiptOrNull(client, row.tx_hash!)) return true;
    this.save(transition(row, { on: "receipt-lost", at: nowMs() }));
    return false;
  }

  /** The recorded state of an intent, without touching the chain. */
  async status(intentId: string): Promise<SendResult | null> {
    const row = this.load(intentId);
    return row ? resultOf(row) : null;
  }

  /** While intents are open, keeps them moving: re-broadcast, replace when stuck, record receipts. */
  override async alarm(): Promise<void> {
    const key = this.key();
    if (!key) return;
    const { account, client } = this.signer(key.key_name);
    const open = this.sql.exec<IntentRow>("SELECT * FROM tx_intents WHERE status IN ('signed','broadcast','included') ORDER BY nonce LIMIT 20").toArray();
    for (const row of open) {
      await this.exclusive(() => this.resume(account, client, this.load(row.id)!).catch(() => undefined));
      await this.exclusive(() => this.refresh(client, row.id, config(this.env).keeper.confirmations)).catch(() => undefined);
    }
    if (open.length > 0) await this.ctx.storage.setAlarm(nowMs() + PUMP_EVERY_MS);
  }

  private key(): { key_name: KeyName; address: Hex; next_nonce: number } | undefined {
    return this.sql.exec<{ key_name: KeyName; address: Hex; next_nonce: number }>("SELECT key_name, address, next_nonce FROM tx_key WHERE k = 0").toArray()[0];
  }

  private signer(keyName: KeyName): { account: PrivateKeyAccount; client: PublicClient } {
    const c = config(this.env);
    const secret = keyName === "RELAYER_KEY" ? c.relayerKey : c.keeperKey;
    if (!secret || !c.rpcUrl) throw new Error(`${keyName} or RPC_URL is not configured`);
    const account = privateKeyToAccount(secret);
    const known = this.key();
    if (known && known.address !== account.address) throw new Error(`this sender holds ${known.address}, not ${account.address}`);
    if (!known) this.sql.exec("INSERT INTO tx_key (k, key_name, address, next_nonce) VALUES (0, ?, ?, 0)", keyName, account.address);
    // Short timeouts, no transport retries: the intent record is the retry mechanism.
    const client = createPublicClient({ transport: http(c.rpcUrl, { retryCount: 0, timeout: 5_000 }) });
    return { account, client };
  }

  private load(id: string): IntentRow | undefined {
    return this.sql.exec<IntentRow>("SELECT * FROM tx_intents WHERE id = ?", id).toArray()[0];
  }

  private save(row: IntentRow): void {
    row.updated_at = nowMs();
    this.sql.exec(
      `INSERT OR REPLACE INTO tx_intents (id, kind, to_address, data, nonce, gas, max_fee, priority_fee, raw, hashes, status, tx_hash,
        block_number, error, attempts, broadcast_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      row.id, row.kind, row.to_address, row.data, row.nonce, row.gas, row.max_fee, row.priority_fee, row.raw, row.hashes, row.status,
      row.tx_hash, row.block_number, row.error, row.attempts, row.broadcast_at, row.updated_at,
    );
  }

  /** Mirrors the intent to D1 (keeper_intents) so operators and the keeper's runs can see it. */
  private async mirror(row: IntentRow, signer: Hex): Promise<void> {
    await recordIntent(this.env.DB, {
      id: row.id, signer, kind: row.kind, target: row.to_address, calldata: row.data, nonce: row.nonce,
      txHash: row.tx_hash ?? lastHash(row), status: row.status, attempts: row.attempts, lastError: row.error,
    }).catch(() => undefined); // the Durable Object's own record is the authority; D1 is a view
  }

  private nextNonce(chainNonce: number): number {
    const nonce = Math.max(chainNonce, this.key()!.next_nonce);
    this.sql.exec("UPDATE tx_key SET next_nonce = ? WHERE k = 0", nonce + 1);
    return nonce;
  }

  private async create(account: PrivateKeyAccount, client: PublicClient, req: SendRequest, attempts: number): Promise<void> {
    const row: IntentRow = {
      id: req.intentId, kind: req.kind, to_address: req.to, data: req.data, nonce: null, gas: null, max_fee: null, priority_fee: null,
      raw: null, hashes: "[]", status: "signed", tx_hash: null, block_number: null, error: null, attempts, broadcast_at: null, updated_at: 0,
    };
    let gas: bigint;
    try {
      gas = await client.estimateGas({ account: account.address, to: req.to, data: req.data });
    } catch (err) {
      if (!isRevert(err)) throw err; // transport trouble: nothing recorded, the caller retries
      this.save(transition(row, { on: "refused", error: errorText(err) }));
      await this.mirror(row, account.address);
      return;
    }
    const fees = await client.estimateFeesPerGas();
    const chainNonce = await client.getTransactionCount({ address: account.address, blockTag: "pending" });
    await this.repairGap(client, chainNonce);
    row.nonce = this.nextNonce(chainNonce);
    row.gas = ((gas * 12n) / 10n).toString();
    row.max_fee = fees.maxFeePerGas.toString();
    row.priority_fee = fees.maxPriorityFeePerGas.toString();
    await this.sign(account, row);
    this.save(row); // recorded before broadcast
    await this.mirror(row, account.address);
    await this.broadcast(client, row);
  }

  /**
   * The node knows fewer of this key's transactions than were signed: a reorg dropped mined ones.
   * Intents that are still open are re-sent by their own callers and the alarm; a mined intent
   * may never be asked about again (a release, an observation), and its lost nonce would be a gap
   * that stalls every later transaction of the key — payouts included. So each mined intent in
   * the gap whose receipt is gone goes back to `broadcast` and its same bytes are sent again.
   */
  private async repairGap(client: PublicClient, chainNonce: number): Promise<void> {
    if (chainNonce >= this.key()!.next_nonce) return;
    // Reverted intents took their nonce too: a dropped one leaves the same gap.
    const lost = this.sql.exec<IntentRow>("SELECT * FROM tx_intents WHERE status IN ('mined', 'reverted') AND nonce >= ? ORDER BY nonce", chainNonce).toArray();
    for (const row of lost) {
      if (await receiptOrNull(client, row.tx_hash!)) continue;
      this.save(transition(row, { on: "receipt-lost", at: nowMs() }));
      console.warn(JSON.stringify({ at: "txSender.gap-repaired", intent: row.id, nonce: row.nonce }));
      await this.broadcast(client, row);
    }
  }

  private async sign(account: PrivateKeyAccount, row: IntentRow): Promise<void> {
    row.raw = await account.signTransaction({
      chainId: config(this.env).chainId, type: "eip1559", to: row.to_address, data: row.data, nonce: row.nonce!,
      gas: BigInt(row.gas!), maxFeePerGas: BigInt(row.max_fee!), maxPriorityFeePerGas: BigInt(row.priority_fee!),
    });
    row.hashes = JSON.stringify([...hashesOf(row), keccak256(row.raw)]);
  }

  private async broadcast(client: PublicClient, row: IntentRow): Promise<void> {
    let error: string | null = null;
    try {
      await client.sendRawTransaction({ serializedTransaction: row.raw! });
    } catch (err) {
      // A lost response may still have reached the node, and "nonce too low / already known" may
      // mean it did: either way the receipt check decides, and a resume re-sends the same bytes.
      error = errorText(err);
      if (!NONCE_TAKEN.test(error)) console.warn(JSON.stringify({ at: "txSender.broadcast", intent: row.id, error }));
    }
    this.save(transition(row, { on: "sent", at: nowMs(), error }));
  }

  /** Brings a recorded, unfinished intent forward: receipt, re-broadcast, replacement or new nonce. */
  private async resume(account: PrivateKeyAccount, client: PublicClient, row: IntentRow): Promise<void> {
    if (FINAL.includes(row.status)) return;
    const receipt = await this.findReceipt(client, row);
    if (receipt) return;
    // Included before, no receipt now: a reorg dropped it; it waits for a receipt again.
    if (row.status === "included") this.save(transition(row, { on: "receipt-lost", at: nowMs() }));
    const mined = await client.getTransactionCount({ address: account.address, blockTag: "latest" });
    if (mined > row.nonce!) {
      // The nonce is used, and by none of our hashes (their receipts are absent): something else
      // took it. Sign the same work again with a fresh nonce.
      const pending = await client.getTransactionCount({ address: account.address, blockTag: "pending" });
      // Checked before the nonce is taken: a nonce allocated for a refused move would be a gap
      // that stalls every later transaction of the key.
      if (!allowed(row.status, "resigned")) throw new IntentTransitionError(`intent ${row.id}: "resigned" is not a move from ${row.status}`);
      transition(row, { on: "resigned", nonce: this.nextNonce(pending) });
      await this.sign(account, row);
      this.save(row);
      await this.mirror(row, account.address);
      await this.broadcast(client, row);
      return;
    }
    if (row.broadcast_at !== null && nowMs() - row.broadcast_at > REPLACE_AFTER_MS) {
      // Stuck: same nonce, fees up by at least the 10% nodes require (12.5% here), or today's fees if higher.
      const fees = await client.estimateFeesPerGas();
      const bump = (old: string, now: bigint) => {
        const up = (BigInt(old) * 1125n) / 1000n + 1n;
        return (up > now ? up : now).toString();
      };
      transition(row, { on: "replaced", maxFee: bump(row.max_fee!, fees.maxFeePerGas), priorityFee: bump(row.priority_fee!, fees.maxPriorityFeePerGas), at: nowMs() });
      await this.sign(account, row);
      this.save(row);
      await this.mirror(row, account.address);
    }
    await this.broadcast(client, row);
  }

  /** The receipt of any of the intent's hashes, recorded on the row; null when none is known. */
  private async findReceipt(client: PublicClient, row: IntentRow): Promise<TransactionReceipt | null> {
    for (const hash of hashesOf(row).reverse()) {
      const receipt = await receiptOrNull(client, hash);
      if (receipt) {
        this.save(transition(row, { on: "receipt", hash, block: Number(receipt.blockNumber) }));
        return receipt;
      }
    }
    return null;
  }

  /**
   * Checks an intent's receipt and depth once: `included` becomes final at the confirmation
   * depth; a receipt that disappeared (reorg) puts the intent back to `broadcast`.
   */
  private async refresh(client: PublicClient, id: string, confirmations: number): Promise<SendResult> {
    const row = this.load(id)!;
    if (FINAL.includes(row.status) || row.status === "signed") return resultOf(row);
    const receipt = await this.findReceipt(client, row);
    if (!receipt) {
      if (row.status === "included") this.save(transition(row, { on: "receipt-lost", at: nowMs() }));
      return resultOf(row);
    }
    const head = await client.getBlockNumber();
    if (head - receipt.blockNumber >= BigInt(confirmations)) {
      // Deep enough; re-read once more so a reorg between the two reads is not taken as final.
      const again = await client.getTransactionReceipt({ hash: receipt.transactionHash }).catch(() => null);
      if (again && again.blockHash === receipt.blockHash) {
        this.save(transition(row, { on: "final", success: receipt.status === "success" }));
        await this.mirror(row, this.key()!.address);
      }
    }
    return resultOf(row);
  }

  private async waitFinal(client: PublicClient, id: string, confirmations: number, waitMs: number): Promise<SendResult> {
    const until = nowMs() + waitMs;
    for (;;) {
      const result = await this.exclusive(() => this.refresh(client, id, confirmations)).catch(() => resultOf(this.load(id)!));
      if (FINAL.includes(result.status) || nowMs() >= until) return result;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const hashesOf = (row: IntentRow) => JSON.parse(row.hashes) as Hex[];
const lastHash = (row: IntentRow) => hashesOf(row).at(-1) ?? null;

function resultOf(row: IntentRow): SendResult {
  return { intentId: row.id, status: row.status, txHash: row.tx_hash ?? lastHash(row), blockNumber: row.block_number, error: row.error };
}

/** An execution revert (the call itself fails), as opposed to the transport failing. */
function isRevert(err: unknown): boolean {
  if (!(err instanceof BaseError)) return false;
  return Boolean(err.walk((e) => (e as { name?: string }).name === "ExecutionRevertedError" || (e as { name?: string }).name === "ContractFunctionRevertedError" || typeof (e as { data?: unknown }).data === "string"));
}
