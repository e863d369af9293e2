/**
 * `npm run worker:setup -- --network NAME [--local] [--print]`: reads a deployment back
 * (`npm run deploy -- --verify`'s checks, handoff complete) and records it
 * (deployments/<chainId>.json, written by `npm run deploy`) in the Worker's D1 `deployments`
 * table, where the Worker finds its contracts, with `wrangler d1 execute DB --remote` (`--local`:
 * the local database of `wrangler dev`; `--print`: only print the SQL). Re-running replaces the
 * addresses (a re-deploy). Then lists what the Worker still needs: its CHAIN_ID and its secrets.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildContracts } from "../contracts/build";
import { deploymentSql, errorText, loadNetwork, networkClients, NetworkConfigError, readDeployment, rpcUrlOf } from "./lib/network";

const { values } = parseArgs({ options: { network: { type: "string" }, local: { type: "boolean" }, print: { type: "boolean" } }, strict: true });

try {
  if (!values.network) throw new NetworkConfigError("--network NAME is required (deploy/NAME.json)");
  const cfg = loadNetwork(values.network);
  const record = readDeployment(cfg.chainId);
  if (record.dryRun) throw new NetworkConfigError(`deployments/${cfg.chainId}.json is a dry run`);
  // Only a deployment that reads back, handoff complete, becomes the Worker's.
  buildContracts({ quiet: true });
  const { failedChecks, verifyDeployment } = await import("./lib/release");
  const v = await verifyDeployment(networkClients(cfg, rpcUrlOf(cfg)), record, cfg);
  if (!v.ok) throw new NetworkConfigError(`the deployment does not verify: ${failedChecks(v.checks)}`);
  if (v.pending) throw new NetworkConfigError(`the handoff is not complete: ${cfg.owner} has not executed ${record.pendingOwnerBatch} (the pool's setMarket)`);
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
  console.error(`worker:setup: ${errorText(e)}`);
  process.exit(1);
}
