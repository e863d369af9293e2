/**
 * The premium model's calibration: what it takes from the incident file, and the assumptions it
 * adds where the file says nothing (each named, with why). `deriveCalibration` is pure; the numbers
 * the Worker prices with are its output for data/incidents-2020-2023.csv, written to
 * ./calibrated.ts by `npm run calibrate` (a test re-derives them and fails if they drift).
 * Rates are per year in 1e18 fixed point (1e18 = once a year); no floats.
 */
import type { Incident, IncidentCategory } from "./incidents";

export const E18 = 10n ** 18n;

/** Our protocol categories (db/schema's `protocols.category`). */
export const CATEGORIES = ["lending", "dex", "staking", "stablecoin", "bridge", "other"] as const;
export type Category = (typeof CATEGORIES)[number];

/** The file's categories on ours: yield aggregators and derivatives are `other` here. */
export const CATEGORY_OF: Record<IncidentCategory, Category> = {
  lending: "lending", dex: "dex", bridge: "bridge", stablecoin: "stablecoin", staking: "staking", yield: "other", derivatives: "other", other: "other",
};

/**
 * What the file does not say. Each is an assumption, stated in the README with its reason;
 * changing one changes every rate derived from it.
 */
export const ASSUMPTIONS = {
  /**
   * Protocols a year of the population the file samples: DeFi protocols large enough to be
   * covered (TVL ≥ $10M). Order of magnitude of DeFiLlama's protocol list for 2020–2023; not counted
   * from a source here, so it is the model's first number to replace with a counted one.
   */
  protocolsPerYear: 400n,
  /** How that population splits by category, bps (sums to 10,000). `other` holds yield and derivatives. */
  categoryShareBps: { lending: 1_500n, dex: 2_500n, staking: 700n, stablecoin: 1_000n, bridge: 800n, other: 3_500n } as Record<Category, bigint>,
  /** Fiat-backed and algorithmic stablecoins the file's depegs are drawn from (Chainlink-fed, > $100M supply). */
  stablecoinsTracked: 12n,
  /**
   * Below this deviation from $1 a stablecoin feed's moves are noise (a Chainlink stablecoin feed
   * posts on a 0.1–0.25% deviation): the depth curve's floor, 0.1% in e18.
   */
  depegNoiseE18: 1_000_000_000_000_000n,
  /** An oracle manipulation moves the protocol's price by this much or more half the time (1e18 of the price): 50%. */
  oracleDeviationMedianE18: 500_000_000_000_000_000n,
  /** …and lasts this long or longer half the time (one block to a TWAP's window): 45 minutes. */
  oracleDurationMedianSeconds: 2_700n,
  /** Years of history the file covers: calendar years 2020–2023. */
  years: 4n,
  /** Prior weight (years at the population's rate) in a stablecoin's own depeg rate. */
  depegPriorYears: 2n,
} as const;

export type Calibration = {
  /** Exploits (exploit, oracle manipulation, rug, governance attack) per protocol-year, by category. */
  exploitRateE18: Record<Category, bigint>;
  exploitCounts: Record<Category, number>;
  protocolYears: Record<Category, bigint>;
  /** Oracle manipulations per protocol-year (all categories). */
  oracleManipulationRateE18: bigint;
  oracleManipulationCount: number;
  /** Pauses (pause rows and exploits that paused) per protocol-year. */
  pauseRateE18: bigint;
  pauseCount: number;
  /** Notable depegs (the file's depeg rows of stablecoins) per stablecoin-year, and the shallowest one's deviation (1e18 of $1). */
  depegRateE18: bigint;
  depegCount: number;
  depegRefDeviationE18: bigint;
  /** The median of the recorded depeg lows' deviations (1e18 of $1): the depth curve's check. */
  depegMedianDeviationE18: bigint;
  /** Duration scales τ (seconds) of the survival sqrt(τ / (τ + D)), from the recorded durations' geometric mean. */
  depegDurationTauSeconds: bigint;
  pauseDurationTauSeconds: bigint;
  oracleDeviationScaleE18: bigint;
  oracleDurationTauSeconds: bigint;
  /** The TVL falls recorded with an exploit (before → after), 1e18 of the TVL lost: the loss curve's check. */
  exploitDropsE18: bigint[];
};

export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError("isqrt of a negative number");
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** Geometric mean of positive integers, rounded down. */
function geoMean(xs: bigint[]): bigint {
  // Pairwise: sqrt(a·b) for two; for more, the n-th root by bisection on the product.
  const product = xs.reduce((p, x) => p * x, 1n);
  const n = BigInt(xs.length);
  let lo = 0n;
  let hi = xs.reduce((m, x) => (x > m ? x : m), 0n) + 1n;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (mid ** n <= product) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * A survival sqrt(τ / (τ + D)) is ½ at D = 3τ: τ is a third of the median. With a median m, and a
 * survival sqrt(c / (c + X)) of a size X, likewise c = m / 3.
 */
const scaleOfMedian = (median: bigint) => median / 3n;

const EXPLOIT_KINDS = new Set(["exploit", "oracle-manipulation", "rug", "governance-attack"]);

export function deriveCalibration(rows: Incident[], a = ASSUMPTIONS): Calibration {
  const protocolYears = Object.fromEntries(CATEGORIES.map((c) => [c, (a.protocolsPerYear * a.years * a.categoryShareBps[c]) / 10_000n])) as Record<Category, bigint>;
  const exploitCounts = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  for (const r of rows) if (EXPLOIT_KINDS.has(r.kind)) exploitCounts[CATEGORY_OF[r.category]]++;
  const exploitRateE18 = Object.fromEntries(CATEGORIES.map((c) => [c, (BigInt(exploitCounts[c]) * E18) / protocolYears[c]])) as Record<Category, bigint>;
  const allYears = a.protocolsPerYear * a.years;

  const oracleManipulationCount = rows.filter((r) => r.kind === "oracle-manipulation").length;
  const pauses = rows.filter((r) => r.kind === "pause" || r.paused === "yes");
  const depegs = rows.filter((r) => r.kind === "depeg" && r.category === "stablecoin");
  const deviations = rows
    .filter((r) => r.kind === "depeg" && r.minPriceE18 !== null && r.minPriceE18 < 10n ** 18n)
    .map((r) => 10n ** 18n - r.minPriceE18!)
    .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  if (deviations.length === 0) throw new Error("calibration: no depeg low (min_price) in the file");
  const median = (xs: bigint[]) => (xs.length % 2 === 1 ? xs[(xs.length - 1) / 2]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2n);
  const durations = (xs: Incident[]) => xs.filter((r) => r.durationSeconds !== null && r.durationSeconds > 0).map((r) => BigInt(r.durationSeconds!));
  const depegDurations = durations(rows.filter((r) => r.kind === "depeg"));
  const pauseDurations = durations(rows.filter((r) => r.kind === "pause"));
  if (depegDurations.length === 0 || pauseDurations.length === 0) throw new Error("calibration: the file needs a depeg and a pause duration");

  return {
    exploitRateE18,
    exploitCounts,
    protocolYears,
    oracleManipulationRateE18: (BigInt(oracleManipulationCount) * E18) / allYears,
    oracleManipulationCount,
    pauseRateE18: (BigInt(pauses.length) * E18) / allYears,
    pauseCount: pauses.length,
    depegRateE18: (BigInt(depegs.length) * E18) / (a.stablecoinsTracked * a.years),
    depegCount: depegs.length,
    depegRefDeviationE18: deviations[0]!,
    depegMedianDeviationE18: median(deviations),
    depegDurationTauSeconds: scaleOfMedian(geoMean(depegDurations)),
    pauseDurationTauSeconds: scaleOfMedian(geoMean(pauseDurations)),
    oracleDeviationScaleE18: scaleOfMedian(a.oracleDeviationMedianE18),
    oracleDurationTauSeconds: scaleOfMedian(a.oracleDurationMedianSeconds),
    exploitDropsE18: rows
      .filter((r) => EXPLOIT_KINDS.has(r.kind) && r.tvlBeforeUsd !== null && r.tvlAfterUsd !== null && r.tvlBeforeUsd > 0n)
      .map((r) => ((r.tvlBeforeUsd! - (r.tvlAfterUsd! < r.tvlBeforeUsd! ? r.tvlAfterUsd! : r.tvlBeforeUsd!)) * E18) / r.tvlBeforeUsd!),
  };
}

/** ./calibrated.ts as `npm run calibrate` writes it. */
export function calibrationSource(c: Calibration, from: string): string {
  const big = (x: bigint) => `${x}n`;
  const rec = (r: Record<string, bigint | number>) => `{ ${Object.entries(r).map(([k, v]) => `${k}: ${typeof v === "bigint" ? big(v) : v}`).join(", ")} }`;
  return `// Generated by \`npm run calibrate\` from ${from}: do not edit (test/node/calibration.test.ts re-derives it).
import type { Calibration } from "./calibration";

export const CALIBRATION: Calibration = {
  exploitRateE18: ${rec(c.exploitRateE18)},
  exploitCounts: ${rec(c.exploitCounts)},
  protocolYears: ${rec(c.protocolYears)},
  oracleManipulationRateE18: ${big(c.oracleManipulationRateE18)},
  oracleManipulationCount: ${c.oracleManipulationCount},
  pauseRateE18: ${big(c.pauseRateE18)},
  pauseCount: ${c.pauseCount},
  depegRateE18: ${big(c.depegRateE18)},
  depegCount: ${c.depegCount},
  depegRefDeviationE18: ${big(c.depegRefDeviationE18)},
  depegMedianDeviationE18: ${big(c.depegMedianDeviationE18)},
  depegDurationTauSeconds: ${big(c.depegDurationTauSeconds)},
  pauseDurationTauSeconds: ${big(c.pauseDurationTauSeconds)},
  oracleDeviationScaleE18: ${big(c.oracleDeviationScaleE18)},
  oracleDurationTauSeconds: ${big(c.oracleDurationTauSeconds)},
  exploitDropsE18: [${c.exploitDropsE18.map(big).join(", ")}],
};
`;
}
