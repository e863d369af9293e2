import { env, exports } from "cloudflare:workers";
import { createWalletClient, http, parseSignature, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { beforeAll, describe, expect, it } from "vitest";
import { abi as tokenAbi } from "../../contracts/out/MockStablecoin";
import { acceptanceTypedData } from "../../workers/chain/quote";
import { claimIdempotencyKey } from "../../db/queries/idempotency";
import { hashApiKey } from "../../workers/keys";
import { buyWithQuote, chain, publicClient, type QuoteTransaction } from "./helpers/chain";
import { createKey, json } from "./helpers/keys";

const NOW = Math.floor(Date.now() / 1000);
const MONTH = 30 * 86_400;
const USD = 1_000_000n;
const api = (path: string, init?: RequestInit) => exports.default.fetch(`http://tripwire.test${path}`, init);
type PolicyView = { id: number; owner: string; productId: number; coverAmount: string; premium: string; status: string; txHash: string };
type Problem = { type: string };

let bought: Awaited<ReturnType<typeof buyWithQuote>>;
let quoteId: number;
let premium: string;
beforeAll(async () => {
  const admin = await createKey(["admin"]);
  await api("/v1/admin/protocols/swapper-v3", json("PUT", {
    name: "Swapper v3", category: "dex", website: null, auditCount: 3, lastAuditAt: NOW - 6 * MONTH, launchedAt: NOW - 40 * MONTH,
    tvlUsd: "800000000", incidentCount: 0, lastIncidentAt: null, adminKey: "timelock_multisig", upgradeable: false, oracleDependence: "none",
  }, admin));
  const p2 = chain.products.find((p) => p.id === 2)!;
  await api("/v1/admin/products/2", json("PUT", { protocolId: "swapper-v3", name: p2.name, termsText: p2.terms }, admin));
  const q = (await (await api("/v1/quotes", json("POST", { product: 2, amount: String(4_000n * USD), duration: 10 }))).json()) as { quoteId: string; premium: string; transaction: QuoteTransaction };
  quoteId = Number(q.quoteId);
  premium = q.premium;
  bought = await buyWithQuote(chain.keys.buyer, q.transaction);
});

describe("POST /v1/purchases (by transaction hash)", () => {
  it("indexes the policy the transaction minted (201), and a second call returns the same policy (200)", async () => {
    const first = await api("/v1/purchases", json("POST", { txHash: bought.buy }));
    expect(first.status).toBe(201);
    const { policies } = (await first.json()) as { policies: PolicyView[] };
    expect(policies).toHaveLength(1);
    expect(policies[0]).toMatchObject({ id: quoteId, owner: bought.buyer, productId: 2, coverAmount: String(4_000n * USD), premium, status: "pending_start", txHash: bought.buy });
    const second = await api("/v1/purchases", json("POST", { txHash: bought.buy }));
    expect(second.status).toBe(200);
    expect(((await second.json()) as { policies: PolicyView[] }).policies).toEqual(policies);
  });

  it("serves the policy by id and by owner, paginated", async () => {
    await api("/v1/purchases", json("POST", { txHash: bought.buy }));
    expect(((await (await api(`/v1/policies/${quoteId}`)).json()) as PolicyView).owner).toBe(bought.buyer);
    const page = (await (await api(`/v1/policies?owner=${bought.buyer.toLowerCase()}&limit=1`)).json()) as { policies: PolicyView[]; next: number | null };
    expect(page.policies.map((p) => p.id)).toEqual([quoteId]);
    expect(page.next).toBe(quoteId);
    const rest = (await (await api(`/v1/policies?owner=${bought.buyer}&after=${quoteId}`)).json()) as { policies: PolicyView[] };
    expect(rest.policies).toEqual([]);
    expect((await api("/v1/policies/999999")).status).toBe(404);
    expect((await api("/v1/policies?owner=nope")).status).toBe(400);
  });

  it("accepts only this market's purchases: another transaction is 422, an unknown hash is 422, a bad hash is 400", async () => {
    const approve = await api("/v1/purchases", json("POST", { txHash: bought.approve }));
    expect(approve.status).toBe(422);
    expect(((await approve.json()) as Problem).type).toBe("https://tripwire.dev/problems/not-a-purchase");
    const unknown = await api("/v1/purchases", json("POST", { txHash: `0x${"12".repeat(32)}` }));
    expect(((await unknown.json()) as Problem).type).toBe("https://tripwire.dev/problems/transaction-not-found");
    expect((await api("/v1/purchases", json("POST", { txHash: "0x1234" }))).status).toBe(400);
  });
});

describe("Idempotency-Key", () => {
  const withKey = (key: string, body: unknown) => {
    const init = json("POST", body);
    return { ...init, headers: { ...(init.headers as Record<string, string>), "idempotency-key": key } };
  };

  it("replays the first response for the same key and body, and refuses the key with another body (422)", async () => {
    const a = await api("/v1/purchases", withKey("k-1", { txHash: bought.buy }));
    const body = await a.text();
    const b = await api("/v1/purchases", withKey("k-1", { txHash: bought.buy }));
    expect(b.status).toBe(a.status);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(await b.text()).toBe(body);
    const other = await api("/v1/purchases", withKey("k-1", { txHash: bought.approve }));
    expect(other.status).toBe(422);
    expect(((await other.json()) as Problem).type).toBe("https://tripwire.dev/problems/idempotency-key-reused");
  });

  it("answers 409 while a request with the same key is in flight", async () => {
    const body = JSON.stringify({ txHash: bought.buy });
    await claimIdempotencyKey(env.DB, { scope: "ip:local POST /v1/purchases", key: "k-2", requestHash: await hashApiKey(body), now: NOW, ttlSeconds: 3600 });
    const res = await api("/v1/purchases", withKey("k-2", { txHash: bought.buy }));
    expect(res.status).toBe(409);
    expect(((await res.json()) as Problem).type).toBe("https://tripwire.dev/problems/idempotency-key-in-flight");
  });
});

describe("POST /v1/purchases (relayed: the buyer signs, the Worker's relayer submits)", () => {
  const relayBody = async (opts: { forgeAcceptance?: boolean } = {}) => {
    const buyerKey = chain.keys.beneficiary;
    const buyer = privateKeyToAccount(buyerKey);
    const q = (await (await api("/v1/quotes", json("POST", { product: 2, amount: String(2_000n * USD), duration: 5, buyer: buyer.address }))).json()) as {
      signature: Hex; transaction: QuoteTransaction; eip712: { message: Record<string, string | number> };
    };
    const premium = BigInt(q.transaction.approval.amount);
    const wallet = createWalletClient({ chain: foundry, transport: http(chain.rpcUrl), account: buyer });
    await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: q.transaction.approval.token, abi: tokenAbi, functionName: "mint", args: [buyer.address, premium] }) });
    const deadline = BigInt(NOW + 3600);
    const nonce = await publicClient.readContract({ address: q.transaction.approval.token, abi: tokenAbi, functionName: "nonces", args: [buyer.address] });
    const permit = parseSignature(await buyer.signTypedData({
      domain: { name: "Local USD", version: "1", chainId: chain.chainId, verifyingContract: q.transaction.approval.token },
      types: { Permit: [{ name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" }] },
      primaryType: "Permit",
      message: { owner: buyer.address, spender: q.transaction.to, value: premium, nonce, deadline },
    }));
    const signer = opts.forgeAcceptance ? privateKeyToAccount(chain.keys.buyer) : buyer;
    const acceptance = await signer.signTypedData(acceptanceTypedData({ quoteId: BigInt(q.eip712.message.quoteId!), buyer: buyer.address, deadline }, chain.chainId, q.transaction.to));
    return {
      buyer: buyer.address,
      premium,
      body: { relay: { quote: q.eip712.message, signature: q.signature, buyer: buyer.address, acceptanceDeadline: Number(deadline), acceptance, permit: { deadline: Number(deadline), v: Number(permit.v), r: permit.r, s: permit.s } } },
    };
  };

  it("relays the purchase: mined, indexed, owned and paid for by the buyer; a retry with the same key replays", async () => {
    const { buyer, body } = await relayBody();
    const init = json("POST", body);
    const withKey = { ...init, headers: { ...(init.headers as Record<string, string>), "idempotency-key": "relay-1" } };
    const res = await api("/v1/purchases", withKey);
    const text = await res.text();
    expect(res.status, text).toBe(201);
    const out = JSON.parse(text) as { txHash: Hex; policies: PolicyView[] };
    expect(out.policies).toHaveLength(1);
    expect(out.policies[0]).toMatchObject({ owner: buyer, productId: 2, coverAmount: String(2_000n * USD) });
    const receipt = await publicClient.getTransactionReceipt({ hash: out.txHash });
    expect(receipt.from).toBe(privateKeyToAccount(chain.keys.relayer).address.toLowerCase());
    const again = await api("/v1/purchases", withKey);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(text);
  });

  it("refuses a relay the market would revert, naming the contract's error (422)", async () => {
    const { body } = await relayBody({ forgeAcceptance: true });
    const res = await api("/v1/purchases", json("POST", body));
    expect(res.status).toBe(422);
    const p = (await res.json()) as { type: string; detail: string };
    expect(p.type).toBe("https://tripwire.dev/problems/purchase-would-revert");
    expect(p.detail).toContain("MarketAcceptanceInvalid");
  });
});
