import { createWalletClient, http, keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import * as MockShareVault from "../../contracts/out/MockShareVault";
import { encodeSharePriceParams } from "../../workers/triggers/sharePrice";
import { chain, publicClient } from "./helpers/chain";
import { api, anvil, balanceOf, buyPolicy, deployFeed, incidentsOf, listTvlProduct, tick, timesPaid, USD } from "./helpers/keeper";
import { createKey, json } from "./helpers/keys";

// The share-price kind through the Worker's keeper alone: cover bought through POST /v1/quotes on
// a healthy vault, the vault's backing taken, cron runs observing every few chain minutes until
// the drop has lasted its duration, then fire, confirm and pay. A dip that the next run finds gone
// pays nothing. The chain's clock moves, so the file restores its snapshot at the end.

const owner = createWalletClient({ chain: foundry, transport: http(chain.rpcUrl), account: privateKeyToAccount(chain.keys.owner) });
const ONE = 1_000_000n;
let snapshot: string;

async function mined(hash: Hex) {
  const r = await publicClient.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new Error(`reverted: ${hash}`);
  return r;
}
const newVault = async () => (await mined(await owner.deployContract({ abi: MockShareVault.abi, bytecode: MockShareVault.bytecode, args: [6, ONE] }))).contractAddress!;
const setPrice = async (vault: Address, price: bigint) => mined(await owner.writeContract({ address: vault, abi: MockShareVault.abi, functionName: "setPricePerShare", args: [price] }));

async function listSharePrice(vault: Address, name: string): Promise<number> {
  const terms = `${name}: pays the cover amount if the vault ${vault}'s share price stays 10% or more below its high-water mark for 20 minutes.`;
  const params = encodeSharePriceParams({ vault, dropBps: 1_000, durationSeconds: 1_200, maxGapSeconds: 600, maxGrowthBpsPerYear: 5_000 });
  const receipt = await mined(await owner.writeContract({
    address: chain.contracts.CoverMarket as Address, abi: marketAbi, functionName: "listProduct",
    args: [{ trigger: chain.contracts.SharePriceTrigger as Address, params, termsHash: keccak256(toHex(terms)), capAmount: 500_000n * USD, coverageLagSeconds: 60, vetoWindowSeconds: 0 }],
  }));
  const [listed] = parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName: "ProductListed" });
  const id = Number(listed!.args.productId);
  const admin = await createKey(["admin"]);
  const res = await api(`/v1/admin/products/${id}`, json("PUT", { protocolId: "keeper-test", name, termsText: terms }, admin));
  if (res.status >= 300) throw new Error(`register product ${id}: ${res.status} ${await res.text()}`);
  return id;
}

beforeAll(async () => {
  snapshot = (await anvil("evm_snapshot")) as string;
});
afterAll(async () => {
  await anvil("evm_revert", [snapshot]);
});

describe("the keeper pays a vault's share-price drop by cron runs alone", () => {
  it("the backing taken: observed each run, fired once the drop has lasted 20 minutes, paid once; a one-run dip pays nothing", async () => {
    await listTvlProduct(await deployFeed(1_000_000n), "Share-price file's protocol"); // registers the keeper-test protocol
    const exploitedVault = await newVault();
    const dippedVault = await newVault();
    const exploited = await listSharePrice(exploitedVault, "Vault share price");
    const dipped = await listSharePrice(dippedVault, "Vault share price (dip)");
    const paid = await buyPolicy(exploited, 800n * USD);
    const missed = await buyPolicy(dipped, 600n * USD, chain.keys.beneficiary);
    await anvil("evm_increaseTime", [120]); // past the start: lag, rounded up to the grid
    await anvil("evm_mine");
    expect((await tick()).actions).toEqual([]); // the first peaks are candidates still
    // a max gap after listing the keeper confirms each product's first peak
    await anvil("evm_increaseTime", [600]);
    await anvil("evm_mine");
    expect((await tick()).actions!.filter((a) => a.kind === "observe" && a.status === "mined")).toHaveLength(2);

    await setPrice(exploitedVault, 850_000n); // −15%: the exploit
    await setPrice(dippedVault, 700_000n); // −30%, for one run only
    const first = await tick();
    expect(first.actions!.filter((a) => a.kind === "observe").length).toBe(2);
    await setPrice(dippedVault, ONE);
    const before = await balanceOf(paid.owner);
    // runs four chain minutes apart (inside the 10-minute gap) until the 20 minutes have passed
    const runs = [];
    for (let i = 0; i < 8 && (await timesPaid(paid.policyId)) === 0; i++) {
      await anvil("evm_increaseTime", [240]);
      await anvil("evm_mine");
      runs.push(await tick());
      for (let wait = 0; wait < 40 && (await timesPaid(paid.policyId)) === 0 && runs.at(-1)!.actions!.some((a) => a.kind === "confirm"); wait++) await new Promise((r) => setTimeout(r, 250));
    }
    // the run fired only once 20 minutes of observations had passed: not in the first four runs
    expect(runs.slice(0, 4).flatMap((r) => r.actions!.filter((a) => a.kind === "fire"))).toEqual([]);
    const fired = runs.flatMap((r) => r.actions!.filter((a) => a.kind === "fire" && a.status === "mined"));
    expect(fired).toHaveLength(1);
    expect((await balanceOf(paid.owner)) - before).toBe(800n * USD);

    await tick();
    expect(await timesPaid(paid.policyId)).toBe(1);
    expect(await incidentsOf(dipped)).toHaveLength(0);
    expect(await timesPaid(missed.policyId)).toBe(0);

    // the incident's evidence is the trigger's record: the peak and the run's first observation
    const incidents = (await (await api(`/v1/incidents?product=${exploited}`)).json()) as { incidents: { status: string; incidentTime: number; evidence: { details: { conditions: { peak: string; belowSince: number }[] } } }[] };
    expect(incidents.incidents).toHaveLength(1);
    expect(incidents.incidents[0]!.evidence.details.conditions[0]).toMatchObject({ peak: String(ONE), belowSince: incidents.incidents[0]!.incidentTime });
    // sales of the paid product stopped with the run; the dip's product sells again (recovery confirmed)
    const dippedView = (await (await api(`/v1/products/${dipped}`)).json()) as { refusal: unknown };
    expect(dippedView.refusal).toBeNull();
  });
});
