import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { calibrationSource, deriveCalibration, E18, isqrt } from "../../workers/pricing/calibration";
import { IncidentFileError, parseIncidents } from "../../workers/pricing/incidents";

const FILE = "data/incidents-2020-2023.csv";
const text = readFileSync(FILE, "utf8");
const header = text.split(/\r?\n/)[0]!;
const row = (o: Record<string, string> = {}) => {
  const base: Record<string, string> = {
    date: "2023-03-11", protocol: "USD Coin", category: "stablecoin", chain: "Ethereum", kind: "depeg", loss_usd: "", tvl_before_usd: "", tvl_after_usd: "",
    paused: "unknown", duration_hours: "13.22", audited: "unknown", source: "https://example.org/a, b", min_price: "0.88", duration_level: "<0.95", notes: 'said "continuous"',
  };
  const v = { ...base, ...o };
  const q = (x: string) => (/[",\n]/.test(x) ? `"${x.replaceAll('"', '""')}"` : x);
  return header.split(",").map((c) => q(v[c]!)).join(",");
};
const lineOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof IncidentFileError) return { line: e.line, message: e.message };
    throw e;
  }
  return null;
};

describe("the incident file", () => {
  it("parses all 98 rows of the shared set, amounts and prices as integers", () => {
    const rows = parseIncidents(text);
    expect(rows).toHaveLength(98);
    const usdc = rows.find((r) => r.protocol.startsWith("USD Coin"))!;
    expect(usdc).toMatchObject({ kind: "depeg", minPriceE18: 880_000_000_000_000_000n, durationSeconds: 47_592, date: "2023-03-11" });
    const euler = rows.find((r) => r.protocol.startsWith("Euler"))!;
    expect([euler.tvlBeforeUsd, euler.tvlAfterUsd]).toEqual([264_000_000n, 10_000_000n]);
    // Quoted fields keep their commas.
    expect(rows.some((r) => r.notes.includes(","))).toBe(true);
  });

  it("a malformed row is an error naming its line, never skipped", () => {
    const file = (...rows: string[]) => [header, ...rows].join("\n") + "\n";
    expect(parseIncidents(file(row(), row({ protocol: "Two" })))).toHaveLength(2);
    expect(lineOf(() => parseIncidents(file(row(), row({ date: "2023-02-30" }))))).toMatchObject({ line: 3, message: expect.stringContaining("date") });
    expect(lineOf(() => parseIncidents(file(row({ kind: "hack" })))))
      .toMatchObject({ line: 2, message: expect.stringContaining("kind") });
    expect(lineOf(() => parseIncidents(file(row(), row(), row({ loss_usd: "1.5e6" })))))
      .toMatchObject({ line: 4, message: expect.stringContaining("loss_usd") });
    expect(lineOf(() => parseIncidents(file(row({ min_price: "-0.9" })))))
      .toMatchObject({ line: 2, message: expect.stringContaining("min_price") });
    expect(lineOf(() => parseIncidents(file(row(), row() + ",extra")))).toMatchObject({ line: 3, message: expect.stringContaining("16 fields") });
    expect(lineOf(() => parseIncidents(file(row(), '2023-01-01,"unclosed')))).toMatchObject({ line: 3, message: expect.stringContaining("never closed") });
    // A quoted newline: the next row's line is still counted right.
    expect(lineOf(() => parseIncidents(file(row({ notes: "two\nlines" }), row({ category: "cex" }))))).toMatchObject({ line: 4, message: expect.stringContaining("category") });
    expect(lineOf(() => parseIncidents(header.replace("min_price", "low") + "\n"))).toMatchObject({ line: 1, message: expect.stringContaining("min_price") });
  });
});

describe("the premium model's calibration", () => {
  it("workers/pricing/calibrated.ts is what `npm run calibrate` derives from the file (regenerate it when the file or an assumption changes)", () => {
    const derived = calibrationSource(deriveCalibration(parseIncidents(text)), FILE);
    expect(readFileSync("workers/pricing/calibrated.ts", "utf8")).toBe(derived);
  });

  it("derives the rates from counts in the file: 21 lending exploits in 240 protocol-years, 11 notable depegs in 48 coin-years", () => {
    const c = deriveCalibration(parseIncidents(text));
    expect(c.exploitCounts).toEqual({ lending: 21, dex: 15, staking: 1, stablecoin: 6, bridge: 13, other: 27 });
    expect(c.exploitRateE18.lending).toBe((21n * E18) / 240n);
    expect([c.depegCount, c.depegRateE18]).toEqual([11, (11n * E18) / 48n]);
    expect(c.depegRefDeviationE18).toBe(30_500_000_000_000_000n); // USDD, Dec 2022: $0.9695
    // Durations: USDT 6 h below $0.99 and USDC 13.22 h below $0.95 → geometric mean 8.9 h, τ a third of it.
    expect(c.depegDurationTauSeconds).toBe(isqrt(21_600n * 47_592n) / 3n);
    // The loss curve sqrt(1 − X) has mean 2/3; the exploits with TVL before and after lost 59% on average.
    const mean = c.exploitDropsE18.reduce((a, b) => a + b, 0n) / BigInt(c.exploitDropsE18.length);
    expect(Number(mean / 10n ** 16n)).toBe(59);
  });
});
