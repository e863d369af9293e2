/**
 * `npm run bench` ends here: one table from bench-results/*.json (written by bench:gas, bench:api,
 * bench:keeper), each figure with its target and whether it meets it. Exits 1 if a file is missing.
 */
import { existsSync, readFileSync } from "node:fs";

type Row = { area: string; measure: string; value: string; target: string; ok: boolean | null };
const rows: Row[] = [];
const missing: string[] = [];
const load = <T>(name: string): T | null => {
  const path = `bench-results/${name}.json`;
  if (!existsSync(path)) {
    missing.push(path);
    return null;
  }
  return JSON.parse(readFileSync(path, "utf8")) as T;
};
const fmt = (n: number) => n.toLocaleString("en-US");
const add = (area: string, measure: string, value: number | string, target?: { max: number; label?: string }) =>
  rows.push({
    area, measure, value: typeof value === "number" ? fmt(value) : value,
    target: target ? `≤ ${target.label ?? fmt(target.max)}` : "", ok: target && typeof value === "number" ? value <= target.max : null,
  });

const gas = load<{ buyCover: number; buyCoverFor: number; fire: Record<string, number>; settlePerPolicy: Record<string, number>; erc20BatchPerRecipient: Record<string, number> }>("gas");
if (gas) {
  add("gas", "buyCover (steady state)", gas.buyCover, { max: 150_000 });
  add("gas", "buyCoverFor (steady state)", gas.buyCoverFor);
  add("gas", "fire tvlDrop / paused / depeg", `${fmt(gas.fire.tvlDrop!)} / ${fmt(gas.fire.paused!)} / ${fmt(gas.fire.depeg!)}`);
  if (gas.fire.depegLong !== undefined) add("gas", "fire a 1,440-round depeg (advance + fire)", gas.fire.depegLong, { max: 5_000_000 });
  add("gas", "settle per policy, batch of 100", gas.settlePerPolicy["100"]!);
  add("gas", "settle ÷ ERC-20 batch floor at 100", +(gas.settlePerPolicy["100"]! / gas.erc20BatchPerRecipient["100"]!).toFixed(3), { max: 1.3 });
}
const api = load<{ quote: { p50_ms: number; p99_ms: number; rps: number }; health: { p50_ms: number }; quoteToHealthP50: number; d1QueriesPerQuote: number; d1WritesBeforeResponse: number }>("api");
if (api) {
  add("api", "quote p50 / p99 (ms)", `${api.quote.p50_ms} / ${api.quote.p99_ms}`);
  add("api", "quote throughput (rps, 8 in flight)", api.quote.rps);
  add("api", "quote p50 ÷ health p50", api.quoteToHealthP50, { max: 3 });
  add("api", "D1 queries per quote", api.d1QueriesPerQuote, { max: 3 });
  add("api", "D1 writes before the quote's response", api.d1WritesBeforeResponse, { max: 0 });
}
const keeper = load<{ detectionToPayoutIntervals: number; detectionToPayout: { intervalSeconds: number; meanIntervals: number }; tick: Record<string, { subrequests: number; d1Queries: number; cpuMs: number }> }>("keeper");
if (keeper) {
  add("keeper", `detection → payout, worst (cron ${keeper.detectionToPayout.intervalSeconds} s)`, keeper.detectionToPayoutIntervals, { max: 1.5, label: "1.5 intervals" });
  add("keeper", "detection → payout, mean", keeper.detectionToPayout.meanIntervals);
  for (const [size, t] of Object.entries(keeper.tick)) {
    add("keeper", `${size}-product run: subrequests`, t.subrequests, size !== "100" ? { max: 50 } : undefined);
    add("keeper", `${size}-product run: D1 queries`, t.d1Queries, size !== "100" ? { max: 50 } : undefined);
    add("keeper", `${size}-product run: CPU ms (workerd)`, t.cpuMs);
  }
}

const head = ["area", "measure", "value", "target", ""];
const table = rows.map((r) => [r.area, r.measure, r.value, r.target, r.ok === null ? "" : r.ok ? "met" : "MISSED"]);
const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
const print = (r: string[]) => console.log(r.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd());
console.log();
print(head);
print(widths.map((w) => "─".repeat(w)));
for (const r of table) print(r);
const missed = rows.filter((r) => r.ok === false).length;
console.log(`\n${rows.filter((r) => r.ok !== null).length - missed} targets met, ${missed} missed.`);
if (missing.length) {
  console.error(`missing: ${missing.join(", ")} (run npm run bench:gas / bench:api / bench:keeper)`);
  process.exit(1);
}
