import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Address } from "viem";
import { unstable_startWorker } from "wrangler";
import { hashApiKey, newApiKey } from "../../workers/keys";
import { localKey as devKey } from "./clients";

/** LOCAL ONLY: anvil's development key at `index`, as hex (scripts/lib/clients.ts). */
export { devKey };

/**
 * The Worker in this process for a benchmark (wrangler's startWorker → workerd), offline, on a
 * throw-away local D1: migrations applied, the deployment recorded, an admin key issued. Keys are
 * anvil's public ones (quote signer index 1, keeper index 8). `dispose()` stops it and deletes its state.
 */
export async function startBenchWorker(opts: { rpcUrl: string; chainId: number; contracts: Record<string, Address>; deployedBlock: bigint; testScheduled?: boolean; logLevel?: "warn" | "error" }) {
  process.env.WRANGLER_SEND_METRICS = "false";
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  const persist = mkdtempSync(join(tmpdir(), "tripwire-bench-"));
  const wrangler = (args: string[]) => {
    const r = spawnSync("npx", ["wrangler", ...args, "--persist-to", persist], { stdio: "pipe", env: { ...process.env, CI: "true" } });
    if (r.status !== 0) throw new Error(`wrangler ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  };
  wrangler(["d1", "migrations", "apply", "DB", "--local"]);
  // Several admin keys, used in turn: each has the keyed rate limit (1,200 a minute), and the
  // 10,000-product setup registers faster than one key may.
  const adminKeys = Array.from({ length: 16 }, () => newApiKey());
  let nextKey = 0;
  const seed = join(persist, "seed.sql");
  writeFileSync(seed, [
    ...Object.entries(opts.contracts).map(([n, a]) => `INSERT INTO deployments VALUES (${opts.chainId}, '${n}', '${a}', ${opts.deployedBlock}, 0);`),
    ...(await Promise.all(adminKeys.map(async (k, i) => `INSERT INTO api_keys (key_hash, prefix, name, scopes) VALUES ('${await hashApiKey(k)}', 'bench${i}', 'bench ${i}', 'admin');`))),
  ].join("\n"));
  wrangler(["d1", "execute", "DB", "--local", "--file", seed]);

  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    bindings: {
      RPC_URL: { type: "plain_text", value: opts.rpcUrl },
      CHAIN_ID: { type: "plain_text", value: String(opts.chainId) },
      QUOTE_SIGNER_KEY: { type: "secret_text", value: devKey(1) },
      KEEPER_KEY: { type: "secret_text", value: devKey(8) },
    },
    dev: { persist, remote: false, inspector: false, watch: false, testScheduled: opts.testScheduled ?? false, server: { hostname: "127.0.0.1", port: 0 }, logLevel: opts.logLevel ?? "warn" },
  });
  await worker.ready;
  const call = (path: string, init?: RequestInit) => worker.fetch(`http://tripwire.local${path}`, init as never) as unknown as Promise<Response>;
  /** An admin API call; fails loudly on a non-2xx answer. */
  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await call(path, { method, headers: { "content-type": "application/json", authorization: `Bearer ${adminKeys[nextKey++ % adminKeys.length]}` }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  /** The sample lending protocol every benchmark product belongs to. */
  const registerBenchProtocol = async () => {
    const now = Math.floor(Date.now() / 1000);
    await admin("PUT", "/v1/admin/protocols/bench-lending", {
      name: "Bench Lending", category: "lending", website: null, auditCount: 3, lastAuditAt: now - 86_400 * 120, launchedAt: now - 86_400 * 900,
      tvlUsd: "1000000000", incidentCount: 0, lastIncidentAt: null, adminKey: "timelock_multisig", upgradeable: true, oracleDependence: "chainlink",
    });
  };
  return {
    call,
    admin,
    registerBenchProtocol,
    async dispose() {
      await worker.dispose();
      rmSync(persist, { recursive: true, force: true });
    },
  };
}
