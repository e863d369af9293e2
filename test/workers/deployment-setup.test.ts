import { env, exports } from "cloudflare:workers";
import { getAddress } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { deploymentSql, type DeploymentRecord } from "../../scripts/lib/network";
import { OpsError, registerProduct } from "../../scripts/lib/ops";
import { deploymentOf } from "../../workers/chain/deployment";
import { createKey, json } from "./helpers/keys";
import type { TestChain } from "./test-chain";

const chain = JSON.parse(env.TEST_CHAIN) as TestChain;
const a = (n: number) => getAddress(`0x${n.toString(16).padStart(40, "0")}`);
const at = (n: number, block: number | null) => ({ address: a(n), block, tx: block === null ? null : `0x${"ab".repeat(32)}`, args: [], artifact: null, libraries: {}, codeSize: 1 });

describe("the Worker's setup from a deployment record (npm run worker:setup, npm start)", () => {
  it("records every contract but the library, where the Worker's deployment reader finds them; a re-deploy replaces them", async () => {
    const record: DeploymentRecord = {
      network: "test-net", chainId: 84_532, dryRun: false, deployer: a(0xde), deployedAt: 1_800_000_000,
      compiler: { solc: "0.8.28", settings: {} },
      roles: { owner: a(0x5afe), quoteSigner: a(1), guardian: a(2), pauser: a(3) },
      contracts: {
        CoverPool: at(0x10, 100), CoverBook: at(0x11, 101), CoverMarket: at(0x12, 102), TvlDropTrigger: at(0x13, 103), DepegTrigger: at(0x14, 104),
        PausedTrigger: at(0x15, 105), AllOfTrigger: at(0x16, 106), TripwireKeeper: at(0x17, 107), Stablecoin: at(0x18, null), Multicall3: at(0x19, null),
      },
      handoffBlock: 108,
      pendingOwnerBatch: null,
    };
    const sql = deploymentSql(record);
    expect(sql).not.toContain("CoverBook");
    await env.DB.batch(sql.split("\n").map((s) => env.DB.prepare(s)));
    const d = await deploymentOf(env.DB, 84_532);
    expect(d).toMatchObject({ market: a(0x12), pool: a(0x10), asset: a(0x18), multicall: a(0x19), marketBlock: 102 });
    expect([...d.triggerKinds.entries()]).toEqual([[a(0x13), "tvl_drop"], [a(0x14), "depeg"], [a(0x15), "paused"], [a(0x16), "all_of"]]);
    // contracts found on the chain (no deployment block) take the market's block
    const rows = await env.DB.prepare("SELECT contract, deployed_block FROM deployments WHERE chain_id = 84532 AND contract IN ('Stablecoin', 'Multicall3') ORDER BY contract").all();
    expect(rows.results).toEqual([{ contract: "Multicall3", deployed_block: 102 }, { contract: "Stablecoin", deployed_block: 102 }]);

    const redeployed = { ...record, contracts: { ...record.contracts, CoverMarket: at(0x22, 202) } };
    await env.DB.batch(deploymentSql(redeployed).split("\n").map((s) => env.DB.prepare(s)));
    const market = await env.DB.prepare("SELECT address, deployed_block FROM deployments WHERE chain_id = 84532 AND contract = 'CoverMarket'").first();
    expect(market).toEqual({ address: a(0x22), deployed_block: 202 });
  });
});

describe("registering a listed product through the operator's code (npm run ops, npm start)", () => {
  let admin: string;
  beforeAll(async () => {
    admin = await createKey(["admin"]);
    const protocol = { name: "Stakeline", category: "staking", website: null, auditCount: 4, lastAuditAt: null, launchedAt: 1_700_000_000, tvlUsd: "2500000000", incidentCount: 0, lastIncidentAt: null, adminKey: "timelock_multisig", upgradeable: true, oracleDependence: "chainlink" };
    expect((await exports.default.fetch("http://tripwire.test/v1/admin/protocols/stakeline", json("PUT", protocol, admin))).status).toBe(201);
  });
  const api = () => ({ url: "http://tripwire.test", adminKey: admin, fetch: ((input: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(input, init)) as typeof fetch });

  it("registers with the terms text the listing hashed; any other text is refused by the Worker", async () => {
    const sample = chain.products.find((p) => p.id === 3)!;
    const product = await registerProduct(api(), 3n, { protocolId: "stakeline", name: sample.name, termsText: sample.terms });
    expect(product).toMatchObject({ id: 3, protocolId: "stakeline", terms: { text: sample.terms } });
    expect(sample.terms).toMatch(/^Pays the cover amount if the TVL reported by feed 0x[0-9a-fA-F]{40} in ETH, the protocol's own asset \(a move in that asset's price is not a fall\) falls by 50% or more within 24 hours/);
    await expect(registerProduct(api(), 3n, { protocolId: "stakeline", name: sample.name, termsText: `${sample.terms} ` })).rejects.toThrow(/PUT \/v1\/admin\/products\/3 answered 422: .*terms-mismatch/);
    await expect(registerProduct({ ...api(), adminKey: "tw_nope" }, 3n, { protocolId: "stakeline", name: sample.name, termsText: sample.terms })).rejects.toBeInstanceOf(OpsError);
  });
});
