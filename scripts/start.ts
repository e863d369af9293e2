/**
 * `npm start`: the whole platform on this machine, embedded defaults only.
 *   1. builds the contracts, 2. starts anvil on loopback, 3. deploys the contracts, sample
 *   protocols and products, funds the pool from an LP account, 4. applies the D1 migrations
 *   locally, 5. writes .dev.vars (git-ignored), 6. starts `wrangler dev`.
 * Ctrl-C stops every process it started. Re-running starts from a fresh chain and keeps local D1.
 *
 * Environment: ANVIL_PORT (8545), WORKER_PORT (8787).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { getContract, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { buildContracts } from "../contracts/build";
import { startAnvil } from "./lib/anvil";
import { LOCAL_DEV_MNEMONIC, localAccount, localClients } from "./lib/clients";
import { hashApiKey, newApiKey } from "../workers/keys";

const anvilPort = Number(process.env.ANVIL_PORT ?? 8545);
const workerPort = Number(process.env.WORKER_PORT ?? 8787);
const USD = 1_000_000n;
const children: ChildProcess[] = [];
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

let stopping = false;
async function stopAll(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping…");
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await anvil?.stop();
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

await step("build contracts (solc-js)", () => buildContracts({ quiet: true }));
// The deploy helpers import the generated ABI modules, which exist only after the build.
const { deployCore, send } = await import("./lib/deploy");
const { sampleProtocols, seedSampleProducts } = await import("./lib/sample");
const anvil = await step(`start anvil on 127.0.0.1:${anvilPort}`, () => startAnvil([], { port: anvilPort, fixedGenesis: false }));
const clients = localClients(anvil.rpcUrl);
const [owner, signer, guardian, lp] = [0, 1, 2, 3].map((i) => clients.wallet(localAccount(i)));
const core = await step("deploy pool, market, triggers, keeper and local stablecoin", () =>
  deployCore(clients, { owner: owner!, quoteSigner: signer!.account!.address, guardian: guardian!.account!.address, pauser: owner!.account!.address, leverageBps: 20_000, cooldownSeconds: 3 * 86_400 }),
);
const sample = await step("deploy sample protocols and feeds, list products", () => seedSampleProducts(clients, owner!, core));
await step("fund the pool from the LP account (5,000,000 lUSD)", async () => {
  await send(clients, core.asset.write.mint([lp!.account!.address, 5_000_000n * USD]));
  const asLp = { public: clients.publicClient, wallet: lp! };
  await send(clients, getContract({ address: core.asset.address, abi: core.asset.abi, client: asLp }).write.approve([core.pool.address, 5_000_000n * USD]));
  await send(clients, getContract({ address: core.pool.address, abi: core.pool.abi, client: asLp }).write.deposit([5_000_000n * USD, lp!.account!.address]));
});
const wranglerRun = (args: string[]) => {
  const r = spawnSync("npx", ["wrangler", ...args], { stdio: "pipe", env: { ...offline, CI: "true" } });
  if (r.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
};
await step("apply D1 migrations locally", () => wranglerRun(["d1", "migrations", "apply", "DB", "--local"]));
const chainId = await clients.publicClient.getChainId();
const adminKey = newApiKey();
await step("record the deployment and a local admin API key in D1", async () => {
  const contracts: Record<string, string> = {
    CoverMarket: core.market.address, CoverPool: core.pool.address, Stablecoin: core.asset.address, TripwireKeeper: core.keeper.address,
    TvlDropTrigger: core.tvlDrop.address, DepegTrigger: core.depeg.address, PausedTrigger: core.paused.address, AllOfTrigger: core.allOf.address,
    Multicall3: core.multicall.address,
  };
  const block = await clients.publicClient.getBlockNumber();
  const at = Math.floor(Date.now() / 1000);
  const sql = [
    `DELETE FROM deployments WHERE chain_id = ${chainId};`,
    ...Object.entries(contracts).map(([name, a]) => `INSERT INTO deployments VALUES (${chainId}, '${name}', '${a}', ${block}, ${at});`),
    `DELETE FROM products WHERE chain_id = ${chainId};`,
    `INSERT INTO api_keys (key_hash, prefix, name, scopes) VALUES ('${await hashApiKey(adminKey)}', '${adminKey.slice(0, 10)}', 'local admin (npm start)', 'admin');`,
  ].join("\n");
  mkdirSync(".wrangler", { recursive: true });
  writeFileSync(".wrangler/seed.sql", sql);
  wranglerRun(["d1", "execute", "DB", "--local", "--file", ".wrangler/seed.sql"]);
});
await step("write .dev.vars (local-only values)", () => {
  writeFileSync(
    ".dev.vars",
    [
      "# Written by `npm start`. LOCAL ONLY: anvil's public development keys and local addresses.",
      `RPC_URL=http://127.0.0.1:${anvilPort}`,
      `CHAIN_ID=${chainId}`,
      `MARKET_ADDRESS=${core.market.address}`,
      `POOL_ADDRESS=${core.pool.address}`,
      `ASSET_ADDRESS=${core.asset.address}`,
      `KEEPER_CONTRACT_ADDRESS=${core.keeper.address}`,
      "# anvil account 1 (public development key): the local quote signer",
      `QUOTE_SIGNER_KEY=${toHex(mnemonicToAccount(LOCAL_DEV_MNEMONIC, { addressIndex: 1 }).getHdKey().privateKey!)}`,
      "# anvil account 7 (public development key): the local relayer for relayed purchases",
      `RELAYER_KEY=${toHex(mnemonicToAccount(LOCAL_DEV_MNEMONIC, { addressIndex: 7 }).getHdKey().privateKey!)}`,
      "# anvil account 8 (public development key): the local keeper (observe, fire, confirm, settle)",
      `KEEPER_KEY=${toHex(mnemonicToAccount(LOCAL_DEV_MNEMONIC, { addressIndex: 8 }).getHdKey().privateKey!)}`,
      "",
    ].join("\n"),
  );
});
// --test-scheduled exposes /__scheduled, which this script calls on a short interval: the cron,
// driven locally (wrangler dev does not fire crons by itself).
const wrangler = spawn("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(workerPort), "--test-scheduled"], {
  stdio: ["ignore", "inherit", "inherit"],
  env: offline,
});
children.push(wrangler);
wrangler.on("exit", (code) => void stopAll(code ?? 1));

const api = `http://127.0.0.1:${workerPort}`;
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
  const put = async (path: string, body: unknown) => {
    const res = await fetch(`${api}${path}`, { method: "PUT", headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
  };
  for (const p of sampleProtocols(Math.floor(Date.now() / 1000))) {
    await put(`/v1/admin/protocols/${p.id}`, p.body);
    for (const id of p.products) {
      const product = sample.products.find((x) => Number(x.productId) === id)!;
      await put(`/v1/admin/products/${id}`, { protocolId: p.id, name: product.name, termsText: product.terms });
    }
  }
});

const keeperEvery = Number(process.env.KEEPER_INTERVAL_SECONDS ?? 10);
const keeperTimer = setInterval(() => {
  fetch(`${api}/__scheduled?time=${Date.now()}`).catch(() => undefined); // a failed run is recorded by the Worker
}, keeperEvery * 1000);
keeperTimer.unref();

const line = (k: string, v: string) => console.log(`  ${k.padEnd(22)} ${v}`);
console.log(`\nTripwire is starting (setup took ${Date.now() - t0} ms):`);
line("API", `${api}/v1/products · POST ${api}/v1/quotes · docs ${api}/docs`);
line("admin API key", `${adminKey} (local only, new each start)`);
line("chain RPC", `${anvil.rpcUrl} (chain id ${chainId})`);
line("CoverMarket", core.market.address);
line("CoverPool", core.pool.address);
line("stablecoin (lUSD)", core.asset.address);
line("TripwireKeeper", core.keeper.address);
line("keeper (cron)", `every ${keeperEvery} s (KEEPER_INTERVAL_SECONDS), key: anvil index 8`);
for (const p of sample.products) line(`product ${p.productId}`, p.name);
console.log("\n  LOCAL ONLY accounts (anvil's public development mnemonic, worthless anywhere else):");
console.log(`  mnemonic: "${LOCAL_DEV_MNEMONIC}"`);
line("owner / deployer", `${owner!.account!.address} (index 0)`);
line("quote signer", `${signer!.account!.address} (index 1)`);
line("guardian", `${guardian!.account!.address} (index 2)`);
line("LP (5,000,000 lUSD in)", `${lp!.account!.address} (index 3)`);
line("relayer", `${localAccount(7).address} (index 7)`);
console.log("\nCtrl-C stops anvil and the Worker.\n");
