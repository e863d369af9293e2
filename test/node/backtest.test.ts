import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { judge, runBacktest } from "../../workers/pricing/backtest";
import { parseIncidents, type Incident } from "../../workers/pricing/incidents";

const rows = parseIncidents(readFileSync("data/incidents-2020-2023.csv", "utf8"));
const run = runBacktest(rows);
const base: Incident = {
  line: 2, date: "2023-03-11", day: 0, protocol: "X", category: "lending", chain: "Ethereum", kind: "exploit", lossUsd: null, tvlBeforeUsd: null, tvlAfterUsd: null,
  paused: "unknown", durationSeconds: null, audited: "unknown", source: "s", minPriceE18: null, durationLevel: "", notes: "",
};

describe("the back-test on the shared incident set", () => {
  it("covers 2020–2023; the LPs' return is positive every year; every tripped product is paid in full", () => {
    expect(run.years.map((y) => y.year)).toEqual([2020, 2021, 2022, 2023]);
    for (const y of run.years) {
      expect(y.lpReturnBps).toBeGreaterThan(0);
      expect(y.premiumsEarned).toBeGreaterThan(y.claimsPaid);
      expect(y.claimsPaid).toBe(y.claimsDue); // never short at default parameters
      expect(y.worstStressCoverageBps).toBeGreaterThanOrEqual(10_000); // the book is sized so the worst scenario is covered
    }
    const tripped = run.incidents.filter((i) => i.productId !== null);
    expect(tripped.map((i) => [i.protocol, i.productId])).toEqual([
      ["Harvest Finance", 1], ["Ronin Bridge halt", 4], ["Euler Finance v1", 1], ["Aave V2/V3 guardian pause", 4], ["KyberSwap Elastic", 2],
    ]);
    for (const i of tripped) expect(i.paidShareBps).toBe(10_000);
    expect(run.incidents).toHaveLength(rows.length); // every row has a verdict: nothing skipped
  });

  it("names the basis risk of what did not pay: Curve's −47% and Cream's −23% are short of a 50% drop; USDT's 6 h below $0.99 is short of 24 h", () => {
    const of = (p: string) => run.incidents.find((i) => i.protocol.startsWith(p))!;
    expect(of("Curve Finance")).toMatchObject({ productId: null, code: "fall-short", paidShareBps: 0 });
    expect(of("Curve Finance").reason).toContain("TVL fell 46.9%");
    expect(of("Cream Finance v1")).toMatchObject({ code: "fall-short" });
    expect(of("Tether (USDT)")).toMatchObject({ code: "depeg-short" });
    expect(of("Anchor Protocol")).toMatchObject({ code: "fall-short" }); // a run caused by UST: −38%
  });

  it("judges a depeg by what the file can establish: below a lower level long enough pays; the same time at a higher level does not; unknown is unknown", () => {
    const depeg = (min: string, level: string, hours: number | null) => judge({ ...base, category: "stablecoin", kind: "depeg", minPriceE18: BigInt(Math.round(Number(min) * 1e6)) * 10n ** 12n, durationLevel: level, durationSeconds: hours === null ? null : hours * 3600 })[0]!.verdict;
    expect(depeg("0.88", "<0.95", 30)).toMatchObject({ pays: true }); // ≥ 30 h below $0.95, so below $0.97
    expect(depeg("0.95", "<0.99", 6)).toMatchObject({ pays: false, code: "depeg-short" }); // ≤ 6 h below $0.99
    expect(depeg("0.88", "<0.95", 13)).toBeNull(); // 13 h below $0.95: below $0.97 for ≥ 13 h, maybe 24
    expect(depeg("0.975", "", null)).toMatchObject({ pays: false, code: "not-below" });
    // A TVL fall exactly at the product's 50% pays; a hair less does not.
    const tvl = (after: bigint) => judge({ ...base, tvlBeforeUsd: 1_000_000n, tvlAfterUsd: after })[0]!.verdict;
    expect(tvl(500_000n)).toMatchObject({ pays: true });
    expect(tvl(500_001n)).toMatchObject({ pays: false, code: "fall-short" });
  });

  it("npm run backtest writes bench-results/backtest.json; a malformed incident file is refused with its line", () => {
    const dir = mkdtempSync(join(tmpdir(), "backtest-"));
    const bad = join(dir, "bad.csv");
    const lines = readFileSync("data/incidents-2020-2023.csv", "utf8").split(/\r?\n/);
    writeFileSync(bad, [lines[0], lines[1], lines[2]!.replace("exploit", "hack")].join("\n") + "\n");
    let err: { status: number; stderr: string } | null = null;
    try {
      execFileSync("npx", ["tsx", "scripts/backtest.ts", "--incidents", bad], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      err = e as { status: number; stderr: string };
    }
    expect(err?.status).toBe(1);
    expect(err?.stderr).toMatch(/line 3: kind: "hack"/);
    const out = execFileSync("npx", ["tsx", "scripts/backtest.ts"], { encoding: "utf8" });
    expect(out).toContain("wrote bench-results/backtest.json");
    const json = JSON.parse(readFileSync("bench-results/backtest.json", "utf8")) as { years: { year: number; premiumsEarned: string; claimsPaid: string; lpReturnBps: number; worstStressCoverageBps: number }[]; incidents: { date: string; protocol: string; kind: string; productId: number | null; paidShareBps: number; reason: string }[] };
    expect(json.years).toHaveLength(4);
    expect(json.years[0]).toMatchObject({ year: 2020, premiumsEarned: run.years[0]!.premiumsEarned.toString(), claimsPaid: run.years[0]!.claimsPaid.toString() });
    expect(json.incidents).toHaveLength(98);
    expect(Object.keys(json.incidents[0]!)).toEqual(expect.arrayContaining(["date", "protocol", "kind", "productId", "paidShareBps", "reason"]));
  }, 60_000);
});
