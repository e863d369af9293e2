/**
 * `npm run ops -- COMMAND --network NAME [--send | --batch FILE] …`: the owner's and pauser's
 * operations on a deployment (deploy/NAME.json and deployments/<chainId>.json), each built from
 * typed arguments in words, simulated from the account that must make it, and then
 *   --send        sent from the account of OPS_KEY (environment only; on the local chain anvil's
 *                 development account 0 when OPS_KEY is unset), or
 *   --batch FILE  written as a Safe Transaction Builder batch for the owner (or pauser) Safe to
 *                 sign; with neither, only simulated.
 *
 * Commands:
 *   list-product --kind KIND <the kind's flags> --cap AMOUNT [--lag 1h] [--veto 0]
 *                --protocol ID --name "…" [--rate-multiplier-bps N] [--api URL]
 *       lists the product with its terms text written from its parameters, then (when sent)
 *       registers it in the API (TRIPWIRE_ADMIN_KEY) with the same text. Kinds and their flags:
 *         tvl_drop  --feed 0x… --drop 50% --within 24h [--max-age 48h] [--sequencer-feed 0x… --sequencer-grace 1h]
 *         depeg     --feed 0x… --below 0.98 --for 1h [--max-age 2d] [--sequencer-feed 0x… --sequencer-grace 1h]
 *         paused    --target 0x… --for 6h [--gap 10m]
 *         all_of    --leg "tvl_drop --feed 0x… --drop 50% --within 24h" --leg "paused --target 0x… --for 6h" --spread 24h
 *   register-product --product N --protocol ID --name "…" (--terms "…" | --terms-file F) [--api URL]
 *   set-cap --product N --cap AMOUNT                 (whole units of the asset: 2,500,000)
 *   set-integrator-fee --integrator 0x… --fee 10%
 *   approve-trigger (--kind KIND | --trigger 0x…) [--revoke]
 *   pause (--product N | --new-cover) [--off]
 *   complete-handoff                                 (the owner's side of the deploy: the pool's setMarket)
 *
 * Before anything, the deployment is read back (`npm run deploy -- --verify`'s checks): an
 * operation never targets a record that does not match the chain.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { getAddress, isAddress, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { buildContracts } from "../contracts/build";
import { localAccount } from "./lib/clients";
import { kindFromWord, triggerFromFlags } from "./lib/kindWords";
import { LOCAL_CONFIG_PATH, type LocalConfig } from "./lib/local";
import { errorText, keyFromEnv, LOCAL_CHAIN_ID, loadNetwork, networkClients, NetworkConfigError, readDeployment, rpcUrlOf } from "./lib/network";
import { parseAmount, parsePercentBps, parseDuration, WordsError } from "./lib/words";

/** Flags every command takes, and each command's own (kind flags of list-product pass through to the kind). */
const common = { network: { type: "string" }, send: { type: "boolean" }, batch: { type: "string" }, api: { type: "string" } } as const;
const commands = {
  "list-product": { cap: { type: "string" }, lag: { type: "string" }, veto: { type: "string" }, protocol: { type: "string" }, name: { type: "string" }, "rate-multiplier-bps": { type: "string" } },
  "register-product": { product: { type: "string" }, protocol: { type: "string" }, name: { type: "string" }, terms: { type: "string" }, "terms-file": { type: "string" } },
  "set-cap": { product: { type: "string" }, cap: { type: "string" } },
  "set-integrator-fee": { integrator: { type: "string" }, fee: { type: "string" } },
  "approve-trigger": { kind: { type: "string" }, trigger: { type: "string" }, revoke: { type: "boolean" } },
  pause: { product: { type: "string" }, "new-cover": { type: "boolean" }, off: { type: "boolean" } },
  "complete-handoff": {},
} as const;
type Command = keyof typeof commands;

/** Splits argv into the flags `known` names and the rest (a string flag keeps its value). */
function split(argv: string[], known: Record<string, { type: "string" | "boolean" }>): { mine: string[]; rest: string[] } {
  const mine: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const name = token.startsWith("--") ? token.slice(2).split("=")[0]! : "";
    const spec = known[name];
    const to = spec ? mine : rest;
    to.push(token);
    if (spec?.type === "string" && !token.includes("=") && i + 1 < argv.length) to.push(argv[++i]!);
    else if (!spec && token.startsWith("--") && !token.includes("=") && i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) to.push(argv[++i]!);
  }
  return { mine, rest };
}

const need = (v: string | undefined, flag: string): string => {
  if (v === undefined) throw new WordsError(`--${flag} is required`);
  return v;
};
const productId = (v: string | undefined): bigint => {
  const t = need(v, "product");
  if (!/^[1-9]\d*$/.test(t)) throw new WordsError(`--product: "${t}" is not a product id`);
  return BigInt(t);
};
const address = (v: string | undefined, flag: string): Address => {
  const t = need(v, flag);
  if (!isAddress(t, { strict: false })) throw new WordsError(`--${flag}: "${t}" is not an address`);
  return getAddress(t);
};

async function main() {
  const [command, ...argv] = process.argv.slice(2);
  if (!command || !(command in commands)) {
    throw new WordsError(`a command is required: ${Object.keys(commands).join(", ")} (usage at the top of scripts/ops.ts and in the README)`);
  }
  const own = commands[command as Command] as Record<string, { type: "string" | "boolean" }>;
  const { mine, rest } = split(argv, { ...common, ...own });
  const { values: v } = parseArgs({ args: mine, options: { ...common, ...own }, strict: true }) as { values: Record<string, string | boolean | undefined> };
  const s = (name: string) => (typeof v[name] === "string" ? (v[name] as string) : undefined);
  if (command !== "list-product" && rest.length) throw new WordsError(`${command}: unknown arguments ${rest.join(" ")}`);

  const cfg = loadNetwork(need(s("network"), "network"));
  buildContracts({ quiet: true });
  const ops = await import("./lib/ops");
  const record = readDeployment(cfg.chainId);
  const url = rpcUrlOf(cfg);
  const clients = networkClients(cfg, url);
  const chainId = await clients.publicClient.getChainId();
  if (chainId !== cfg.chainId) throw new NetworkConfigError(`the RPC serves chain ${chainId}, ${cfg.file} says ${cfg.chainId}`);
  // The record is read back against the chain first: an impostor address, a swapped asset or a
  // role held by someone else stops here, before anything is simulated, written or sent.
  const { failedChecks, verifyDeployment } = await import("./lib/release");
  const verified = await verifyDeployment(clients, record, cfg);
  if (!verified.ok) {
    throw new NetworkConfigError(`the deployment of chain ${cfg.chainId} does not verify: ${failedChecks(verified.checks)} (npm run deploy -- --network ${s("network")} --verify)`);
  }
  if (verified.pending && command !== "complete-handoff") console.log(`note: the handoff is not complete: the owner's batch (${record.pendingOwnerBatch}) has not run`);
  // Verified: pool.asset() is the configured asset, whose decimals are the configured ones.
  const decimals = cfg.asset.decimals;

  const local = cfg.chainId === LOCAL_CHAIN_ID && existsSync(LOCAL_CONFIG_PATH) ? (JSON.parse(readFileSync(LOCAL_CONFIG_PATH, "utf8")) as LocalConfig) : null;
  const api = () => {
    const apiUrl = s("api") ?? process.env.TRIPWIRE_API ?? local?.api;
    const adminKey = process.env.TRIPWIRE_ADMIN_KEY ?? local?.adminKey;
    if (!apiUrl || !adminKey) throw new NetworkConfigError("registering needs the API (--api URL or TRIPWIRE_API) and an admin key (TRIPWIRE_ADMIN_KEY)");
    // The admin key goes in a header: never over plain http to anything but this machine.
    if (!/^https:\/\//.test(apiUrl) && !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$)/.test(apiUrl)) throw new NetworkConfigError(`--api ${apiUrl}: the admin key is only sent over https (or to a loopback address)`);
    return { url: apiUrl, adminKey };
  };
  const registration = () => ({
    protocolId: need(s("protocol"), "protocol"),
    name: need(s("name"), "name"),
    ...(s("rate-multiplier-bps") ? { rateMultiplierBps: Number(s("rate-multiplier-bps")) } : {}),
  });

  let op: Awaited<ReturnType<typeof ops.pause>> & { termsText?: string };
  switch (command as Command) {
    case "register-product": {
      const termsText = s("terms") ?? (s("terms-file") ? readFileSync(s("terms-file")!, "utf8") : undefined);
      const product = await ops.registerProduct(api(), productId(s("product")), { ...registration(), termsText: need(termsText, "terms") });
      console.log(`registered product ${product.id} (${product.name}) in the API: terms hash ${product.terms.hash}`);
      return;
    }
    case "list-product": {
      registration(); // fail before anything is sent when the API's fields are missing
      op = ops.listProduct(
        record,
        { trigger: triggerFromFlags(rest), capAmount: parseAmount(need(s("cap"), "cap"), decimals, "--cap"), coverageLagSeconds: parseDuration(s("lag") ?? "1h", "--lag"), vetoWindowSeconds: parseDuration(s("veto") ?? "0", "--veto") },
        decimals,
      );
      console.log(`terms: ${op.termsText}`);
      break;
    }
    case "set-cap":
      op = ops.setProductCap(record, productId(s("product")), parseAmount(need(s("cap"), "cap"), decimals, "--cap"), decimals);
      break;
    case "set-integrator-fee":
      op = ops.setIntegratorFee(record, address(s("integrator"), "integrator"), parsePercentBps(need(s("fee"), "fee"), "--fee"));
      break;
    case "approve-trigger": {
      if (s("trigger") && s("kind")) throw new WordsError("approve-trigger takes --kind or --trigger, not both");
      const trigger = s("trigger") ? address(s("trigger"), "trigger") : ops.triggerOf(record)(kindFromWord(need(s("kind"), "kind")));
      op = ops.approveTrigger(record, trigger, !v.revoke);
      break;
    }
    case "pause":
      if (v["new-cover"] && s("product")) throw new WordsError("pause takes --product N or --new-cover, not both");
      op = ops.pause(record, v["new-cover"] ? { newCover: true } : { productId: productId(s("product")) }, !v.off);
      break;
    case "complete-handoff":
      op = ops.completeHandoff(record);
      break;
  }

  const holder = ops.roleHolder(record, op.role);
  if (typeof v.batch === "string") {
    const { path } = await ops.writeOperationBatch(clients.publicClient, record, op, v.batch);
    console.log(`simulated from ${holder} (${op.role}); wrote ${path}: import it into the Safe Transaction Builder of ${holder}, sign and execute`);
    if (op.termsText) {
      const termsFile = v.batch.replace(/\.json$/, "") + ".terms.txt";
      writeFileSync(termsFile, op.termsText);
      const r = registration();
      console.log(`once executed, register it: npm run ops -- register-product --network ${s("network")} --product <its id: ProductListed> --protocol ${r.protocolId} --name ${JSON.stringify(r.name)} --terms-file ${termsFile}`);
    }
    return;
  }
  if (!v.send) {
    await ops.simulate(clients.publicClient, op, holder);
    console.log(`simulated from ${holder} (${op.role}): ${op.summary}. Nothing sent: --send (OPS_KEY) or --batch FILE (Safe).`);
    return;
  }
  const key = keyFromEnv("OPS_KEY");
  if (key === undefined && cfg.chainId !== LOCAL_CHAIN_ID) throw new NetworkConfigError("--send needs OPS_KEY (the operator's key, environment only); for a Safe owner write --batch FILE instead");
  const account = key ? privateKeyToAccount(key) : localAccount(0);
  console.log(`sending from ${account.address}${key ? "" : " (LOCAL ONLY: anvil's development account 0)"}: ${op.summary}`);
  const receipts = await ops.sendOperation(clients.publicClient, clients.wallet(account), op, cfg.confirmations);
  for (const r of receipts) console.log(`sent: ${r.transactionHash} (block ${r.blockNumber})`);
  if (op.termsText) {
    const id = ops.listedProductId(receipts[0]!.logs);
    console.log(`listed product ${id}`);
    const product = await ops.registerProduct(api(), id, { ...registration(), termsText: op.termsText });
    console.log(`registered product ${product.id} (${product.name}) in the API: terms hash ${product.terms.hash}`);
  }
}

main().catch((e: unknown) => {
  console.error(`ops: ${errorText(e)}`);
  process.exit(1);
});
