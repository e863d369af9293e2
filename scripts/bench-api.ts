/**
 * API benchmark: the Worker in-process (wrangler's startWorker → miniflare), local D1 seeded with
 * 200 products registered from a local chain, quotes and health measured in the same run.
 * Writes bench-results/api.json and prints the same as a table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { getContract, keccak256, toHex } from "viem";
import { buildContracts } from "../contracts/build";
import { encodeTvlDropParams } from "../workers/triggers/tvlDrop";
import { startAnvil } from "./lib/anvil";
import { startBenchWorker } from "./lib/benchWorker";
import { localAccount, localClients } from "./lib/clients";

const PRODUCTS = 200;
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 400);
const CONCURRENCY = 8;
const USD = 1_000_000n;

buildContracts({ quiet: true });
const { deploy, deployCore, send, triggerContracts } = await import("./lib/deploy");
const MockV3Aggregator = await import("../contracts/out/MockV3Aggregator");
const anvil = await startAnvil([], { fixedGenesis: false });
let bench: Awaited<ReturnType<typeof startBenchWorker>> | undefined;
try {
  const clients = localClients(anvil.rpcUrl);
  const owner = clients.wallet(localAccount(0));
  const lp = clients.wallet(localAccount(3));
  const core = await deployCore(clients, { owner, quoteSigner: localAccount(1).address, guardian: owner.account!.address, pauser: owner.account!.address, leverageBps: 20_000 });
  const feed = (await deploy(clients, owner, MockV3Aggregator, [8, 10n ** 17n])).address;
  const params = encodeTvlDropParams({ feed, dropBps: 5000, windowSeconds: 86_400, maxAgeSeconds: 30 * 86_400 });
  const terms = (i: number) => `Bench product ${i}: pays if the TVL feed falls by 50% within 24 hours.`;
  process.stdout.write(`listing ${PRODUCTS} products on-chain… `);
  for (let i = 1; i <= PRODUCTS; i++) {
    await send(clients, core.market.write.listProduct([{ trigger: core.tvlDrop.address, params, termsHash: keccak256(toHex(terms(i))), capAmount: 1_000_000n * USD, coverageLagSeconds: 3600, vetoWindowSeconds: 0 }]));
  }
  await send(clients, core.asset.write.mint([lp.account!.address, 10_000_000n * USD]));
  await send(clients, getContract({ address: core.asset.address, abi: core.asset.abi, client: { public: clients.publicClient, wallet: lp } }).write.approve([core.pool.address, 10_000_000n * USD]));
  await send(clients, getContract({ address: core.pool.address, abi: core.pool.abi, client: { public: clients.publicClient, wallet: lp } }).write.deposit([10_000_000n * USD, lp.account!.address]));
  console.log("done");

  const chainId = await clients.publicClient.getChainId();
  const contracts = { CoverMarket: core.market.address, CoverPool: core.pool.address, Stablecoin: core.asset.address, Multicall3: core.multicall.address, ...triggerContracts(core) };
  bench = await startBenchWorker({ rpcUrl: anvil.rpcUrl, chainId, contracts, deployedBlock: 0n });
  const { call, admin } = bench;
  const put = (path: string, body: unknown) => admin("PUT", path, body);
  await bench.registerBenchProtocol();
  process.stdout.write(`registering ${PRODUCTS} products in D1 through the admin API… `);
  for (let i = 1; i <= PRODUCTS; i++) await put(`/v1/admin/products/${i}`, { protocolId: "bench-lending", name: `Bench ${i}`, termsText: terms(i) });
  console.log("done");

  type Sample = { ms: number; d1?: { queries: number; writes: number; rows: number } };
  const timing = (res: Response) => {
    const m = /d1;desc="queries=(\d+) writes=(\d+) rows=(\d+)"/.exec(res.headers.get("server-timing") ?? "");
    return m ? { queries: Number(m[1]), writes: Number(m[2]), rows: Number(m[3]) } : undefined;
  };
  let clients_ = 0;
  const clientIp = (_i: number) => `10.${(++clients_ >> 16) & 255}.${(clients_ >> 8) & 255}.${clients_ & 255}`;
  const quoteBody = (i: number) => JSON.stringify({ product: 1 + (i % PRODUCTS), amount: String(1_000n * USD), duration: 30 });
  const requests = {
    // Anonymous quotes are rate-limited per client address (120 a minute): the benchmark is many
    // buyers, one request each, as production traffic is, so the limiter is checked but never trips.
    quote: (i: number) => call("/v1/quotes", { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": clientIp(i) }, body: quoteBody(i) }),
    health: () => call("/health"),
  };
  const run = async (name: keyof typeof requests) => {
    for (let i = 0; i < 20; i++) await (await requests[name](i)).text(); // warm-up
    const samples: Sample[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t = performance.now();
      const res = await requests[name](i);
      const ok = res.status < 300;
      await res.text();
      if (!ok) throw new Error(`${name} answered ${res.status}`);
      samples.push({ ms: performance.now() - t, d1: timing(res) });
    }
    // Throughput: CONCURRENCY requests in flight at a time.
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < SAMPLES) {
        const i = next++;
        await (await requests[name](i)).text();
      }
    }));
    const rps = SAMPLES / ((performance.now() - t0) / 1000);
    const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
    return { p50_ms: +pct(50).toFixed(2), p99_ms: +pct(99).toFixed(2), rps: +rps.toFixed(1), samples };
  };
  const quote = await run("quote");
  const health = await run("health");
  const d1 = quote.samples.map((s) => s.d1!);
  const avg = (f: (x: { queries: number; writes: number; rows: number }) => number) => +(d1.reduce((a, x) => a + f(x), 0) / d1.length).toFixed(2);
  const result = {
    quote: { p50_ms: quote.p50_ms, p99_ms: quote.p99_ms, rps: quote.rps },
    health: { p50_ms: health.p50_ms, p99_ms: health.p99_ms, rps: health.rps },
    quoteToHealthP50: +(quote.p50_ms / health.p50_ms).toFixed(2),
    d1QueriesPerQuote: avg((x) => x.queries),
    d1RowsReadPerQuote: avg((x) => x.rows),
    d1WritesBeforeResponse: Math.max(...d1.map((x) => x.writes)),
  };
  mkdirSync("bench-results", { recursive: true });
  writeFileSync("bench-results/api.json", JSON.stringify(result, null, 2) + "\n");
  const rows: [string, string, string][] = [
    ["quote p50 / p99 (ms)", `${result.quote.p50_ms} / ${result.quote.p99_ms}`, ""],
    ["quote rps", String(result.quote.rps), `${CONCURRENCY} in flight`],
    ["health p50 / p99 (ms)", `${result.health.p50_ms} / ${result.health.p99_ms}`, "D1 select 1 + RPC head"],
    ["health rps", String(result.health.rps), `${CONCURRENCY} in flight`],
    ["quote p50 ÷ health p50", String(result.quoteToHealthP50), "target ≤ 3"],
    ["D1 queries per quote", String(result.d1QueriesPerQuote), "target ≤ 3"],
    ["D1 rows per quote", String(result.d1RowsReadPerQuote), "rows read (meta) or returned"],
    ["D1 writes before response", String(result.d1WritesBeforeResponse), "target 0"],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(14)}  ${c}`);
  console.log(`(${SAMPLES} sequential samples each, ${PRODUCTS} products) wrote bench-results/api.json`);
} finally {
  await bench?.dispose();
  await anvil.stop();
}
