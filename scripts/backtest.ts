/**
 * npm run backtest [-- --incidents FILE]: replays the sample catalog's book through the real
 * pricing and capital code against an incident file (default data/incidents-2020-2023.csv, or any
 * file with its columns; a malformed row is an error with its line). Prints the years and the
 * incidents and writes bench-results/backtest.json (amounts as decimal strings of base units).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { runBacktest, VERDICT_WORDS, type VerdictCode } from "../workers/pricing/backtest";
import { incidentsFromArgs } from "./lib/incidents";

const { file, rows } = incidentsFromArgs(process.argv.slice(2));
const r = runBacktest(rows);
const usd = (x: bigint) => (Number(x / 10_000n) / 100).toLocaleString("en-US", { maximumFractionDigits: 0 });
const bps = (b: number) => `${(b / 100).toFixed(2)}%`;
console.log(`${file}: ${rows.length} incidents; pool ${usd(r.config.assets)} lUSD at ${r.config.leverageBps / 10_000}× a year, demand at ${Number(r.config.utilisationBps) / 100}% of capacity\n`);
console.log("| year | products | cover each | premiums earned | claims paid | LP return | worst stress coverage |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
for (const y of r.years) console.log(`| ${y.year} | ${y.products} | ${usd(y.coverPerProduct)} | ${usd(y.premiumsEarned)} | ${usd(y.claimsPaid)} | ${bps(y.lpReturnBps)} | ${bps(y.worstStressCoverageBps)} (${y.worstScenario}) |`);
const paid = r.incidents.filter((i) => i.productId !== null);
console.log(`\n${paid.length} of ${r.incidents.length} incidents would have paid a product:\n`);
console.log("| date | protocol | kind | product | paid | why |");
console.log("| --- | --- | --- | ---: | ---: | --- |");
for (const i of paid) console.log(`| ${i.date} | ${i.protocol} | ${i.kind} | ${i.productId} | ${bps(i.paidShareBps)} | ${i.reason} |`);
const reasons = new Map<VerdictCode, string[]>();
for (const i of r.incidents.filter((x) => x.productId === null)) reasons.set(i.code, [...(reasons.get(i.code) ?? []), `${i.protocol} (${i.date})`]);
console.log(`\nBasis risk: ${r.incidents.length - paid.length} incidents paid nothing:\n`);
for (const [code, who] of [...reasons].sort((a, b) => b[1].length - a[1].length)) {
  console.log(`- ${who.length} × ${VERDICT_WORDS[code]}${code === "unrecorded" ? "" : `: ${who.join(", ")}`}`);
}
mkdirSync("bench-results", { recursive: true });
const json = JSON.stringify(
  {
    incidentsFile: file,
    config: r.config,
    years: r.years.map((y) => ({ year: y.year, products: y.products, coverPerProduct: y.coverPerProduct, premiumsEarned: y.premiumsEarned, claimsDue: y.claimsDue, claimsPaid: y.claimsPaid, lpReturnBps: y.lpReturnBps, worstStressCoverageBps: y.worstStressCoverageBps, worstScenario: y.worstScenario })),
    incidents: r.incidents.map((i) => ({ line: i.line, date: i.date, protocol: i.protocol, kind: i.kind, productId: i.productId, paidShareBps: i.paidShareBps, paid: i.paid, basisRisk: i.code === "paid" ? null : i.code, reason: i.reason })),
  },
  (_k, v) => (typeof v === "bigint" ? v.toString() : v),
  2,
);
writeFileSync("bench-results/backtest.json", json + "\n");
console.log("\nwrote bench-results/backtest.json");
