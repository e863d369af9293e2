/**
 * `npm run deploy -- --network NAME`: deploys Tripwire's contracts to the chain `deploy/NAME.json`
 * describes, from the account of DEPLOYER_KEY (environment only), hands every admin power to the
 * configured owner, reads everything back, and writes `deployments/<chainId>.json` (addresses,
 * blocks, transactions, constructor arguments, compiler settings) and the owner's Safe batch
 * finishing the handoff, the pool's `setMarket` (`deployments/<chainId>.handoff.json`): the pool
 * and the keeper contract are the owner's from their constructors, the market's admin role is
 * granted to the owner and renounced by the deployer, so the deployer keeps no power at all.
 *
 *   --dry-run   the whole sequence on a throw-away anvil with the network's chain id: stand-ins
 *               for the asset (a MockStablecoin of its decimals), Multicall3 and the owner (a
 *               2-of-2 MockSafe) are put at their addresses, the deployer is DEPLOYER_KEY or else a local development account, and
 *               the owner's batch is executed by impersonating the owner, then verified again.
 *               Writes under deployments/dry-run/ (git-ignored).
 *   --verify    reads an existing deployment back against the network config (after the owner
 *               has accepted, every check passes).
 *   --force     deploy although deployments/<chainId>.json exists (the new record replaces it).
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { buildContracts } from "../contracts/build";
import { startAnvil } from "./lib/anvil";
import { localAccount, type LocalClients } from "./lib/clients";
import { deploymentPath, errorText, keyFromEnv, loadNetwork, networkClients, NetworkConfigError, readDeployment, rpcUrlOf, writeDeployment } from "./lib/network";

const { values } = parseArgs({ options: { network: { type: "string" }, "dry-run": { type: "boolean" }, verify: { type: "boolean" }, force: { type: "boolean" } }, strict: true });

function deployerKey(): Hex {
  const key = keyFromEnv("DEPLOYER_KEY");
  if (!key) throw new NetworkConfigError("DEPLOYER_KEY is not set: the deployer's private key comes from the environment only");
  return key;
}

async function main() {
  if (!values.network) throw new NetworkConfigError("--network NAME is required (deploy/NAME.json)");
  const cfg = loadNetwork(values.network);
  buildContracts({ quiet: true });
  const { deployNetwork, executeBatchAs, putStandIns, verifyDeployment, writeHandoffBatch } = await import("./lib/release");
  const say = (line: string) => console.log(`  ${line}`);
  const report = async (clients: LocalClients, record: Parameters<typeof verifyDeployment>[1]) => {
    const v = await verifyDeployment(clients, record, cfg);
    for (const c of v.checks) console.log(`  ${c.ok ? "✓" : "✗"} ${c.what}${c.detail ? `: ${c.detail}` : ""}`);
    return v;
  };

  if (values.verify) {
    const record = readDeployment(cfg.chainId);
    const url = rpcUrlOf(cfg);
    const v = await report(networkClients(cfg, url), record);
    console.log(v.ok ? (v.pending ? `\nverified; waiting for ${cfg.owner} to execute its batch (${record.pendingOwnerBatch})` : "\nverified: every check passes") : "\nverification FAILED");
    process.exit(v.ok ? 0 : 1);
  }

  if (values["dry-run"]) {
    console.log(`dry run of ${cfg.file} (chain ${cfg.chainId}) on a throw-away anvil`);
    const anvil = await startAnvil(["--chain-id", String(cfg.chainId)], { fixedGenesis: false });
    try {
      const clients = networkClients(cfg, anvil.rpcUrl, { local: true });
      const account = process.env.DEPLOYER_KEY ? privateKeyToAccount(deployerKey()) : localAccount(0);
      if (!process.env.DEPLOYER_KEY) say(`deployer: ${account.address} (LOCAL ONLY: anvil's development account 0; DEPLOYER_KEY is not set)`);
      await clients.testClient.setBalance({ address: account.address, value: 10n ** 20n });
      await putStandIns(clients, cfg, account.address, say);
      // anvil mines a block per transaction and no other: waiting for more than one confirmation would wait forever.
      const { record, gasUsed } = await deployNetwork({ ...cfg, confirmations: 1 }, clients, clients.wallet(account), { dryRun: true, progress: say });
      record.pendingOwnerBatch = await writeHandoffBatch(clients, record, deploymentPath(cfg.chainId, { dryRun: true }).replace(/\.json$/, ".handoff.json"));
      const path = writeDeployment(record);
      console.log(`\nwrote ${path}${record.pendingOwnerBatch ? ` and ${record.pendingOwnerBatch}` : ""}; ${gasUsed.toLocaleString("en-US")} gas of deployments`);
      console.log("read back before the owner's batch:");
      const before = await report(clients, record);
      if (!before.ok) throw new Error("dry run: the deployment does not verify");
      if (record.pendingOwnerBatch) {
        // The owner's side, as the Safe would execute it: every transaction of the batch, from the owner.
        const batch = await executeBatchAs(clients, record.pendingOwnerBatch, cfg.owner);
        console.log(`executed the owner's batch (${batch.transactions.length} transaction${batch.transactions.length === 1 ? "" : "s"}) as ${cfg.owner}; read back after:`);
        const after = await report(clients, record);
        if (!after.ok || after.pending) throw new Error("dry run: the deployment does not verify after the owner's batch");
      }
      console.log("\ndry run passed");
    } finally {
      await anvil.stop();
    }
    return;
  }

  const target = deploymentPath(cfg.chainId);
  if (existsSync(target) && !values.force) throw new NetworkConfigError(`${target} exists: chain ${cfg.chainId} is deployed (--verify reads it back; --force deploys anew)`);
  const url = rpcUrlOf(cfg);
  const clients = networkClients(cfg, url);
  const account = privateKeyToAccount(deployerKey());
  console.log(`deploying to ${cfg.name} (chain ${cfg.chainId}) from ${account.address}`);
  const { record, gasUsed } = await deployNetwork(cfg, clients, clients.wallet(account), { dryRun: false, progress: say });
  writeDeployment(record);
  record.pendingOwnerBatch = await writeHandoffBatch(clients, record, target.replace(/\.json$/, ".handoff.json"));
  writeDeployment(record);
  console.log(`\nwrote ${target}; ${gasUsed.toLocaleString("en-US")} gas of deployments. Read back:`);
  const v = await report(clients, record);
  if (!v.ok) throw new Error("the deployment does not verify: see the checks above");
  if (record.pendingOwnerBatch) {
    console.log(`\nnext: import ${record.pendingOwnerBatch} into the Safe Transaction Builder of ${cfg.owner}, sign and execute it, then`);
    console.log(`      npm run deploy -- --network ${values.network} --verify`);
  }
  console.log(`then: npm run worker:setup -- --network ${values.network} (verifies again, then records the contracts in the Worker's D1)`);
}

main().catch((e: unknown) => {
  console.error(`\ndeploy: ${errorText(e)}`);
  process.exit(1);
});
