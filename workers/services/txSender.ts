import { DurableObject } from "cloudflare:workers";
import { BaseError, createPublicClient, http, keccak256, type Hex, type PublicClient, type TransactionReceipt } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { recordIntent } from "../../db/queries/keeper";
import { receiptOrNull } from "../chain/client";

/** Hot keys a TxSender may hold; each has its own Durable Object instance. */
export type KeyName = "KEEPER_KEY" | "RELAYER_KEY";
export type IntentKind = "observe" | "advance" | "fire" | "confirm" | "settle" | "relay";

/**
 * signed: recorded with its nonce and raw transaction, maybe not broadcast yet;
 * broadcast: handed to the node; included: a receipt exists, not yet `confirmations` deep;
 * mined / reverted: final at the confirmation depth; failed: refused before broadcast (the call
 * would revert), no nonce used.
 */
export type IntentStatus = "signed" | "broadcast" | "included" | "mined" | "reverted" | "failed";

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

type IntentRow = {
  id: string;
  kind: IntentKind;
  to_address: Hex;
  data: Hex;
  nonce: number | null;
  gas: string | null;
  max_fee: string | null;
  priority_fee: string | null;
  raw: Hex | null;
  hashes: string; // JSON array, oldest first: replacements add to it
  status: IntentStatus;
  tx_hash: Hex | null; // the hash that was included
  block_number: number | null;
  error: string | null;
  attempts: number;
  broadcast_at: number | null;
  updated_at: number;
};

const FINAL: IntentStatus[] = ["mined", "reverted", "failed"];
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
    const confirmations = req.confirmations ?? Number(this.env.KEEPER_CONFIRMATIONS ?? "0");
    // Allocation, signing and broadcast run under the object's lock: one nonce per intent.
    await this.exclusive(async () => {
      const known = this.load(req.intentId);
      if (known?.status === "mined" && (await this.stillMined(client, known))) return;
      // Never sent (refused by estimation) or mined and reverted: nothing was paid, so the work
      // may be tried again; every market function re-validates on-chain.
      if (!known || known.status === "failed" || known.status === "reverted") await this.create(account, client, req, known?.attempts ?? 0);
      else await this.resume(account, client, known);
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
    row.status = "broadcast";
    row.tx_hash = null;
    row.block_number = null;
    row.broadcast_at = nowMs();
    this.save(row);
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
      await this.exclusive(() => this.refresh(client, row.id, Number(this.env.KEEPER_CONFIRMATIONS ?? "0"))).catch(() => undefined);
    }
    if (open.length > 0) await this.ctx.storage.setAlarm(nowMs() + PUMP_EVERY_MS);
  }

  private key(): { key_name: KeyName; address: Hex; next_nonce: number } | undefined {
    return this.sql.exec<{ key_name: KeyName; address: Hex; next_nonce: number }>("SELECT key_name, address, next_nonce FROM tx_key WHERE k = 0").toArray()[0];
  }

  private signer(keyName: KeyName): { account: PrivateKeyAccount; client: PublicClient } {
    const secret = this.env[keyName];
    if (!secret || !this.env.RPC_URL) throw new Error(`${keyName} or RPC_URL is not configured`);
    const account = privateKeyToAccount(secret as Hex);
    const known = this.key();
    if (known && known.address !== account.address) throw new Error(`this sender holds ${known.address}, not ${account.address}`);
    if (!known) this.sql.exec("INSERT INTO tx_key (k, key_name, address, next_nonce) VALUES (0, ?, ?, 0)", keyName, account.address);
    // Short timeouts, no transport retries: the intent record is the retry mechanism.
    const client = createPublicClient({ transport: http(this.env.RPC_URL, { retryCount: 0, timeout: 5_000 }) });
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
      txHash: row.tx_hash ?? lastHash(row), status: d1Status(row.status), attempts: row.attempts, lastError: row.error,
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
      row.status = "failed";
      row.error = `would revert: ${errorText(err)}`;
      this.save(row);
      await this.mirror(row, account.address);
      return;
    }
    const fees = await client.estimateFeesPerGas();
    const chainNonce = await client.getTransactionCount({ address: account.address, blockTag: "pending" });
    row.nonce = this.nextNonce(chainNonce);
    row.gas = ((gas * 12n) / 10n).toString();
    row.max_fee = fees.maxFeePerGas.toString();
    row.priority_fee = fees.maxPriorityFeePerGas.toString();
    await this.sign(account, row);
    this.save(row); // recorded before broadcast
    await this.mirror(row, account.address);
    await this.broadcast(client, row);
  }

  private async sign(account: PrivateKeyAccount, row: IntentRow): Promise<void> {
    row.raw = await account.signTransaction({
      chainId: Number(this.env.CHAIN_ID), type: "eip1559", to: row.to_address, data: row.data, nonce: row.nonce!,
      gas: BigInt(row.gas!), maxFeePerGas: BigInt(row.max_fee!), maxPriorityFeePerGas: BigInt(row.priority_fee!),
    });
    row.hashes = JSON.stringify([...hashesOf(row), keccak256(row.raw)]);
  }

  private async broadcast(client: PublicClient, row: IntentRow): Promise<void> {
    row.attempts += 1;
    try {
      await client.sendRawTransaction({ serializedTransaction: row.raw! });
      row.error = null;
    } catch (err) {
      // A lost response may still have reached the node, and "nonce too low / already known" may
      // mean it did: either way the receipt check decides, and a resume re-sends the same bytes.
      row.error = errorText(err);
      if (!NONCE_TAKEN.test(row.error)) console.warn(JSON.stringify({ at: "txSender.broadcast", intent: row.id, error: row.error }));
    }
    if (row.status === "signed") row.status = "broadcast";
    row.broadcast_at ??= nowMs();
    this.save(row);
  }

  /** Brings a recorded, unfinished intent forward: receipt, re-broadcast, replacement or new nonce. */
  private async resume(account: PrivateKeyAccount, client: PublicClient, row: IntentRow): Promise<void> {
    if (FINAL.includes(row.status)) return;
    const receipt = await this.findReceipt(client, row);
    if (receipt) return;
    const mined = await client.getTransactionCount({ address: account.address, blockTag: "latest" });
    if (mined > row.nonce!) {
      // The nonce is used, and by none of our hashes (their receipts are absent): something else
      // took it. Sign the same work again with a fresh nonce.
      const pending = await client.getTransactionCount({ address: account.address, blockTag: "pending" });
      row.nonce = this.nextNonce(pending);
      row.hashes = "[]";
      row.broadcast_at = null;
      row.status = "signed";
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
      row.max_fee = bump(row.max_fee!, fees.maxFeePerGas);
      row.priority_fee = bump(row.priority_fee!, fees.maxPriorityFeePerGas);
      row.broadcast_at = nowMs();
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
        row.tx_hash = hash;
        row.block_number = Number(receipt.blockNumber);
        if (row.status === "signed" || row.status === "broadcast") row.status = "included";
        this.save(row);
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
      if (row.status === "included") {
        row.status = "broadcast";
        row.tx_hash = null;
        row.block_number = null;
        row.broadcast_at = nowMs();
        this.save(row);
      }
      return resultOf(row);
    }
    const head = await client.getBlockNumber();
    if (head - receipt.blockNumber >= BigInt(confirmations)) {
      // Deep enough; re-read once more so a reorg between the two reads is not taken as final.
      const again = await client.getTransactionReceipt({ hash: receipt.transactionHash }).catch(() => null);
      if (again && again.blockHash === receipt.blockHash) {
        row.status = receipt.status === "success" ? "mined" : "reverted";
        if (row.status === "reverted") row.error = "reverted on-chain";
        this.save(row);
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

function d1Status(s: IntentStatus): "pending" | "broadcast" | "mined" | "failed" {
  return s === "signed" ? "pending" : s === "broadcast" || s === "included" ? "broadcast" : s === "mined" ? "mined" : "failed";
}

/** An execution revert (the call itself fails), as opposed to the transport failing. */
function isRevert(err: unknown): boolean {
  if (!(err instanceof BaseError)) return false;
  return Boolean(err.walk((e) => (e as { name?: string }).name === "ExecutionRevertedError" || (e as { name?: string }).name === "ContractFunctionRevertedError" || typeof (e as { data?: unknown }).data === "string"));
}
