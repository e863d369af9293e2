import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAddress, getContract, keccak256, toHex, zeroAddress, zeroHash } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as CoverMarket from "../../contracts/out/CoverMarket";
import * as CoverPool from "../../contracts/out/CoverPool";
import * as TripwireKeeper from "../../contracts/out/TripwireKeeper";
import { startAnvil, type Anvil } from "../../scripts/lib/anvil";
import { localClients, type LocalClients } from "../../scripts/lib/clients";
import { deploy, role } from "../../scripts/lib/deploy";
import * as MockV3Aggregator from "../../contracts/out/MockV3Aggregator";
import { NetworkConfig, NetworkConfigError, type DeploymentRecord } from "../../scripts/lib/network";
import { listProduct, OpsError, pause, sendOperation, setProductCap, simulate, writeOperationBatch } from "../../scripts/lib/ops";
import { deployNetwork, executeBatchAs, putStandIns, verifyDeployment, writeHandoffBatch } from "../../scripts/lib/release";
import { decodeDepegParams } from "../../workers/triggers/depeg";
import { expectRevert } from "./helpers/fixture";

// A public chain's id on a throw-away anvil: what `npm run deploy -- --dry-run` does, driven step
// by step so each property of the result can be checked (and attacked).
const CHAIN_ID = 84532;
const USDC = getAddress("0x036CbD53842c5426634e7929541eC2318f3dCF7e");
const SAFE = getAddress("0x5afe000000000000000000000000000000005afe");
const fresh = () => privateKeyToAccount(generatePrivateKey());
const deployer = fresh();
const signer = fresh();
const guardian = fresh();
const pauser = fresh();
const attacker = fresh();
const dir = mkdtempSync(join(tmpdir(), "tripwire-release-"));

const config = (over: Record<string, unknown> = {}) =>
  NetworkConfig.parse({
    name: "test-net", chainId: CHAIN_ID, rpcUrlEnv: "TEST_RPC_URL",
    asset: { address: USDC, symbol: "lUSD", decimals: 6 },
    owner: SAFE, quoteSigner: signer.address, guardian: guardian.address, pauser: pauser.address,
    pool: { name: "Tripwire LP USDC", symbol: "twLP", leverageBps: 20000, cooldown: "7d" },
    confirmations: 1,
    ...over,
  });

let anvil: Anvil;
let clients: LocalClients;
beforeAll(async () => {
  anvil = await startAnvil(["--chain-id", String(CHAIN_ID)]);
  clients = localClients(anvil.rpcUrl, { ...(await import("viem/chains")).foundry, id: CHAIN_ID });
  for (const a of [deployer, pauser, attacker]) await clients.testClient.setBalance({ address: a.address, value: 10n ** 20n });
  // The asset, Multicall3 and the owner (a 2-of-2 MockSafe) as the real chain would have them.
  await putStandIns(clients, config(), deployer.address);
});
afterAll(() => anvil?.stop());

const deployed = async (cfg = config()) => {
  const { record } = await deployNetwork(cfg, clients, clients.wallet(deployer), { dryRun: false });
  record.pendingOwnerBatch = await writeHandoffBatch(clients, record, join(dir, `${record.contracts.CoverMarket!.address}.handoff.json`));
  return record;
};
const failed = (v: Awaited<ReturnType<typeof verifyDeployment>>) => v.checks.filter((c) => !c.ok).map((c) => c.what);

describe("npm run deploy's sequence on a public chain id", () => {
  let record: DeploymentRecord;
  beforeAll(async () => {
    record = await deployed();
  });

  it("records every contract with its block, transaction, constructor arguments, linked library and the compiler settings", () => {
    expect(Object.keys(record.contracts).sort()).toEqual(["AllOfTrigger", "CoverBook", "CoverMarket", "CoverPool", "DepegTrigger", "Multicall3", "OracleDeviationTrigger", "PausedTrigger", "SharePriceTrigger", "Stablecoin", "TripwireKeeper", "TvlDropTrigger"]);
    const market = record.contracts.CoverMarket!;
    expect(market.block).toBeGreaterThan(0);
    expect(market.tx).toMatch(/^0x[0-9a-f]{64}$/);
    expect(market.args).toEqual([record.contracts.CoverPool!.address, deployer.address, "3600"]);
    expect(record.handoffBlock).toBeGreaterThan(market.block!);
    expect(market.libraries).toEqual({ CoverBook: record.contracts.CoverBook!.address });
    expect(record.contracts.CoverPool!.args).toEqual([USDC, "Tripwire LP USDC", "twLP", SAFE, 20000, 604800]);
    expect(record.contracts.TripwireKeeper!.args).toEqual([record.contracts.CoverMarket!.address, SAFE]);
    expect(record.contracts.Stablecoin).toMatchObject({ address: USDC, block: null, tx: null });
    expect(record.compiler).toEqual({ solc: expect.stringMatching(/^0\.8\.28\+commit/), settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun", viaIR: true } });
    expect(record.roles).toEqual({ owner: SAFE, quoteSigner: signer.address, guardian: guardian.address, pauser: pauser.address });
  });

  it("leaves the deployer no power at any moment: the pool and keeper contract are the owner's from construction, market admin is granted and renounced; the owner's batch sets the pool's market", async () => {
    const asDeployer = { public: clients.publicClient, wallet: clients.wallet(deployer) };
    const market = getContract({ address: record.contracts.CoverMarket!.address, abi: CoverMarket.abi, client: asDeployer });
    const pool = getContract({ address: record.contracts.CoverPool!.address, abi: CoverPool.abi, client: asDeployer });
    const keeper = getContract({ address: record.contracts.TripwireKeeper!.address, abi: TripwireKeeper.abi, client: asDeployer });
    expect([await pool.read.owner(), await keeper.read.owner(), await pool.read.pendingOwner(), await keeper.read.pendingOwner()]).toEqual([SAFE, SAFE, zeroAddress, zeroAddress]);
    for (const r of ["QUOTE_SIGNER_ROLE", "GUARDIAN_ROLE", "PAUSER_ROLE"]) expect(await market.read.hasRole([role(r), deployer.address])).toBe(false);
    expect(await market.read.hasRole([zeroHash, deployer.address])).toBe(false);
    // a leaked deployer key: every admin path refuses it
    await expectRevert(market.write.setIntegratorFee([attacker.address, 2_000]), "AccessControlUnauthorizedAccount");
    await expectRevert(market.write.grantRole([role("QUOTE_SIGNER_ROLE"), attacker.address]), "AccessControlUnauthorizedAccount");
    await expectRevert(pool.write.setMarket([attacker.address]), "OwnableUnauthorizedAccount");
    await expectRevert(pool.write.setRiskParams([100_000, 0]), "OwnableUnauthorizedAccount");
    await expectRevert(pool.write.transferOwnership([attacker.address]), "OwnableUnauthorizedAccount");
    await expectRevert(keeper.write.setForwarder([attacker.address]), "OwnableUnauthorizedAccount");

    const before = await verifyDeployment(clients, record, config());
    expect(failed(before)).toEqual([]);
    expect(before.pending).toBe(true);
    expect(before.checks.find((c) => c.what === "pool: market")!.detail).toContain("not set until");

    const batch = JSON.parse(readFileSync(record.pendingOwnerBatch!, "utf8"));
    expect(batch.transactions.map((t: { to: string; contractMethod: { name: string }; contractInputsValues: unknown }) => [t.to, t.contractMethod.name, t.contractInputsValues])).toEqual([
      [record.contracts.CoverPool!.address, "setMarket", { market_: record.contracts.CoverMarket!.address }],
    ]);
    await executeBatchAs(clients, record.pendingOwnerBatch!, SAFE);
    const after = await verifyDeployment(clients, record, config());
    expect(failed(after)).toEqual([]);
    expect(after.pending).toBe(false);
    expect(await pool.read.market()).toBe(record.contracts.CoverMarket!.address);
  });

  it("lists, re-caps and pauses through the operator's code: a Safe batch the owner executes, and a pauser's key", async () => {
    // a trigger reads its feed at listing: an address with no contract is refused, and said so
    const noFeed = listProduct(record, { trigger: { kind: "depeg", params: { feed: attacker.address, thresholdE18: 98n * 10n ** 16n, durationSeconds: 3_600, maxAgeSeconds: 2 * 86_400 } }, capAmount: 1n, coverageLagSeconds: 3_600, vetoWindowSeconds: 0 }, 6);
    await expect(simulate(clients.publicClient, noFeed, SAFE)).rejects.toThrow(/listProduct: .* reverts: a revert without a reason \(typically a call to an address with no contract/);
    const feed = (await deploy(clients, clients.wallet(deployer), MockV3Aggregator, [8, 10n ** 8n])).address;
    const op = listProduct(record, { trigger: { kind: "depeg", params: { feed, thresholdE18: 98n * 10n ** 16n, durationSeconds: 3_600, maxAgeSeconds: 2 * 86_400 } }, capAmount: 250_000n * 10n ** 6n, coverageLagSeconds: 3_600, vetoWindowSeconds: 0 }, 6);
    expect(op.termsText).toContain(`feed ${feed} stays below $0.98 for 1 hour or more`);
    const { path } = await writeOperationBatch(clients.publicClient, record, op, join(dir, "list.json"));
    const { receipts } = await executeBatchAs(clients, path, SAFE);
    expect(receipts).toHaveLength(1);
    const market = getContract({ address: record.contracts.CoverMarket!.address, abi: CoverMarket.abi, client: clients.publicClient });
    const [, products] = await market.read.counts();
    const listed = await market.read.product([products]);
    expect(listed.termsHash).toBe(keccak256(toHex(op.termsText)));
    expect(listed.trigger).toBe(record.contracts.DepegTrigger!.address);
    expect(decodeDepegParams(await market.read.productParams([products]))).toMatchObject({ feed, thresholdE18: 98n * 10n ** 16n, durationSeconds: 3_600 });

    await executeBatchAs(clients, (await writeOperationBatch(clients.publicClient, record, setProductCap(record, products, 300_000n * 10n ** 6n, 6), join(dir, "cap.json"))).path, SAFE);
    expect((await market.read.product([products])).capAmount).toBe(300_000n * 10n ** 6n);

    // the pauser is an account with a key: sent, not batched
    await sendOperation(clients.publicClient, clients.wallet(pauser), pause(record, { productId: products }, true));
    expect((await market.read.product([products])).salesPaused).toBe(true);
  });

  it("refuses before anything is sent: a call that would revert is named, from the account that would make it", async () => {
    await expect(writeOperationBatch(clients.publicClient, record, setProductCap(record, 99n, 1n, 6), join(dir, "bad.json"))).rejects.toThrow(/set product 99's cap to 0.000001: the simulation from 0x5Afe.* reverts: MarketProductNotActive\(99, 0\)/);
    expect(existsSync(join(dir, "bad.json"))).toBe(false);
    // pausing is the pauser's: the owner's Safe cannot
    await expect(simulate(clients.publicClient, pause(record, { newCover: true }, true), SAFE)).rejects.toThrow(/AccessControlUnauthorizedAccount/);
    await expect(sendOperation(clients.publicClient, clients.wallet(attacker), pause(record, { newCover: true }, true))).rejects.toThrow(OpsError);
  });
});

describe("verification catches a deployment that is not what the config says", () => {
  it("a record pointing at a contract the recorded transaction did not create (an impostor market)", async () => {
    const record = await deployed();
    const other = await deployed();
    const forged: DeploymentRecord = { ...record, contracts: { ...record.contracts, CoverMarket: { ...record.contracts.CoverMarket!, address: other.contracts.CoverMarket!.address } } };
    const v = await verifyDeployment(clients, forged, config());
    expect(v.ok).toBe(false);
    expect(failed(v)).toContain("CoverMarket: created by the deployer's transaction with this build's code and the recorded arguments");
    // its transaction swapped too: the arguments it was created with name the other pool
    const swapped: DeploymentRecord = { ...forged, contracts: { ...forged.contracts, CoverMarket: { ...other.contracts.CoverMarket! } } };
    expect(failed(await verifyDeployment(clients, swapped, config()))).toEqual(expect.arrayContaining(["CoverMarket: created by the deployer's transaction with this build's code and the recorded arguments", "market: pool"]));
  });

  it("anything but the deploy's own grants and approvals on the market before the handoff", async () => {
    const record = await deployed();
    await executeBatchAs(clients, record.pendingOwnerBatch!, SAFE);
    const feed = (await deploy(clients, clients.wallet(deployer), MockV3Aggregator, [8, 10n ** 8n])).address;
    const op = listProduct(record, { trigger: { kind: "depeg", params: { feed, thresholdE18: 98n * 10n ** 16n, durationSeconds: 3_600, maxAgeSeconds: 86_400 } }, capAmount: 1_000_000n, coverageLagSeconds: 3_600, vetoWindowSeconds: 0 }, 6);
    const { receipts } = await executeBatchAs(clients, (await writeOperationBatch(clients.publicClient, record, op, join(dir, "early.json"))).path, SAFE);
    // after the handoff a listing is the owner's business: still verified
    expect(failed(await verifyDeployment(clients, record, config()))).toEqual([]);
    // a record claiming a later handoff: the listing then fell before it
    const late = { ...record, handoffBlock: Number(receipts[0]!.blockNumber) };
    expect(failed(await verifyDeployment(clients, late, config()))).toEqual(["market: nothing but the deploy's own grants and approvals before the handoff"]);
  });

  it("an extra holder of a role (replayed from the market's RoleGranted events)", async () => {
    const record = await deployed();
    await executeBatchAs(clients, record.pendingOwnerBatch!, SAFE);
    const market = getContract({ address: record.contracts.CoverMarket!.address, abi: CoverMarket.abi, client: { public: clients.publicClient, wallet: clients.wallet({ address: SAFE, type: "json-rpc" }) } });
    await clients.testClient.impersonateAccount({ address: SAFE });
    await market.write.grantRole([role("QUOTE_SIGNER_ROLE"), attacker.address], { account: SAFE, chain: clients.publicClient.chain });
    await clients.testClient.stopImpersonatingAccount({ address: SAFE });
    const v = await verifyDeployment(clients, record, config());
    expect(failed(v)).toEqual(["market: quoteSigner role holders"]);
  });

  it("a config that does not match what is deployed (another guardian, another leverage)", async () => {
    const record = await deployed();
    const v = await verifyDeployment(clients, record, config({ guardian: attacker.address, pool: { name: "Tripwire LP USDC", symbol: "twLP", leverageBps: 30000, cooldown: "7d" } }));
    expect(failed(v)).toEqual(["pool: leverageBps", "market: guardian role holders", `market: guardian role held by ${attacker.address} (hasRole)`]);
  });
});

describe("preflight: nothing is deployed to a chain that is not ready", () => {
  const refuses = async (cfg: NetworkConfig, from: ReturnType<typeof fresh>, message: RegExp) => {
    const nonce = await clients.publicClient.getTransactionCount({ address: from.address });
    await expect(deployNetwork(cfg, clients, clients.wallet(from), { dryRun: false })).rejects.toThrow(message);
    await expect(deployNetwork(cfg, clients, clients.wallet(from), { dryRun: false })).rejects.toBeInstanceOf(NetworkConfigError);
    expect(await clients.publicClient.getTransactionCount({ address: from.address })).toBe(nonce);
  };
  it("refuses the wrong chain, the wrong asset, an owner without code, the owner deploying, a deployer without gas", async () => {
    await refuses(config({ chainId: 8453 }), deployer, /the RPC serves chain 84532, the network config says 8453/);
    await refuses(config({ asset: { address: USDC, symbol: "lUSD", decimals: 18 } }), deployer, /has 6 decimals, the network config says 18/);
    await refuses(config({ asset: { address: USDC, symbol: "USDT", decimals: 6 } }), deployer, /is lUSD, the network config says USDT/);
    await refuses(config({ asset: { address: attacker.address, symbol: "lUSD", decimals: 6 } }), deployer, /has no code on chain 84532/);
    await refuses(config({ owner: attacker.address }), deployer, /has no code: it should be a Safe or a timelock/);
    await refuses(config({ owner: attacker.address, ownerIsAccount: true }), attacker, /the deployer .* is the owner: deploy from a separate account that keeps no role/);
    await refuses(config({ guardian: deployer.address }), deployer, /the deployer .* is the guardian/);
    // a contract that is neither a Safe nor a timelock (here: the asset's stand-in's neighbour, a price feed)
    const feed = (await deploy(clients, clients.wallet(attacker), MockV3Aggregator, [8, 10n ** 8n])).address;
    await refuses(config({ owner: feed }), deployer, /answers neither a Safe's getThreshold\(\)\/getOwners\(\) nor a timelock's getMinDelay\(\)/);
    await refuses(config(), fresh(), /has no gas on chain 84532/);
  });
});

describe("the command line", () => {
  const tsx = (args: string[], env: Record<string, string> = {}) =>
    spawnSync("node_modules/.bin/tsx", args, { encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });

  it("npm run deploy -- --dry-run runs the whole sequence on a throw-away anvil, the owner's batch included", () => {
    const cfg = join(dir, "net.json");
    writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync("deploy/base-sepolia.json", "utf8")), chainId: 84533, owner: SAFE, quoteSigner: signer.address, guardian: guardian.address, pauser: pauser.address }));
    const r = tsx(["scripts/deploy.ts", "--network", cfg, "--dry-run"], { DEPLOYER_KEY: generatePrivateKey() });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("stand-in: a MockStablecoin with 6 decimals for USDC at 0x036CbD53842c5426634e7929541eC2318f3dCF7e");
    expect(r.stdout).toMatch(/executed the owner's batch \(1 transaction\)/);
    expect(r.stdout).toContain("owner: 0x5Afe000000000000000000000000000000005afe is a Safe, 2 of 2");
    expect(r.stdout).not.toContain("✗");
    expect(r.stdout).toContain("dry run passed");
    const record = JSON.parse(readFileSync("deployments/dry-run/84533.json", "utf8")) as DeploymentRecord;
    expect(record).toMatchObject({ chainId: 84533, dryRun: true, roles: { owner: SAFE } });
  });

  it("fails with the reason, and no stack, on a config or key that is not usable", () => {
    const template = tsx(["scripts/deploy.ts", "--network", "base-sepolia", "--dry-run"]);
    expect(template.status).toBe(1);
    expect(template.stderr).toMatch(/deploy: NetworkConfigError: deploy\/base-sepolia.json: owner: not a non-zero address/);
    const noRpc = tsx(["scripts/deploy.ts", "--network", "local", "--verify"], { LOCAL_RPC_URL: "" });
    expect(noRpc.status).toBe(1);
    const ops = tsx(["scripts/ops.ts"]);
    expect(ops.status).toBe(1);
    expect(ops.stderr).toMatch(/a command is required: list-product, register-product, set-cap/);
  });
});
