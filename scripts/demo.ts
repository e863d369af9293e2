/**
 * `npm run demo`: a narrated parametric payout against a running `npm start` (LOCAL ONLY: it uses
 * anvil's public development accounts 0 and 4–6 and the local admin and integrator keys that
 * `npm start` wrote to .wrangler/tripwire-local.json).
 *
 *   1. the operator lists this run's two products (fresh TVL feeds, 60 s coverage lag, no veto)
 *   2. an LP deposits into the pool
 *   3. a buyer asks for a quote over HTTP and buys, on the lending product and on the DEX product
 *   4. a depositor deposits into the covered vault and is covered in the same transaction
 *   5. cover starts after the coverage lag; the feeds post their regular heartbeat
 *   6. near miss: the DEX's TVL dips 20% — the keeper runs, nothing fires, nothing is paid
 *   7. exploit: the lending market's TVL drops 70% — the keeper fires, confirms and pays
 *   8. a timeline from the oracle move to each payout, balances before and after, the pool's state
 *
 * Exits non-zero if an expected payout does not arrive (or an unexpected one does). Every run
 * lists its own products, so it can be run again and again against the same `npm start`.
 */
import { createPublicClient, createWalletClient, formatUnits, http, type Address, type Hex } from "viem";
import { foundry } from "viem/chains";
import { tripwireApi } from "../client/api";
import { buyCover, depositWithCover } from "../client/chain";
import { localAccount } from "./lib/clients";
import { readLocalConfig } from "./lib/local";
import { readDeployment } from "./lib/network";

const cfg = (() => {
  try {
    return readLocalConfig();
  } catch (err) {
    console.error(`✘ ${(err as Error).message}`);
    process.exit(1);
  }
})();
const { abi: marketAbi } = await import("../contracts/out/CoverMarket");
const { abi: tokenAbi } = await import("../contracts/out/MockStablecoin");
const { abi: poolAbi } = await import("../contracts/out/CoverPool");
const MockV3Aggregator = await import("../contracts/out/MockV3Aggregator");
const { listedProductId, listProduct, registerProduct, sendOperation } = await import("./lib/ops");
const deployment = readDeployment(cfg.chainId);

const USD = 1_000_000n;
const E8 = 10n ** 8n;
const DAY = 86_400;
const chain = { ...foundry, id: cfg.chainId };
const transport = http(cfg.rpcUrl);
const publicClient = createPublicClient({ chain, transport, pollingInterval: 100 });
const wallet = (index: number) => createWalletClient({ chain, transport, account: localAccount(index), pollingInterval: 100 });
const operator = wallet(0);
const lp = wallet(4);
const buyer = wallet(5);
const depositor = wallet(6);
const market = cfg.contracts.CoverMarket!;
const pool = cfg.contracts.CoverPool!;
const token = cfg.contracts.Stablecoin!;
const vault = cfg.contracts.CoveredVault!;

// ─── narration ───────────────────────────────────────────────────────────────────────────────
const demoStart = Date.now();
const clock = () => `+${((Date.now() - demoStart) / 1000).toFixed(1).padStart(5)} s`;
const say = (text: string) => console.log(`${clock()}  ${text}`);
const section = (n: number, title: string) => console.log(`\n── ${n}. ${title} ${"─".repeat(Math.max(0, 72 - title.length))}`);
const usd = (v: bigint | string) => `${Number(formatUnits(BigInt(v), 6)).toLocaleString("en-US", { maximumFractionDigits: 2 })} lUSD`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
class DemoFailure extends Error {}

async function mined(hash: Hex) {
  const r = await publicClient.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new DemoFailure(`transaction reverted: ${hash}`);
  return r;
}
// The API through the typed client (client/api.ts): anonymous, as the local admin, as the integrator.
const api = tripwireApi(cfg.api);
const adminApi = tripwireApi(cfg.api, { apiKey: cfg.adminKey });
const integratorApi = tripwireApi(cfg.api, { apiKey: cfg.integratorKey });
/** The body of a 2xx answer; anything else stops the demo with the problem the API gave. */
async function ok<T>(what: string, res: Promise<{ ok: boolean; status: number; text(): Promise<string>; json(): Promise<T> }>): Promise<T> {
  const r = await res;
  if (!r.ok) throw new DemoFailure(`${what} answered ${r.status}: ${await r.text()}`);
  return r.json();
}
const poolNow = async () => (await ok("GET /v1/pools", api.v1.pools.$get())).pools[0]!;
const latestRuns = (limit: number) => ok("GET /v1/admin/keeper/runs", adminApi.v1.admin.keeper.runs.$get({ query: { limit: String(limit) } }));
const register = (txHash: Hex) => ok("POST /v1/purchases", api.v1.purchases.$post({ json: { txHash }, header: {} }));
const balance = (who: Address) => publicClient.readContract({ address: token, abi: tokenAbi, functionName: "balanceOf", args: [who] });
const faucet = async (to: Address, amount: bigint) => mined(await operator.writeContract({ address: token, abi: tokenAbi, functionName: "mint", args: [to, amount] }));

async function main() {
  try {
    await ok("GET /health", api.health.$get());
  } catch {
    throw new DemoFailure(`the Worker at ${cfg.api} does not answer: is \`npm start\` running?`);
  }
  const { runs } = await latestRuns(1);
  console.log(`Tripwire demo against ${cfg.api} (chain ${cfg.chainId} at ${cfg.rpcUrl}); the keeper runs every ${cfg.keeperIntervalSeconds} s${runs.length ? "" : " (no run recorded yet)"}.`);

  // 1 ─ products for this run
  section(1, "The operator lists this run's products");
  const run = Math.floor(Date.now() / 1000);
  const newFeed = async (dollars: bigint) => (await mined(await operator.deployContract({ abi: MockV3Aggregator.abi, bytecode: MockV3Aggregator.bytecode, args: [8, dollars * E8] }))).contractAddress!;
  const lendingFeed = await newFeed(1_200_000_000n);
  const dexFeed = await newFeed(800_000_000n);
  // Listed and registered through the operator's own code (scripts/lib/ops.ts, as `npm run ops -- list-product`).
  const list = async (protocolId: string, name: string, feed: Address) => {
    const op = listProduct(deployment, { trigger: { kind: "tvl_drop", params: { feed, dropBps: 5000, windowSeconds: DAY, maxAgeSeconds: 2 * DAY } }, capAmount: 2_000_000n * USD, coverageLagSeconds: 60, vetoWindowSeconds: 0 }, 6);
    const [receipt] = await sendOperation(publicClient, operator, op);
    const id = listedProductId(receipt!.logs);
    await registerProduct({ url: cfg.api, adminKey: cfg.adminKey }, id, { protocolId, name: `${name} (demo ${run})`, termsText: op.termsText });
    say(`product ${id}: ${name} — TVL feed ${feed}; a 50% drop within 24 h pays; cover starts 60 s after purchase; no veto window`);
    return Number(id);
  };
  const lendingProduct = await list("lendwise-v2", "Lendwise v2 lending market TVL collapse", lendingFeed);
  const dexProduct = await list("swapper-v3", "Swapper v3 DEX TVL collapse", dexFeed);

  // 2 ─ an LP deposits
  section(2, "A liquidity provider funds the pool");
  const poolBefore = await poolNow();
  await faucet(lp.account.address, 250_000n * USD);
  await mined(await lp.writeContract({ address: token, abi: tokenAbi, functionName: "approve", args: [pool, 250_000n * USD] }));
  await mined(await lp.writeContract({ address: pool, abi: poolAbi, functionName: "deposit", args: [250_000n * USD, lp.account.address] }));
  const shares = await publicClient.readContract({ address: pool, abi: poolAbi, functionName: "balanceOf", args: [lp.account.address] });
  say(`LP ${lp.account.address} deposited ${usd(250_000n * USD)} and holds ${formatUnits(shares, 12)} twLP shares`);
  say(`pool: ${usd(poolBefore.totalAssets)} → ${usd((await poolNow()).totalAssets)} of assets`);

  // 3 ─ a buyer quotes over HTTP and buys
  section(3, "A buyer asks for a quote over HTTP and buys on-chain");
  await faucet(buyer.account.address, 1_000n * USD);
  const quote = async (product: number, amount: bigint, extra: { buyer?: Address; beneficiary?: Address } = {}, client = api) => {
    const body = { product, amount: amount.toString(), duration: 30, ...extra };
    say(`POST /v1/quotes ${JSON.stringify(body)}`);
    const q = await ok("POST /v1/quotes", client.v1.quotes.$post({ json: body }));
    say(`  → quote ${q.quoteId}: premium ${usd(q.premium)}, solvency ${q.solvencyBps / 100}%, valid until ${new Date(q.expiresAt * 1000).toISOString().slice(11, 19)} UTC`);
    return q;
  };
  const q1 = await quote(lendingProduct, 10_000n * USD, { buyer: buyer.account.address });
  const bought1 = await buyCover(publicClient, buyer, q1);
  await register(bought1.txHash);
  say(`buyer ${buyer.account.address} approved the premium and bought policy ${bought1.policyId} (${usd(10_000n * USD)} of cover) in ${bought1.txHash.slice(0, 12)}…`);
  const q2 = await quote(dexProduct, 5_000n * USD, { buyer: buyer.account.address });
  const bought2 = await buyCover(publicClient, buyer, q2);
  await register(bought2.txHash);
  say(`buyer bought policy ${bought2.policyId} on the DEX product (${usd(5_000n * USD)} of cover)`);

  // 4 ─ deposit and cover in one transaction
  section(4, "A depositor deposits into a protocol's vault and is covered in the same transaction");
  await faucet(depositor.account.address, 20_500n * USD);
  const integratorBefore = await balance(cfg.integrator);
  const q3 = await quote(lendingProduct, 20_000n * USD, { beneficiary: depositor.account.address }, integratorApi);
  const covered = await depositWithCover(publicClient, depositor, { vault, assets: 20_000n * USD, quote: q3 });
  await register(covered.txHash);
  say(`depositor ${depositor.account.address}: ${usd(20_000n * USD)} into CoveredVault ${vault} and policy ${covered.policyId} (${usd(20_000n * USD)}) in one transaction ${covered.txHash.slice(0, 12)}…`);
  say(`the vault's integrator ${cfg.integrator} was paid ${usd((await balance(cfg.integrator)) - integratorBefore)} of that premium at purchase`);

  // 5 ─ cover starts
  section(5, "Cover starts after the coverage lag (no buying into a loss already under way)");
  // Terms start on the market's grid (a minute on the local chain), at least the lag after purchase.
  const starts = await Promise.all([bought1.policyId, bought2.policyId, covered.policyId].map((id) =>
    publicClient.readContract({ address: market, abi: marketAbi, functionName: "policy", args: [BigInt(id)] })));
  const coverStarts = starts.reduce((a, p) => (BigInt(p.start) > a ? BigInt(p.start) : a), 0n);
  for (;;) {
    const now = (await publicClient.getBlock({ blockTag: "latest" })).timestamp;
    const left = Number(coverStarts + 1n - BigInt(Math.max(Number(now), Math.floor(Date.now() / 1000))));
    if (left <= 0) break;
    if (process.stdout.isTTY) process.stdout.write(`\r${clock()}  waiting for the cover to start: ${left} s `);
    else if (left % 15 === 0 || left > 60) say(`waiting for the cover to start: ${left} s`);
    await sleep(1000);
  }
  if (process.stdout.isTTY) process.stdout.write("\n");
  const heartbeat = async (feed: Address, dollars: bigint) => mined(await operator.writeContract({ address: feed, abi: MockV3Aggregator.abi, functionName: "updateAnswer", args: [dollars * E8] }));
  await heartbeat(lendingFeed, 1_200_000_000n);
  await heartbeat(dexFeed, 800_000_000n);
  say("cover is in force; both TVL feeds posted their regular heartbeat round (unchanged)");

  const before = { buyer: await balance(buyer.account.address), depositor: await balance(depositor.account.address) };
  const incidentsOf = async (product: number) =>
    publicClient.getContractEvents({ address: market, abi: marketAbi, eventName: "IncidentOpened", args: { productId: BigInt(product) }, fromBlock: 0n });

  // 6 ─ near miss
  section(6, "Near miss: the DEX's TVL dips 20% (the trigger needs 50%)");
  await heartbeat(dexFeed, 640_000_000n);
  say("DEX TVL feed: $800M → $640M");
  const runsBefore = (await latestRuns(1)).runs[0]?.scheduledAt ?? 0;
  for (let i = 0; i < 60; i++) {
    const { runs: latest } = await latestRuns(3);
    if (latest.filter((r) => r.scheduledAt > runsBefore && r.status === "done").length >= 2) break;
    await sleep(500);
  }
  if ((await incidentsOf(dexProduct)).length !== 0) throw new DemoFailure("the 20% dip opened an incident");
  if ((await balance(buyer.account.address)) !== before.buyer) throw new DemoFailure("the 20% dip paid something");
  say("the keeper ran twice since: no incident, nothing paid — the condition was not met");

  // 7 ─ exploit
  section(7, "Exploit: the lending market's TVL drops 70%");
  const tripped = await heartbeat(lendingFeed, 360_000_000n);
  const t0 = Date.now();
  say(`lending TVL feed: $1.2B → $360M in block ${tripped.blockNumber}`);
  const expected = new Map<bigint, Address>([[bought1.policyId, buyer.account.address], [covered.policyId, depositor.account.address]]);
  const timeline: { at: number; what: string }[] = [{ at: t0, what: `oracle round: lending TVL −70% (block ${tripped.blockNumber})` }];
  const seen = new Set<string>();
  let incidentId: bigint | undefined;
  const paid = new Map<bigint, bigint>();
  const deadline = t0 + (4 * cfg.keeperIntervalSeconds + 60) * 1000;
  while (paid.size < expected.size) {
    if (Date.now() > deadline) break;
    const logs = await publicClient.getContractEvents({ address: market, abi: marketAbi, fromBlock: tripped.blockNumber });
    for (const e of logs) {
      const key = `${e.transactionHash}:${e.logIndex}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (e.eventName === "IncidentOpened" && Number(e.args.productId) === lendingProduct) {
        incidentId = e.args.incidentId;
        timeline.push({ at: Date.now(), what: `keeper fired incident ${incidentId} with the oracle's rounds as proof (liability ${usd(e.args.liability!)})` });
      } else if (e.eventName === "IncidentConfirmed" && e.args.incidentId === incidentId) {
        timeline.push({ at: Date.now(), what: `incident ${incidentId} confirmed (no veto window); reserve ${usd(e.args.reserve!)}` });
      } else if (e.eventName === "PoliciesSettled" && e.args.incidentId === incidentId) {
        e.args.policyIds!.forEach((id, k) => {
          paid.set(id, e.args.amounts![k]!);
          timeline.push({ at: Date.now(), what: `policy ${id} paid ${usd(e.args.amounts![k]!)} to ${e.args.recipients![k]}` });
        });
      }
    }
    await sleep(100);
  }

  // 8 ─ results
  section(8, "Timeline, balances, pool");
  for (const t of timeline) console.log(`  +${((t.at - t0) / 1000).toFixed(1).padStart(5)} s  ${t.what}`);
  const after = { buyer: await balance(buyer.account.address), depositor: await balance(depositor.account.address) };
  console.log(`\n  buyer      ${buyer.account.address}: ${usd(before.buyer)} → ${usd(after.buyer)} (policy ${bought1.policyId}: ${usd(10_000n * USD)} covered)`);
  console.log(`  depositor  ${depositor.account.address}: ${usd(before.depositor)} → ${usd(after.depositor)} (policy ${covered.policyId}: ${usd(20_000n * USD)} covered; vault shares kept)`);
  const poolAfter = await poolNow();
  console.log(`  pool: total assets ${usd(String(poolAfter.totalAssets))}, active cover ${usd(String(poolAfter.activeCover))}, pending liability ${usd(String(poolAfter.pendingLiability))}, utilisation ${Number(poolAfter.utilisationBps) / 100}%`);

  const missing = [...expected.keys()].filter((id) => !paid.has(id));
  if (missing.length) throw new DemoFailure(`no payout for policies ${missing.join(", ")} within ${(deadline - t0) / 1000} s of the oracle move`);
  if (paid.get(bought1.policyId) !== 10_000n * USD || after.buyer - before.buyer !== 10_000n * USD) throw new DemoFailure("the buyer was not paid the cover amount");
  if (paid.get(covered.policyId) !== 20_000n * USD || after.depositor - before.depositor !== 20_000n * USD) throw new DemoFailure("the depositor was not paid the cover amount");
  if ((await incidentsOf(dexProduct)).length !== 0) throw new DemoFailure("the near miss fired after all");
  const lastPay = timeline[timeline.length - 1]!.at;
  console.log(`\n✔ paid in full ${((lastPay - t0) / 1000).toFixed(1)} s after the oracle moved (keeper every ${cfg.keeperIntervalSeconds} s); the 20% dip paid nothing.`);
  console.log(`  Look closer: ${cfg.api}/v1/incidents?product=${lendingProduct} · ${cfg.api}/v1/policies/${covered.policyId} (indexed at the keeper's next run)`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`\n✘ demo failed: ${err instanceof Error ? err.message : String(err)}`);
    if (!(err instanceof DemoFailure) && err instanceof Error && err.stack) console.error(err.stack);
    process.exit(1);
  },
);
