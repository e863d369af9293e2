import type { Address, Hex } from "viem";
import * as MockPausableProtocol from "../../contracts/out/MockPausableProtocol";
import * as MockV3Aggregator from "../../contracts/out/MockV3Aggregator";
import type { LocalClients, Wallet } from "./clients";
import { deploy, type Core } from "./deploy";
import type { TriggerTerms } from "./kindWords";
import { coreTarget, listedProductId, listProduct, sendOperation } from "./ops";

const USD = 1_000_000n;
const E8 = 10n ** 8n;

export type SampleProduct = { productId: bigint; name: string; terms: string; termsHash: Hex; feed?: Address; target?: Address };

/**
 * LOCAL ONLY: sample protocols (Chainlink MockV3Aggregator TVL and price feeds, a pausable
 * protocol) and one product per trigger kind, listed on the local market through the operator's
 * own code (scripts/lib/ops.ts `listProduct`: terms text written from the parameters, simulated,
 * sent), as `npm run ops -- list-product` lists one.
 */
export async function seedSampleProducts(clients: LocalClients, owner: Wallet, core: Core) {
  const newFeed = async (decimals: number, answer: bigint) => (await deploy(clients, owner, MockV3Aggregator, [decimals, answer])).address;
  const target = coreTarget(core, await clients.publicClient.getChainId(), "local", owner.account!.address);
  const list = async (name: string, trigger: TriggerTerms, capAmount: bigint): Promise<SampleProduct> => {
    const op = listProduct(target, { trigger, capAmount, coverageLagSeconds: 3600, vetoWindowSeconds: 0 }, 6);
    const [receipt] = await sendOperation(clients.publicClient, owner, op);
    return { productId: listedProductId(receipt!.logs), name, terms: op.termsText, termsHash: op.termsHash };
  };
  const lending = await newFeed(8, 1_200_000_000n * E8);
  const dex = await newFeed(8, 800_000_000n * E8);
  // The staking contract's TVL in its own asset (ETH staked, 8 decimals): an ETH crash is not a drop.
  const staking = await newFeed(8, 800_000n * E8);
  const usdPrice = await newFeed(8, E8);
  const protocol = (await deploy(clients, owner, MockPausableProtocol, [owner.account!.address])).address;
  const terms = sampleTerms({ lending, dex, staking, usdPrice, protocol });
  const products: SampleProduct[] = [];
  for (const t of terms) products.push({ ...(await list(t.name, t.trigger, t.capAmount)), ...(t.feed ? { feed: t.feed } : {}), ...(t.target ? { target: t.target } : {}) });
  return { products, feeds: { lending, dex, staking, usdPrice }, protocol };
}

const MONTH = 30 * 86_400;

/**
 * LOCAL ONLY: the sample catalog's products in words (one per trigger kind of the first release),
 * in listing order (product ids 1–6), for the feeds and protocol they watch.
 */
export type SampleTerms = { name: string; trigger: TriggerTerms; capAmount: bigint; feed?: Address; target?: Address };
export function sampleTerms(a: { lending: Address; dex: Address; staking: Address; usdPrice: Address; protocol: Address }): SampleTerms[] {
  const day = 86_400;
  const tvl = (feed: Address, units?: string) => ({ kind: "tvl_drop", params: { feed, dropBps: 5000, windowSeconds: day, maxAgeSeconds: 2 * day, ...(units ? { units } : {}) } }) as const;
  const paused = { kind: "paused", params: { target: a.protocol, durationSeconds: 6 * 3600, maxGapSeconds: 600 } } as const;
  return [
    { name: "Lending market TVL collapse", trigger: tvl(a.lending), capAmount: 2_000_000n * USD, feed: a.lending },
    { name: "DEX TVL collapse", trigger: tvl(a.dex), capAmount: 1_000_000n * USD, feed: a.dex },
    { name: "Staking TVL collapse (in ETH)", trigger: tvl(a.staking, "ETH"), capAmount: 1_500_000n * USD, feed: a.staking },
    { name: "Protocol paused", trigger: paused, capAmount: 500_000n * USD, target: a.protocol },
    { name: "Stablecoin depeg", trigger: { kind: "depeg", params: { feed: a.usdPrice, thresholdE18: 97n * 10n ** 16n, durationSeconds: day, maxAgeSeconds: 2 * day } }, capAmount: 1_000_000n * USD, feed: a.usdPrice },
    { name: "Lending exploit (TVL drop and pause)", trigger: { kind: "all_of", params: { legs: [tvl(a.lending), paused], maxSpreadSeconds: day } }, capAmount: 1_000_000n * USD },
  ];
}

/** LOCAL ONLY: sample protocols with realistic risk inputs, and which sample product covers which. */
export function sampleProtocols(now: number) {
  const base = { website: null, incidentCount: 0, lastIncidentAt: null, upgradeable: true, oracleDependence: "chainlink" as const };
  // Registered in this order: a protocol's dependencies come before it (the API refuses unknown ones).
  // Risk groups: Lendwise and Swapper hold SteadyUSD (its depeg is one scenario with theirs); chains as named.
  return [
    { id: "steadyusd", products: [5], body: { ...base, name: "SteadyUSD", category: "stablecoin", auditCount: 3, lastAuditAt: now - 7 * MONTH, launchedAt: now - 44 * MONTH, tvlUsd: "3000000000", adminKey: "timelock_multisig", chains: ["ethereum", "base"], dependsOn: [] } },
    { id: "lendwise-v2", products: [1, 6], body: { ...base, name: "Lendwise v2", category: "lending", auditCount: 3, lastAuditAt: now - 5 * MONTH, launchedAt: now - 38 * MONTH, tvlUsd: "1200000000", adminKey: "timelock_multisig", chains: ["ethereum", "base"], dependsOn: ["steadyusd"] } },
    { id: "swapper-v3", products: [2], body: { ...base, name: "Swapper v3", category: "dex", auditCount: 2, lastAuditAt: now - 14 * MONTH, launchedAt: now - 26 * MONTH, tvlUsd: "800000000", adminKey: "multisig", upgradeable: false, oracleDependence: "none", chains: ["ethereum"], dependsOn: ["steadyusd"] } },
    { id: "stakeline", products: [3], body: { ...base, name: "Stakeline", category: "staking", auditCount: 4, lastAuditAt: now - 3 * MONTH, launchedAt: now - 50 * MONTH, tvlUsd: "2500000000", adminKey: "timelock_multisig", incidentCount: 1, lastIncidentAt: now - 30 * MONTH, chains: ["ethereum"], dependsOn: [] } },
    { id: "vaultify", products: [4], body: { ...base, name: "Vaultify", category: "other", auditCount: 2, lastAuditAt: now - 9 * MONTH, launchedAt: now - 15 * MONTH, tvlUsd: "90000000", adminKey: "multisig", oracleDependence: "custom", chains: ["base"], dependsOn: [] } },
  ] as const;
}
