import { DurableObject } from "cloudflare:workers";
import { createPublicClient, createWalletClient, defineChain, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export type Intent = { id: string; to: Hex; data: Hex; nonce: number; txHash: Hex | null; status: "pending" | "broadcast" | "mined" | "reverted" };
export type SendResult = { intentId: string; txHash: Hex; status: "mined" | "reverted" | "broadcast"; blockNumber: number | null };

/**
 * The only writer for one hot key (the relayer's, the keeper's): it owns the nonce. Each intent is
 * recorded under a caller-chosen id before it is broadcast, so a retry of the same intent resumes
 * (returns the known transaction, or waits for it) instead of sending a second one.
 */
export class TxSender extends DurableObject<Cloudflare.Env> {
  private intent(id: string): Intent | undefined {
    const [row] = this.ctx.storage.sql.exec<{ json: string }>("SELECT json FROM intents WHERE id = ?", id).toArray();
    return row ? (JSON.parse(row.json) as Intent) : undefined;
  }

  private save(i: Intent) {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO intents (id, json) VALUES (?, ?)", i.id, JSON.stringify(i));
  }

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS intents (id TEXT PRIMARY KEY, json TEXT NOT NULL)");
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS nonce (k INTEGER PRIMARY KEY, next INTEGER NOT NULL)");
  }

  /** Sends `data` to `to` once per `intentId` with the key named by `keyName`, then waits for the receipt. */
  async send(keyName: "RELAYER_KEY", intentId: string, to: Hex, data: Hex, timeoutMs = 30_000): Promise<SendResult> {
    const key = this.env[keyName];
    if (!key || !this.env.RPC_URL) throw new Error(`${keyName} or RPC_URL is not configured`);
    const account = privateKeyToAccount(key as Hex);
    const transport = http(this.env.RPC_URL, { retryCount: 1 });
    const publicClient = createPublicClient({ transport });
    const chainId = await publicClient.getChainId();
    const chain = defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } });
    const wallet = createWalletClient({ account, chain, transport });

    // Allocation and broadcast happen under the object's lock: one nonce, one transaction.
    const intent = await this.ctx.blockConcurrencyWhile(async () => {
      const known = this.intent(intentId);
      if (known?.txHash) return known;
      const chainNonce = await publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
      const [row] = this.ctx.storage.sql.exec<{ next: number }>("SELECT next FROM nonce WHERE k = 0").toArray();
      const nonce = Math.max(chainNonce, row?.next ?? 0);
      const i: Intent = known ?? { id: intentId, to, data, nonce, txHash: null, status: "pending" };
      i.nonce = nonce;
      this.save(i); // recorded before broadcast
      i.txHash = await wallet.sendTransaction({ to, data, nonce });
      i.status = "broadcast";
      this.save(i);
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO nonce (k, next) VALUES (0, ?)", nonce + 1);
      return i;
    });

    try {
      const receipt = await publicClient.waitForTransactionReceipt({ hash: intent.txHash!, timeout: timeoutMs, pollingInterval: 250 });
      intent.status = receipt.status === "success" ? "mined" : "reverted";
      this.save(intent);
      return { intentId, txHash: intent.txHash!, status: intent.status, blockNumber: Number(receipt.blockNumber) };
    } catch {
      // Not mined within the timeout: the intent stays broadcast; a retry with the same id waits again.
      return { intentId, txHash: intent.txHash!, status: "broadcast", blockNumber: null };
    }
  }
}
