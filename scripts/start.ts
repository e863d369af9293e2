/**
 * `npm start`: the whole platform on this machine, embedded defaults only.
 *   1. builds the contracts, 2. starts anvil on loopback, 3. deploys the contracts, sample
 *   protocols and products, the covered-vault example, funds the pool from an LP account,
 *   4. applies the D1 migrations to a fresh local database, 5. writes .dev.vars (git-ignored),
 *   6. starts `wrangler dev`, registers the catalog and an integrator, and drives the cron.
 *
 * Every run starts from scratch: a fresh chain and fresh local Worker state (`.wrangler/state`).
 * Ctrl-C (or SIGTERM, or the parent going away) stops every process it started, by their ids;
 * a run that was killed outright leaves its ids in `.wrangler/tripwire-start.json`, and the next
 * run stops those first.
 *
 * Environment: ANVIL_PORT (8545), WORKER_PORT (8787), KEEPER_INTERVAL_SECONDS (10),
 * TRIPWIRE_STATE_DIR (.wrangler: the Worker's local state, the pid file, the local config; any
 * other directory also gets its own dev vars and deployment record, so a second instance can run
 * beside the first on other ports).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { getContract } from "viem";
import { buildContracts } from "../contracts/build";
import { buildApp } from "./lib/app";
import { startAnvil, type Anvil } from "./lib/anvil";
import { LOCAL_DEV_MNEMONIC, localAccount, localClients, localKey } from "./lib/clients";
import { join } from "node:path";
import { LOCAL_CONFIG_PATH, STATE_DIR, type LocalConfig } from "./lib/local";
import { addressesOf, deploymentSql, loadNetwork, writeDeployment } from "./lib/network";
import { tripwireApi } from "../client/api";
import { hashApiKey, newApiKey } from "../workers/keys";

const anvilPort = Number(process.env.ANVIL_PORT ?? 8545);
const workerPort = Number(process.env.WORKER_PORT ?? 8787);
const keeperEvery = Number(process.env.KEEPER_INTERVAL_SECONDS ?? 10);
const USD = 1_000_000n;
const PID_FILE = join(STATE_DIR, "tripwire-start.json");
const PERSIST = join(STATE_DIR, "state");
const ownDir = STATE_DIR !== ".wrangler";
/** The Worker's local variables: `.dev.vars` for the default instance, the state directory's own for another. */
const DEV_VARS = ownDir ? join(STATE_DIR, "dev.vars") : ".dev.vars";
/** wrangler and miniflare without network: no metrics, no `Request.cf` download (a placeholder is used). */
const offline = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const t0 = Date.now();
const step = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
  const started = Date.now();
  process.stdout.write(`▸ ${name} … `);
  const out = await fn();
  console.log(`done in ${Date.now() - started} ms`);
  return out;
};

// ─── processes: started in their own process groups, stopped by id ───────────────────────
const children: ChildProcess[] = [];
let anvil: Anvil | undefined;
const pids = () => [anvil?.pid, ...children.map((c) => c.pid)].filter((p): p is number => typeof p === "number");
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Signals a child's whole process group (wrangler → workerd), or the process alone. */
const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
};
const recordPids = () => {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(PID_FILE, JSON.stringify({ startedBy: process.pid, pids: pids() }) + "\n");
};

let stopping = false;
async function stopAll(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping anvil and the Worker…");
  const mine = pids();
  for (const pid of mine) signal(pid, "SIGTERM");
  for (let i = 0; i < 50 && mine.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  for (const pid of mine.filter(alive)) signal(pid, "SIGKILL");
  rmSync(PID_FILE, { force: true });
  rmSync(LOCAL_CONFIG_PATH, { force: true });
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));
process.on("SIGHUP", () => void stopAll(0));
// Whatever else ends this process (an error during setup), its children go with it.
process.on("exit", () => {
  for (const pid of pids()) signal(pid, "SIGKILL");
});
// npm does not pass SIGTERM on to its script (npm → sh → tsx → this): when any process between
// this one and the npm that started it goes away, stop too. Linux /proc; elsewhere the parent only.
/** The processes from this one's parent up to the npm that ran it; the parent alone without npm or /proc. */
function ancestorsUpToNpm(): number[] {
  const chain: number[] = [];
  for (let pid = process.ppid; pid > 1 && chain.length < 4; ) {
    chain.push(pid);
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("npm")) return chain;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      break;
    }
  }
  return [process.ppid];
}
const ancestors = ancestorsUpToNpm();
setInterval(() => {
  if (ancestors.some((pid) => !alive(pid))) void stopAll(0);
}, 1000).unref();

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

await step("stop what an earlier run left behind, check the ports", async () => {
  if (existsSync(PID_FILE)) {
    const { pids: old } = JSON.parse(readFileSync(PID_FILE, "utf8")) as { pids: number[] };
    for (const pid of old.filter(alive)) signal(pid, "SIGTERM");
    for (let i = 0; i < 50 && old.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    for (const pid of old.filter(alive)) signal(pid, "SIGKILL");
    rmSync(PID_FILE, { force: true });
  }
  for (const [port, name] of [[anvilPort, "ANVIL_PORT"], [workerPort, "WORKER_PORT"]] as const) {
    if (!(await portFree(port))) throw new Error(`127.0.0.1:${port} is in use by another program; stop it or set ${name}`);
  }
});
await step("build contracts (solc-js)", () => buildContracts({ quiet: true }));
await step("build the app (Vite, into app/dist: the Worker serves it at /)", () => buildApp({ quiet: true }));
// The deploy helpers import the generated ABI modules, which exist only after the build.
const { deploy, send } = await import("./lib/deploy");
const { deployNetwork, failedChecks, verifyDeployment } = await import("./lib/release");
const { listedProductId, listProduct, registerProduct, sendOperation } = await import("./lib/ops");
const MockStablecoin = await import("../contracts/out/MockStablecoin");
const { sampleProtocols, seedSampleProducts } = await import("./lib/sample");
const CoveredVault = await import("../contracts/out/CoveredVault");
const SampleLendingMarket = await import("../contracts/out/SampleLendingMarket");
anvil = await step(`start anvil on 127.0.0.1:${anvilPort}`, () => startAnvil([], { port: anvilPort, fixedGenesis: false, detached: true }));
recordPids();
const clients = localClients(anvil.rpcUrl);
const [owner, signer, guardian, lp] = [0, 1, 2, 3].map((i) => clients.wallet(localAccount(i)));
const integrator = localAccount(9).address;
// The embedded chain is deployed by `npm run deploy`'s own sequence, from deploy/local.json (its
// roles are anvil's development accounts 0–2; its term grid is one minute, not production's hour:
// the local chain runs on wall-clock time, so `npm run demo` shows a payout seconds after cover
// starts instead of at the next full hour).
const { core, record } = await step("deploy pool, market, triggers, keeper and Multicall3 from deploy/local.json, read them back", async () => {
  const cfg = { ...loadNetwork("local"), rpcUrl: anvil!.rpcUrl };
  delete process.env[cfg.rpcUrlEnv];
  const asset = await deploy(clients, owner!, MockStablecoin, [cfg.asset.decimals]);
  if (asset.address !== cfg.asset.address) throw new Error(`the local stablecoin landed at ${asset.address}, deploy/local.json says ${cfg.asset.address}`);
  const { record, core } = await deployNetwork(cfg, clients, owner!, { dryRun: false });
  const verified = await verifyDeployment(clients, record, cfg);
  if (!verified.ok) throw new Error(`the local deployment does not verify: ${failedChecks(verified.checks)}`);
  writeDeployment(record, ownDir ? join(STATE_DIR, `deployment-${record.chainId}.json`) : undefined);
  return { core, record };
});
const sample = await step("deploy sample protocols and feeds, list products", () => seedSampleProducts(clients, owner!, core));
const example = await step("deploy the covered-vault example (CoveredVault over SampleLendingMarket), set its integrator's fee", async () => {
  const lending = (await deploy(clients, owner!, SampleLendingMarket, [core.asset.address, owner!.account!.address])).address;
  const vault = (await deploy(clients, owner!, CoveredVault, [lending, core.market.address, core.asset.address, "Covered Lendwise USD", "cvlUSD"])).address;
  await send(clients, core.market.write.setIntegratorFee([integrator, 1_000]));
  return { lending, vault };
});
// The covered vault's own risk: its lending market's share price (the supply shares' backing),
// listed through the operator's code like the sample catalog.
const vaultProduct = await step("list the lending market's share-price product (10% below its peak for 1 hour)", async () => {
  const name = "Lendwise supply share price";
  const op = listProduct(record, { trigger: { kind: "share_price", params: { vault: example.lending, dropBps: 1_000, durationSeconds: 3_600, maxGapSeconds: 600, maxGrowthBpsPerYear: 5_000 } }, capAmount: 1_000_000n * USD, coverageLagSeconds: 3_600, vetoWindowSeconds: 0 }, 6);
  const [receipt] = await sendOperation(clients.publicClient, owner!, op);
  return { productId: listedProductId(receipt!.logs), name, terms: op.termsText };
});
await step("fund the pool from the LP account (5,000,000 lUSD)", async () => {
  await send(clients, core.asset.write.mint([lp!.account!.address, 5_000_000n * USD]));
  const asLp = { public: clients.publicClient, wallet: lp! };
  await send(clients, getContract({ address: core.asset.address, abi: core.asset.abi, client: asLp }).write.approve([core.pool.address, 5_000_000n * USD]));
  await send(clients, getContract({ address: core.pool.address, abi: core.pool.abi, client: asLp }).write.deposit([5_000_000n * USD, lp!.account!.address]));
});
/** The project's own wrangler (pinned in package.json), without npx in between. */
const WRANGLER = "node_modules/.bin/wrangler";
const wranglerRun = (args: string[]) => {
  const r = spawnSync(WRANGLER, args, { stdio: "pipe", env: { ...offline, CI: "true" } });
  if (r.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
};
// The chain is new, so is the Worker's local state: D1, Durable Objects and queues start empty.
await step("apply D1 migrations to a fresh local database", () => {
  rmSync(PERSIST, { recursive: true, force: true });
  wranglerRun(["d1", "migrations", "apply", "DB", "--local", "--persist-to", PERSIST]);
});
const chainId = await clients.publicClient.getChainId();
const adminKey = newApiKey();
const { CoverBook: _library, ...contracts } = addressesOf(record);
await step("record the deployment (deployments/31337.json) and a local admin API key in D1", async () => {
  const sql = [
    deploymentSql(record, { at: Math.floor(Date.now() / 1000) }),
    `INSERT INTO api_keys (key_hash, prefix, name, scopes) VALUES ('${await hashApiKey(adminKey)}', '${adminKey.slice(0, 10)}', 'local admin (npm start)', 'admin');`,
  ].join("\n");
  writeFileSync(join(STATE_DIR, "seed.sql"), sql);
  wranglerRun(["d1", "execute", "DB", "--local", "--persist-to", PERSIST, "--file", join(STATE_DIR, "seed.sql")]);
});
await step(`write ${DEV_VARS} (local-only values)`, () => {
  writeFileSync(
    DEV_VARS,
    [
      "# Written by `npm start`. LOCAL ONLY: anvil's public development keys and local addresses.",
      `RPC_URL=http://127.0.0.1:${anvilPort}`,
      "# the app in the browser reads the local chain here when no wallet is connected",
      `BROWSER_RPC_URL=http://127.0.0.1:${anvilPort}`,
      `CHAIN_ID=${chainId}`,
      "# anvil account 1 (public development key): the local quote signer",
      `QUOTE_SIGNER_KEY=${localKey(1)}`,
      "# anvil account 7 (public development key): the local relayer for relayed purchases",
      `RELAYER_KEY=${localKey(7)}`,
      "# anvil account 8 (public development key): the local keeper (observe, fire, confirm, settle)",
      `KEEPER_KEY=${localKey(8)}`,
      "",
    ].join("\n"),
  );
});
// --test-scheduled exposes /__scheduled, which this script calls on a short interval: the cron,
// driven locally (wrangler dev does not fire crons by itself).
// --log-level warn: the Worker's warnings and errors (a failed keeper run) show, request lines do not.
const wrangler = spawn(WRANGLER, ["dev", "--ip", "127.0.0.1", "--port", String(workerPort), "--test-scheduled", "--persist-to", PERSIST, ...(ownDir ? ["--env-file", DEV_VARS] : []), "--log-level", process.env.WRANGLER_LOG ?? "warn"], {
  stdio: ["ignore", "inherit", "inherit"],
  env: offline,
  detached: true,
});
children.push(wrangler);
recordPids();
wrangler.on("exit", (code) => void stopAll(code ?? 1));

const api = `http://127.0.0.1:${workerPort}`;
const adminApi = tripwireApi(api, { apiKey: adminKey });
await step("wait for the Worker, then register the sample catalog through the admin API", async () => {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${api}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 600) throw new Error("wrangler dev did not answer /health within 60 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const p of sampleProtocols(Math.floor(Date.now() / 1000))) {
    const res = await adminApi.v1.admin.protocols[":id"].$put({ param: { id: p.id }, json: { ...p.body, chains: [...p.body.chains], dependsOn: [...p.body.dependsOn] } });
    if (!res.ok) throw new Error(`PUT /v1/admin/protocols/${p.id}: ${res.status} ${await res.text()}`);
    for (const id of p.products) {
      const product = sample.products.find((x) => Number(x.productId) === id)!;
      await registerProduct({ url: api, adminKey }, product.productId, { protocolId: p.id, name: product.name, termsText: product.terms });
    }
  }
  await registerProduct({ url: api, adminKey }, vaultProduct.productId, { protocolId: "lendwise-v2", name: vaultProduct.name, termsText: vaultProduct.terms });
});
const integratorKey = await step("issue the vault's integrator API key (10% fee, paid to anvil index 9)", async () => {
  const res = await adminApi.v1.admin["api-keys"].$post({ json: { name: "Lendwise covered vault (local)", scopes: ["integrator"], integrator } });
  if (!res.ok) throw new Error(`POST /v1/admin/api-keys: ${res.status} ${await res.text()}`);
  return (await res.json()).key;
});

const keeperTimer = setInterval(() => {
  fetch(`${api}/__scheduled`).catch(() => undefined); // a failed run is recorded by the Worker
}, keeperEvery * 1000);
keeperTimer.unref();

const local: LocalConfig = {
  api,
  rpcUrl: anvil.rpcUrl,
  chainId,
  keeperIntervalSeconds: keeperEvery,
  adminKey,
  integratorKey,
  integrator,
  contracts: { ...contracts, CoveredVault: example.vault, SampleLendingMarket: example.lending },
  protocols: Object.fromEntries(sampleProtocols(0).map((p) => [p.id, p.body.name])),
  products: [...sample.products, vaultProduct].map((p) => ({ id: Number(p.productId), name: p.name })),
  startedAt: Math.floor(Date.now() / 1000),
};
writeFileSync(LOCAL_CONFIG_PATH, JSON.stringify(local, null, 2) + "\n");

const line = (k: string, v: string) => console.log(`  ${k.padEnd(24)} ${v}`);
console.log(`\nTripwire is running (setup took ${((Date.now() - t0) / 1000).toFixed(1)} s):`);
line("API", `${api}/v1/products · POST ${api}/v1/quotes`);
line("docs", `${api}/docs (OpenAPI: ${api}/openapi.json)`);
line("admin API key", `${adminKey} (local only, new each start)`);
line("integrator API key", `${integratorKey} (the vault's; local only)`);
line("chain RPC", `${anvil.rpcUrl} (chain id ${chainId})`);
for (const [name, address] of Object.entries(local.contracts)) line(name, address);
line("keeper (cron)", `every ${keeperEvery} s (KEEPER_INTERVAL_SECONDS), key: anvil index 8`);
for (const p of [...sample.products, vaultProduct]) line(`product ${p.productId}`, p.name);
console.log("\n  LOCAL ONLY accounts (anvil's public development mnemonic, worthless anywhere else):");
console.log(`  mnemonic: "${LOCAL_DEV_MNEMONIC}"`);
line("owner / deployer", `${owner!.account!.address} (index 0)`);
line("quote signer", `${signer!.account!.address} (index 1)`);
line("guardian", `${guardian!.account!.address} (index 2)`);
line("LP (5,000,000 lUSD in)", `${lp!.account!.address} (index 3)`);
line("demo LP, buyer, depositor", `indexes 4, 5, 6 (npm run demo)`);
line("relayer", `${localAccount(7).address} (index 7)`);
line("keeper", `${localAccount(8).address} (index 8)`);
line("vault's integrator", `${integrator} (index 9)`);
console.log(`\n  Everything above is also in ${LOCAL_CONFIG_PATH} (read by npm run demo).`);
console.log(`  Try: npm run demo    ·    Ctrl-C stops anvil and the Worker (pids ${pids().join(", ")}).\n`);
