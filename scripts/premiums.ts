/**
 * npm run premiums: the sample catalog priced by the real premium model (workers/pricing/), as
 * the README's table shows it: 10,000 lUSD for 30 days on an empty 2× pool (demand 1×), each
 * product on its sample protocol; then pairs that show what a trigger's terms do to the price.
 */
import { zeroAddress, type Address } from "viem";
import type { ProtocolRow } from "../db/queries/protocols";
import { quotePremium } from "../workers/pricing/premium";
import { productFrequency, riskInputsOf } from "../workers/services/protocols";
import { sampleProtocols, sampleTerms } from "./lib/sample";
import { kindLookup, kindNamed, kindNames, type TriggerKind } from "../workers/triggers/index";
import { productTerms } from "./lib/kindWords";

const USD = 1_000_000n;
const NOW = Math.floor(Date.now() / 1000);
const AMOUNT = 10_000n * USD;
const DAYS = 30;
const LEVERAGE_BPS = 20_000; // deploy/local.json and deploy/base-sepolia.json

const addr = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;
const protocols = sampleProtocols(NOW);
const rowOf = (id: string): ProtocolRow => {
  const p = protocols.find((x) => x.id === id)!;
  return { id: p.id, createdAt: NOW, updatedAt: NOW, ...p.body } as unknown as ProtocolRow;
};
const protocolOfProduct = (productId: number) => protocols.find((p) => (p.products as readonly number[]).includes(productId))!.id;

function price(kind: TriggerKind, params: unknown, protocolId: string) {
  const protocol = rowOf(protocolId);
  const paramsJson = JSON.stringify(params, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  const f = productFrequency({ triggerKind: kind, paramsJson }, protocol, NOW);
  if (!f.ok) throw new Error(`${kind}: ${f.detail}`);
  const frequency = f.frequency;
  const q = quotePremium(riskInputsOf(protocol), {
    amount: AMOUNT, durationDays: DAYS, frequency, productMultiplierBps: 10_000, leverageBps: LEVERAGE_BPS,
    capacityLeft: 10n ** 30n, poolActiveCover: 0n, poolCapacity: 10n ** 30n, minimumPremium: USD,
  }, NOW);
  if (!q.ok) throw new Error(`${kind}: ${q.reason}`);
  return q;
}
const pct = (e18: bigint) => `${(Number(e18 / 10n ** 12n) / 1e4).toFixed(2)}%`;
const bps = (b: number) => `${(b / 100).toFixed(2)}%`;
const usd = (x: bigint) => `${(Number(x / 10_000n) / 100).toFixed(2)}`;
const row = (name: string, protocolId: string, q: ReturnType<typeof price>) =>
  `| ${name} | ${protocolId} | ${pct(BigInt(q.breakdown.tripFrequencyE18))} | ${bps(q.breakdown.expectedLossBps)} | ${bps(q.breakdown.capitalChargeBps)} | ${bps(q.breakdown.expensesBps)} | ${bps(q.breakdown.annualRateBps)} | ${usd(q.premium)} |`;

const terms = sampleTerms({ lending: addr(1), dex: addr(2), staking: addr(3), usdPrice: addr(4), protocol: addr(5) });
console.log(`10,000 lUSD for ${DAYS} days, ${LEVERAGE_BPS / 10_000}× pool, demand 1× (npm run premiums, ${new Date(NOW * 1000).toISOString().slice(0, 10)})\n`);
console.log("| product | protocol | λ a year | expected loss | capital | expenses | annual rate | premium (lUSD) |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
// Each kind's contract at a placeholder address: the parameters are encoded as the operator lists
// them, then read back in words as D1 holds them (`describeParams`).
const triggerOf = (k: TriggerKind) => addr(0x100 + kindNames.indexOf(k));
const lookup = kindLookup(new Map(kindNames.map((k) => [triggerOf(k), k])));
terms.forEach((t, i) => {
  const kind = t.trigger.kind as TriggerKind;
  const { params } = productTerms(t.trigger, triggerOf);
  console.log(row(`${i + 1}. ${t.name}`, protocolOfProduct(i + 1), price(kind, kindNamed(kind).describeParams(params, lookup), protocolOfProduct(i + 1))));
});
console.log("\nWhat the terms do (same protocols):\n");
console.log("| terms | protocol | λ a year | expected loss | capital | expenses | annual rate | premium (lUSD) |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
const depeg = (threshold: bigint, d: number) => ({ feed: addr(4), thresholdE18: threshold.toString(), durationSeconds: d, maxAgeSeconds: 86_400, sequencerFeed: zeroAddress, sequencerGraceSeconds: 0 });
const tvl = (drop: number) => ({ feed: addr(1), dropBps: drop, windowSeconds: 86_400, maxAgeSeconds: 172_800, sequencerFeed: zeroAddress, sequencerGraceSeconds: 0 });
for (const [name, kind, params, p] of [
  ["depeg below $0.995 for 1 h", "depeg", depeg(995n * 10n ** 15n, 3_600), "steadyusd"],
  ["depeg below $0.97 for 24 h (product 5)", "depeg", depeg(97n * 10n ** 16n, 86_400), "steadyusd"],
  ["depeg below $0.90 for 2 h", "depeg", depeg(90n * 10n ** 16n, 7_200), "steadyusd"],
  ["TVL −30% in 24 h", "tvl_drop", tvl(3_000), "lendwise-v2"],
  ["TVL −50% in 24 h (product 1)", "tvl_drop", tvl(5_000), "lendwise-v2"],
  ["TVL −80% in 24 h", "tvl_drop", tvl(8_000), "lendwise-v2"],
  ["share price −10% for 1 h", "share_price", { vault: addr(6), dropBps: 1_000, durationSeconds: 3_600, maxGapSeconds: 600, maxGrowthBpsPerYear: 5_000 }, "lendwise-v2"],
  ["oracle ≥ 10% off the reference for 30 min", "oracle_deviation", { feed: addr(7), referenceFeed: addr(8), deviationBps: 1_000, durationSeconds: 1_800, maxGapSeconds: 600, maxAgeSeconds: 3_600 }, "lendwise-v2"],
] as const) {
  kindNamed(kind); // a kind of the table
  console.log(row(name, p, price(kind, params, p)));
}
