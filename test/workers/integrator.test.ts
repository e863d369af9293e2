import { exports } from "cloudflare:workers";
import { BaseError, ContractFunctionRevertedError, createWalletClient, getAddress, http, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { beforeAll, describe, expect, it } from "vitest";
import { buyCover, depositWithCover, quoteStruct, tripwireApi, type QuoteResponse } from "../../client";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import * as CoveredVault from "../../contracts/out/CoveredVault";
import { abi as tokenAbi } from "../../contracts/out/MockStablecoin";
import * as SampleLendingMarket from "../../contracts/out/SampleLendingMarket";
import { chain, publicClient } from "./helpers/chain";
import { anvil, balanceOf, deployFeed, listTvlProduct, moveFeed, passCoverageLag, tickUntil, timesPaid, USD } from "./helpers/keeper";
import { createKey } from "./helpers/keys";

/*
 * The integrator path end to end, through the typed client this repo ships: an admin issues an
 * integrator key, the operator sets the integrator's fee on-chain, a protocol's vault deposits and
 * covers its depositor in one transaction, the integrator is paid at purchase, the keeper pays the
 * depositor when the covered protocol's TVL collapses.
 */
const transport = http(chain.rpcUrl);
const owner = createWalletClient({ chain: foundry, transport, account: privateKeyToAccount(chain.keys.owner) });
const market = chain.contracts.CoverMarket as Address;
const stablecoin = chain.contracts.Stablecoin as Address;
const workerFetch = ((input: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(input, init)) as typeof fetch;
const anonymous = tripwireApi("http://tripwire.test", { fetch: workerFetch });

async function mined(hash: Hex) {
  const r = await publicClient.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new Error(`reverted: ${hash}`);
  return r;
}
/** A fresh local account with gas and `usd` of the local stablecoin. */
async function newAccount(usd: bigint) {
  const account = privateKeyToAccount(generatePrivateKey());
  await anvil("anvil_setBalance", [account.address, "0x56BC75E2D63100000"]);
  await mined(await owner.writeContract({ address: stablecoin, abi: tokenAbi, functionName: "mint", args: [account.address, usd] }));
  return createWalletClient({ chain: foundry, transport, account });
}
const revertName = (err: unknown) => {
  const r = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : null;
  return r instanceof ContractFunctionRevertedError ? r.data?.errorName : undefined;
};

let integrator: Address;
let integratorKey: string;
let api: ReturnType<typeof tripwireApi>;
let product: number;
let feed: Address;
let vault: Address;

beforeAll(async () => {
  feed = await deployFeed(1_000_000n);
  product = await listTvlProduct(feed, "Integrator lending TVL");
  integrator = privateKeyToAccount(generatePrivateKey()).address;
  await mined(await owner.writeContract({ address: market, abi: marketAbi, functionName: "setIntegratorFee", args: [integrator, 1_000] }));
  const admin = tripwireApi("http://tripwire.test", { fetch: workerFetch, apiKey: await createKey(["admin"]) });
  const issued = await admin.v1.admin["api-keys"].$post({ json: { name: "Acme Vaults", scopes: ["integrator"], integrator } });
  expect(issued.status).toBe(201);
  if (issued.status !== 201) return;
  const body = await issued.json();
  expect(body).toMatchObject({ name: "Acme Vaults", scopes: ["integrator"], integrator: getAddress(integrator), revokedAt: null });
  integratorKey = body.key;
  api = tripwireApi("http://tripwire.test", { fetch: workerFetch, apiKey: integratorKey });
  const lending = (await mined(await owner.deployContract({ abi: SampleLendingMarket.abi, bytecode: SampleLendingMarket.bytecode, args: [stablecoin, owner.account.address] }))).contractAddress!;
  vault = getAddress((await mined(await owner.deployContract({ abi: CoveredVault.abi, bytecode: CoveredVault.bytecode, args: [lending, market, stablecoin, "Covered Lending USD", "cvUSD"] }))).contractAddress!);
});

describe("integrator quotes (typed client)", () => {
  it("a quote through an integrator key names the integrator and its on-chain rate; the breakdown splits the premium", async () => {
    const res = await api.v1.quotes.$post({ json: { product, amount: String(4_000n * USD), duration: 30 } });
    expect(res.status).toBe(201);
    if (res.status !== 201) return;
    const q = await res.json();
    const fee = (BigInt(q.premium) * 1_000n) / 10_000n;
    expect(q.integratorFee).toEqual({ integrator: getAddress(integrator), feeBps: 1_000, amount: fee.toString() });
    expect(q.eip712.message).toMatchObject({ integrator: getAddress(integrator), integratorFeeBps: 1_000 });
    expect(q.breakdown.premiumToPool).toBe((BigInt(q.premium) - fee).toString());
    // Anonymous quotes name no integrator and pay no fee.
    const anon = await anonymous.v1.quotes.$post({ json: { product, amount: String(4_000n * USD), duration: 30 } });
    if (anon.status !== 201) throw new Error(`quote: ${anon.status}`);
    expect((await anon.json()).integratorFee).toEqual({ integrator: "0x0000000000000000000000000000000000000000", feeBps: 0, amount: "0" });
  });

  it("POST /v1/quotes/batch prices one deposit across amounts and durations in one call; unsellable pairs carry their problem", async () => {
    const res = await api.v1.quotes.batch.$post({ json: { product, amounts: [String(1_000n * USD), String(10_000n * USD), String(10_000_000n * USD)], durations: [7, 30, 90] } });
    expect(res.status).toBe(200);
    if (res.status !== 200) return;
    const b = await res.json();
    expect(b.options).toHaveLength(9);
    expect(b.integratorFeeBps).toBe(1_000);
    const sold = b.options.filter((o) => o.ok);
    expect(sold).toHaveLength(6);
    for (const amount of [String(1_000n * USD), String(10_000n * USD)]) {
      const premiums = sold.filter((o) => o.amount === amount).map((o) => (o.ok ? BigInt(o.premium) : 0n));
      expect(premiums[0]! < premiums[1]! && premiums[1]! < premiums[2]!).toBe(true); // longer cover costs more
    }
    for (const o of sold) if (o.ok) expect(BigInt(o.integratorFee) + BigInt(o.premiumToPool)).toBe(BigInt(o.premium));
    const refused = b.options.filter((o) => !o.ok);
    expect(refused.map((o) => [o.amount, o.duration])).toEqual([[String(10_000_000n * USD), 7], [String(10_000_000n * USD), 30], [String(10_000_000n * USD), 90]]);
    for (const o of refused) if (!o.ok) expect(o.problem).toMatchObject({ status: 422, type: expect.stringMatching(/capacity-exceeded$/) });
    // A priced option and the signed quote for it agree.
    const signed = await api.v1.quotes.$post({ json: { product, amount: String(10_000n * USD), duration: 30 } });
    if (signed.status !== 201) throw new Error(`quote: ${signed.status}`);
    const option = sold.find((o) => o.amount === String(10_000n * USD) && o.duration === 30)!;
    expect(option.ok && option.premium).toBe((await signed.json()).premium);
  });

  it("batch input is checked: no amounts, too many pairs, unknown product", async () => {
    expect((await api.v1.quotes.batch.$post({ json: { product, amounts: [], durations: [30] } })).status).toBe(400);
    const many = Array.from({ length: 10 }, (_, i) => String(BigInt(i + 1) * USD));
    expect((await api.v1.quotes.batch.$post({ json: { product, amounts: many, durations: [1, 2, 3, 4, 5, 6, 7] } })).status).toBe(400);
    expect((await api.v1.quotes.batch.$post({ json: { product: 9_999, amounts: ["1000000"], durations: [30] } })).status).toBe(404);
  });

  it("a revoked key stops working at once", async () => {
    const admin = tripwireApi("http://tripwire.test", { fetch: workerFetch, apiKey: await createKey(["admin"]) });
    const issued = await admin.v1.admin["api-keys"].$post({ json: { name: "short-lived", scopes: ["integrator"], integrator } });
    if (issued.status !== 201) throw new Error(`issue: ${issued.status}`);
    const { id, key } = await issued.json();
    const client = tripwireApi("http://tripwire.test", { fetch: workerFetch, apiKey: key });
    expect((await client.v1.quotes.batch.$post({ json: { product, amounts: ["1000000000"], durations: [30] } })).status).toBe(200);
    expect((await admin.v1.admin["api-keys"][":id"].$delete({ param: { id: String(id) } })).status).toBe(204);
    expect((await client.v1.quotes.batch.$post({ json: { product, amounts: ["1000000000"], durations: [30] } })).status).toBe(401);
    expect((await admin.v1.admin["api-keys"][":id"].$delete({ param: { id: String(id) } })).status).toBe(404);
    // An integrator key needs its address; only admins issue keys.
    expect((await admin.v1.admin["api-keys"].$post({ json: { name: "x", scopes: ["integrator"] } })).status).toBe(400);
    expect((await api.v1.admin["api-keys"].$post({ json: { name: "x", scopes: ["admin"] } })).status).toBe(403);
  });
});

describe("deposit and cover in one transaction (CoveredVault + viem helpers), paid by the keeper", () => {
  it("the depositor owns the policy, the integrator is paid at purchase, a reused or misdirected quote is refused, and a TVL collapse pays the depositor", async () => {
    const depositor = await newAccount(10_000n * USD);
    const quoteFor = async (beneficiary: Address, amount: bigint) => {
      const res = await api.v1.quotes.$post({ json: { product, amount: String(amount), duration: 30, beneficiary } });
      if (res.status !== 201) throw new Error(`quote: ${res.status} ${await res.text()}`);
      return (await res.json()) as QuoteResponse & { premium: string; integratorFee: { amount: string } };
    };
    const q = await quoteFor(depositor.account.address, 5_000n * USD);
    const integratorBefore = await balanceOf(integrator);
    const { shares, policyId, txHash, approvalTxHash } = await depositWithCover(publicClient, depositor, { vault, assets: 5_000n * USD, quote: q });
    expect(approvalTxHash).not.toBeNull();
    expect(policyId).toBe(BigInt(q.quoteId));
    expect(shares).toBe(5_000n * USD * 10n ** 6n); // the vault's 6-decimal virtual-share offset
    expect(await publicClient.readContract({ address: market, abi: marketAbi, functionName: "ownerOf", args: [policyId] })).toBe(depositor.account.address);
    expect(await publicClient.readContract({ address: vault, abi: CoveredVault.abi, functionName: "balanceOf", args: [depositor.account.address] })).toBe(5_000n * USD * 10n ** 6n);
    expect((await balanceOf(integrator)) - integratorBefore).toBe(BigInt(q.integratorFee.amount));
    expect(BigInt(q.integratorFee.amount)).toBeGreaterThan(0n);
    expect(await balanceOf(depositor.account.address)).toBe(10_000n * USD - 5_000n * USD - BigInt(q.premium));
    // The purchase registers like any other; the policy records who sold it.
    const reg = await anonymous.v1.purchases.$post({ json: { txHash }, header: {} });
    expect(reg.status).toBe(201);
    if (reg.status === 201) expect((await reg.json()).policies).toEqual([expect.objectContaining({ id: Number(policyId), owner: depositor.account.address, integrator: getAddress(integrator) })]);

    // A quote for someone else, and the same quote again, are refused before any gas is spent.
    const other = await quoteFor(privateKeyToAccount(generatePrivateKey()).address, 1_000n * USD);
    await expect(depositWithCover(publicClient, depositor, { vault, assets: 1_000n * USD, quote: other }).catch((e: unknown) => Promise.reject(new Error(revertName(e))))).rejects.toThrow("CoveredVaultWrongBeneficiary");
    await expect(depositWithCover(publicClient, depositor, { vault, assets: 5_000n * USD, quote: q })).rejects.toMatchObject({ name: "QuoteUnusableError", reason: "used" });
    // The vault itself refuses the replay too (a caller without the helper's check, allowance in place).
    await mined(await depositor.writeContract({ address: stablecoin, abi: tokenAbi, functionName: "mint", args: [depositor.account.address, 10_000n * USD] }));
    await mined(await depositor.writeContract({ address: stablecoin, abi: tokenAbi, functionName: "approve", args: [vault, 10_000n * USD] }));
    await expect(publicClient.simulateContract({ account: depositor.account, address: vault, abi: [...CoveredVault.abi, ...marketAbi.filter((x) => x.type === "error")], functionName: "depositWithCover", args: [5_000n * USD, depositor.account.address, 0n, quoteStruct(q), q.signature as Hex] })
      .catch((e: unknown) => Promise.reject(new Error(revertName(e))))).rejects.toThrow("MarketQuoteAlreadyUsed");

    // The covered protocol's TVL collapses: the keeper fires, confirms and pays the depositor.
    await passCoverageLag();
    await moveFeed(feed, 1_000_000n);
    await moveFeed(feed, 250_000n);
    const before = await balanceOf(depositor.account.address);
    await tickUntil(async () => (await timesPaid(Number(policyId))) > 0);
    expect((await balanceOf(depositor.account.address)) - before).toBe(5_000n * USD);
    expect(await timesPaid(Number(policyId))).toBe(1);
  });

  it("buyCover (viem helper) pays the premium with a permit (one transaction), or approves when asked; a replay is refused before anything is sent", async () => {
    const buyer = await newAccount(1_000n * USD);
    const plain = await listTvlProduct(await deployFeed(2_000_000n), "Integrator plain purchase");
    const quoteOf = async (to: Address, beneficiary?: Address) => {
      const res = await anonymous.v1.quotes.$post({ json: { product: plain, amount: String(1_000n * USD), duration: 30, ...(beneficiary ? { beneficiary } : { buyer: to }) } });
      if (res.status !== 201) throw new Error(`quote: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const q = await quoteOf(buyer.account.address);
    const sent = await publicClient.getTransactionCount({ address: buyer.account.address });
    const steps: string[] = [];
    const bought = await buyCover(publicClient, buyer, q, { onStep: (s) => steps.push(s) });
    expect(bought).toMatchObject({ permitted: true, approvalTxHash: null });
    expect(steps).toEqual(["checking", "permitting", "buying", "confirming"]);
    // One transaction in all; the permit was used up by the purchase (nonce 1, nothing left over).
    expect(await publicClient.getTransactionCount({ address: buyer.account.address })).toBe(sent + 1);
    expect(await publicClient.readContract({ address: stablecoin, abi: tokenAbi, functionName: "allowance", args: [buyer.account.address, market] })).toBe(0n);
    expect(bought.policyId).toBe(BigInt(q.quoteId));
    expect(await publicClient.readContract({ address: market, abi: marketAbi, functionName: "ownerOf", args: [bought.policyId] })).toBe(buyer.account.address);
    const nonce = await publicClient.getTransactionCount({ address: buyer.account.address });
    await expect(buyCover(publicClient, buyer, q)).rejects.toMatchObject({ name: "QuoteUnusableError", reason: "used" });
    expect(await publicClient.getTransactionCount({ address: buyer.account.address })).toBe(nonce);
    // A quote for a beneficiary, paid with a permit: the policy is the beneficiary's.
    const holder = privateKeyToAccount(generatePrivateKey()).address;
    const forHolder = await buyCover(publicClient, buyer, await quoteOf(buyer.account.address, holder));
    expect(forHolder.permitted).toBe(true);
    expect(await publicClient.readContract({ address: market, abi: marketAbi, functionName: "ownerOf", args: [forHolder.policyId] })).toBe(holder);
    // An approval hint that is not the quote's premium to the market (a faulty or hostile API) is
    // refused before anything is signed or sent.
    const tampered = await quoteOf(buyer.account.address);
    const before = await publicClient.getTransactionCount({ address: buyer.account.address });
    await expect(buyCover(publicClient, buyer, { ...tampered, transaction: { ...tampered.transaction, approval: { ...tampered.transaction.approval, spender: holder } } })).rejects.toThrow(/not its premium to the market/);
    await expect(buyCover(publicClient, buyer, { ...tampered, transaction: { ...tampered.transaction, approval: { ...tampered.transaction.approval, amount: "1" } } })).rejects.toThrow(/not its premium to the market/);
    expect(await publicClient.getTransactionCount({ address: buyer.account.address })).toBe(before);
    // payWith "approve": an approval transaction, then the ready calldata.
    const approved = await buyCover(publicClient, buyer, await quoteOf(buyer.account.address), { payWith: "approve" });
    expect(approved.permitted).toBe(false);
    expect(approved.approvalTxHash).not.toBeNull();
  });
});
