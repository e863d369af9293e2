/**
 * `npm run worker:setup -- --network NAME [--local] [--print]`: records a deployment
 * (deployments/<chainId>.json, written by `npm run deploy`) in the Worker's D1 `deployments`
 * table, where the Worker finds its contracts, with `wrangler d1 execute DB --remote` (`--local`:
 * the local database of `wrangler dev`; `--print`: only print the SQL). Re-running replaces the
 * addresses (a re-deploy). Then lists what the Worker still needs: its CHAIN_ID and its secrets.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { deploymentSql, loadNetwork, NetworkConfigError, readDeployment } from "./lib/network";

const { values } = parseArgs({ options: { network: { type: "string" }, local: { type: "boolean" }, print: { type: "boolean" } }, strict: true });

try {
  if (!values.network) throw new NetworkConfigError("--network NAME is required (deploy/NAME.json)");
  const cfg = loadNetwork(values.network);
  const record = readDeployment(cfg.chainId);
  if (record.dryRun) throw new NetworkConfigError(`deployments/${cfg.chainId}.json is a dry run`);
  const sql = deploymentSql(record);
  if (values.print) {
    console.log(sql);
  } else {
    mkdirSync(".wrangler", { recursive: true });
    const file = `.wrangler/deployments-${cfg.chainId}.sql`;
    writeFileSync(file, sql + "\n");
    const r = spawnSync("node_modules/.bin/wrangler", ["d1", "execute", "DB", values.local ? "--local" : "--remote", "--file", file], { stdio: "inherit", env: { ...process.env, CI: "true" } });
    if (r.status !== 0) throw new Error(`wrangler d1 execute failed (exit ${r.status})`);
    console.log(`recorded ${Object.keys(record.contracts).length - 1} contracts of chain ${cfg.chainId} in D1 (${values.local ? "local" : "remote"})`);
  }
  console.log(`\nThe Worker also needs: CHAIN_ID = "${cfg.chainId}" in wrangler.toml [vars]; secrets RPC_URL, QUOTE_SIGNER_KEY (its address must be ${record.roles.quoteSigner}), KEEPER_KEY, RELAYER_KEY (npx wrangler secret put NAME).`);
} catch (e) {
  console.error(`worker:setup: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
