/**
 * The back-test: a realistic book replayed through the real pricing (./premium, ./frequency) and
 * capital (./stress) code, year by year, against an incident file. Pure and deterministic; amounts
 * in base units (bigint). scripts/backtest.ts reads the file and writes bench-results/backtest.json.
 *
 * The book. Each year the covered population of ./calibration's ASSUMPTIONS (400 protocols, split
 * by category) holds the sample catalog's products at their default parameters, by category:
 * every protocol a TVL-drop product (−50% in 24 h; in units for staking), lending and bridge
 * protocols also a pause product (≥ 6 h) and lending an all-of (TVL drop and pause within 24 h),
 * stablecoins a depeg product (below $0.97 for 24 h). Protocols are spread over chains. Demand:
 * cover sold through the year, a policy for the month on every product each month (12 cohorts, the same
 * amount each, as much as the stress scenarios and the pool's leverage allow: a target
 * utilisation of the capacity), each priced by the real model when it is bought. An incident
 * hits the cohort active on its day. The pool's assets at the start of each year are the LPs'.
 *
 * The incidents. Each incident hits one protocol of its category. It pays the products whose
 * terms it meets, judged from what the file records (TVL before and after, the depeg's low and
 * how long it stayed below which level, the pause's length); when the file cannot establish
 * whether a product's terms were met, nothing is paid and the reason says so: that is basis risk
 * as far as the record goes. Claims of a year are paid pro rata when they exceed the assets.
 */
import { ASSUMPTIONS, CATEGORY_OF, E18, type Category } from "./calibration";
import { allOfFrequency, depegFrequency, exploitFrequency, pauseFrequency, type Frequency, type FrequencyContext } from "./frequency";
import type { Incident } from "./incidents";
import { quotePremium, riskMultiplierE18 } from "./premium";
import { riskRate, type RiskInputs } from "./risk";
import { scenarios, type BookEntry, type RiskProtocol } from "./stress";

/** The sample catalog's products (scripts/lib/sample.ts, ids 1–6) at their default parameters. */
export const CATALOG = {
  tvlLending: { productId: 1, name: "TVL −50% in 24 h", dropBps: 5_000 },
  tvlDex: { productId: 2, name: "TVL −50% in 24 h", dropBps: 5_000 },
  tvlUnits: { productId: 3, name: "TVL −50% in 24 h, in units", dropBps: 5_000 },
  paused: { productId: 4, name: "paused ≥ 6 h", durationSeconds: 6 * 3_600 },
  depeg: { productId: 5, name: "below $0.97 for 24 h", thresholdE18: 97n * 10n ** 16n, durationSeconds: 86_400 },
  allOf: { productId: 6, name: "TVL −50% and paused ≥ 6 h within 24 h" },
} as const;
type ProductKey = keyof typeof CATALOG;

/** Which of the catalog's products a protocol of each category holds. */
export const PRODUCTS_OF: Record<Category, ProductKey[]> = {
  lending: ["tvlLending", "paused", "allOf"],
  dex: ["tvlDex"],
  staking: ["tvlUnits"],
  stablecoin: ["depeg"],
  bridge: ["tvlLending", "paused"],
  other: ["tvlLending"],
};

/** How the simulated protocols spread over chains (bps; each chain's halt is a stress scenario). */
export const CHAIN_SHARE_BPS: [string, bigint][] = [["ethereum", 5_000n], ["arbitrum", 2_000n], ["base", 1_500n], ["bsc", 1_500n]];

export type BacktestConfig = {
  /** LP assets at the start of every year, base units. */
  assets: bigint;
  leverageBps: number;
  /** Share of the capacity the year's demand fills, bps. */
  utilisationBps: bigint;
  /** A typical covered protocol's risk inputs (its risk rate is the reference: 1×). */
  typical: (now: number) => RiskInputs;
};

const YEAR = 365 * 86_400;
const USD = 1_000_000n;
export const DEFAULT_BACKTEST: BacktestConfig = {
  assets: 10_000_000n * USD,
  leverageBps: 20_000,
  utilisationBps: 7_000n,
  // 200 + 75 (two audits) + 100 (multisig) + 25 (chainlink) = 400 bps: REFERENCE_RATE_BPS.
  typical: (now) => ({ auditCount: 2, lastAuditAt: now - 180 * 86_400, launchedAt: now - 3 * YEAR, tvlUsd: 500_000_000n, incidentCount: 0, lastIncidentAt: null, adminKey: "multisig", upgradeable: false, oracleDependence: "chainlink" }),
};

export type YearResult = { year: number; products: number; coverPerProduct: bigint; premiumsEarned: bigint; claimsPaid: bigint; claimsDue: bigint; lpReturnBps: number; worstStressCoverageBps: number; worstScenario: string };
export type IncidentResult = { line: number; date: string; protocol: string; kind: string; category: Category; productId: number | null; paidShareBps: number; paid: bigint; reason: string; code: VerdictCode };
export type Backtest = { config: { assets: bigint; leverageBps: number; utilisationBps: bigint }; years: YearResult[]; incidents: IncidentResult[] };

/** A price level named by `duration_level` ("<0.95", "<0.99 continuous"), 18 decimals. */
function levelOf(text: string): bigint | null {
  const m = /^<\s*(\d+(?:\.\d+)?)/.exec(text.trim());
  if (!m) return null;
  const [whole, frac = ""] = m[1]!.split(".");
  if (frac.length > 18) return null;
  return BigInt(whole!) * E18 + BigInt((frac + "0".repeat(18)).slice(0, 18));
}

/** Why a product paid or did not; `code` groups the basis risk in the back-test's summary. */
export type VerdictCode = "paid" | "unrecorded" | "fall-short" | "pause-short" | "depeg-short" | "not-below" | "other-kind" | "not-paused";
type Verdict = { pays: boolean; reason: string; code: VerdictCode };
export const VERDICT_WORDS: Record<VerdictCode, string> = {
  paid: "paid",
  unrecorded: "the file does not record enough to tell whether the terms were met (no TVL before and after, no depeg or pause duration)",
  "fall-short": "the TVL fell, but less than the product's drop",
  "pause-short": "paused, but shorter than the product's duration",
  "depeg-short": "below the peg, but for less than the product's duration",
  "not-below": "the depeg's low never crossed the product's threshold",
  "other-kind": "an incident of a kind none of the protocol's products covers (an exploit of a stablecoin's contracts, a pause without a TVL fall)",
  "not-paused": "the protocol was not paused",
};
const pct = (e18: bigint) => `${(Number((e18 * 1_000n) / E18) / 10).toFixed(1)}%`;

/** Whether an exploit-like incident meets "TVL −X in 24 h", as far as the file records. */
function tvlVerdict(i: Incident, dropBps: number): Verdict | null {
  if (i.tvlBeforeUsd === null || i.tvlAfterUsd === null || i.tvlBeforeUsd === 0n) return null;
  const drop = ((i.tvlBeforeUsd - (i.tvlAfterUsd < i.tvlBeforeUsd ? i.tvlAfterUsd : i.tvlBeforeUsd)) * E18) / i.tvlBeforeUsd;
  const need = (BigInt(dropBps) * E18) / 10_000n;
  return drop >= need
    ? { pays: true, code: "paid", reason: `TVL fell ${pct(drop)} (${i.tvlBeforeUsd} → ${i.tvlAfterUsd} USD), at least the ${dropBps / 100}% the product needs` }
    : { pays: false, code: "fall-short", reason: `basis risk: TVL fell ${pct(drop)}, less than the ${dropBps / 100}% the product needs` };
}

/** Whether a pause meets "paused ≥ D", as far as the file records. */
function pauseVerdict(i: Incident, durationSeconds: number): Verdict | null {
  if (i.durationSeconds === null || !/pause/i.test(i.durationLevel) && i.kind !== "pause") return null;
  return i.durationSeconds >= durationSeconds
    ? { pays: true, code: "paid", reason: `paused for ${Math.round(i.durationSeconds / 3600)} h, at least the ${durationSeconds / 3600} h the product needs` }
    : { pays: false, code: "pause-short", reason: `basis risk: paused for ${Math.round(i.durationSeconds / 3600)} h, less than ${durationSeconds / 3600} h` };
}

/** Whether a depeg meets "below p for D": the low must be under p; the time below p is bounded by what the file says at its level. */
function depegVerdict(i: Incident, thresholdE18: bigint, durationSeconds: number): Verdict | null {
  if (i.minPriceE18 === null) return null;
  if (i.minPriceE18 >= thresholdE18) return { pays: false, code: "not-below", reason: `basis risk: the low was ${pct(i.minPriceE18)} of $1, not below the threshold` };
  const level = levelOf(i.durationLevel);
  if (i.durationSeconds === null || level === null) return null;
  const hours = (s: number) => `${(s / 3600).toFixed(1)} h`;
  // At a level at or above the threshold, time below the threshold was at most the recorded duration.
  if (level >= thresholdE18 && i.durationSeconds < durationSeconds) {
    return { pays: false, code: "depeg-short", reason: `basis risk: below ${i.durationLevel} for only ${hours(i.durationSeconds)}, so below the threshold for less than the ${hours(durationSeconds)} the product needs` };
  }
  // At a level below the threshold, time below the threshold was at least the recorded duration.
  if (level < thresholdE18 && i.durationSeconds >= durationSeconds) {
    return { pays: true, code: "paid", reason: `below ${i.durationLevel} for ${hours(i.durationSeconds)}: below the threshold for at least the ${hours(durationSeconds)} the product needs` };
  }
  return null;
}

const EXPLOIT_KINDS = new Set(["exploit", "oracle-manipulation", "rug", "governance-attack"]);

/** What each of a protocol's catalog products would have done in an incident, and why. */
export function judge(i: Incident): { product: ProductKey; verdict: Verdict | null }[] {
  const category = CATEGORY_OF[i.category];
  return PRODUCTS_OF[category].map((product) => {
    const p = CATALOG[product];
    if (product === "depeg") return { product, verdict: i.kind === "depeg" ? depegVerdict(i, CATALOG.depeg.thresholdE18, CATALOG.depeg.durationSeconds) : { pays: false, code: "other-kind", reason: `basis risk: a ${i.kind}, not a depeg: the depeg product does not pay` } };
    if (product === "paused") return { product, verdict: i.kind === "pause" || i.paused === "yes" ? pauseVerdict(i, CATALOG.paused.durationSeconds) : i.paused === "no" ? { pays: false, code: "not-paused", reason: "basis risk: not paused" } : null };
    if (product === "allOf") {
      const tvl = EXPLOIT_KINDS.has(i.kind) ? tvlVerdict(i, CATALOG.tvlLending.dropBps) : null;
      const pause = i.kind === "pause" || i.paused === "yes" ? pauseVerdict(i, CATALOG.paused.durationSeconds) : null;
      if (tvl && !tvl.pays) return { product, verdict: tvl };
      if (pause && !pause.pays) return { product, verdict: pause };
      return { product, verdict: tvl && pause ? { pays: true, code: "paid", reason: `${tvl.reason}; ${pause.reason}` } : null };
    }
    // A TVL-drop product.
    if (i.kind === "depeg" || i.kind === "pause") return { product, verdict: i.tvlBeforeUsd !== null ? tvlVerdict(i, (p as { dropBps: number }).dropBps) : { pays: false, code: "other-kind", reason: `basis risk: a ${i.kind} with no TVL fall recorded: the TVL product does not pay on it` } };
    return { product, verdict: tvlVerdict(i, (p as { dropBps: number }).dropBps) };
  });
}

function frequencyOf(product: ProductKey, ctx: FrequencyContext): Frequency {
  switch (product) {
    case "depeg": return depegFrequency(ctx, CATALOG.depeg.thresholdE18, CATALOG.depeg.durationSeconds);
    case "paused": return pauseFrequency(ctx, CATALOG.paused.durationSeconds);
    case "allOf": return allOfFrequency([exploitFrequency(ctx, CATALOG.tvlLending.dropBps, "its TVL"), pauseFrequency(ctx, CATALOG.paused.durationSeconds)]);
    default: return exploitFrequency(ctx, CATALOG[product].dropBps, "its TVL");
  }
}

/** Runs the back-test over the calendar years the incidents span. */
export function runBacktest(rows: Incident[], c: BacktestConfig = DEFAULT_BACKTEST): Backtest {
  if (rows.length === 0) return { config: { assets: c.assets, leverageBps: c.leverageBps, utilisationBps: c.utilisationBps }, years: [], incidents: [] };
  const yearOf = (i: Incident) => Number(i.date.slice(0, 4));
  const first = Math.min(...rows.map(yearOf));
  const last = Math.max(...rows.map(yearOf));
  const years: YearResult[] = [];
  const incidents: IncidentResult[] = [];
  for (let year = first; year <= last; year++) {
    // The population: protocols by category, spread over chains.
    const protocols: RiskProtocol[] = [];
    const book: (BookEntry & { key: ProductKey; category: Category })[] = [];
    const shares = Object.entries(ASSUMPTIONS.categoryShareBps) as [Category, bigint][];
    let n = 0;
    for (const [category, share] of shares) {
      const count = Number((ASSUMPTIONS.protocolsPerYear * share) / 10_000n);
      for (let k = 0; k < count; k++, n++) {
        // Chains in proportion, by the protocol's place in the population.
        let acc = 0n;
        const at = BigInt(n % 100) * 100n;
        const chain = CHAIN_SHARE_BPS.find(([, s]) => (acc += s) > at)![0];
        const id = `${category}-${k}`;
        protocols.push({ id, name: id, category, chains: [chain], dependsOn: [] });
        for (const key of PRODUCTS_OF[category]) book.push({ productId: book.length + 1, protocolId: id, activeCover: 0n, key, category });
      }
    }
    // Demand: the same cover on every product, as much as the leverage and the stress scenarios allow.
    const capacity = (c.assets * BigInt(c.leverageBps)) / 10_000n;
    let cover = (capacity * c.utilisationBps) / 10_000n / BigInt(book.length);
    const fill = (x: bigint) => scenarios(book.map((b) => ({ ...b, activeCover: x })), protocols);
    const worstLoss = (x: bigint) => fill(x)[0]!.loss;
    if (worstLoss(cover) > c.assets) {
      // Largest cover per product whose worst scenario stays within the assets.
      let lo = 0n;
      let hi = cover;
      while (hi - lo > 1n) {
        const mid = (lo + hi) / 2n;
        if (worstLoss(mid) <= c.assets) lo = mid;
        else hi = mid;
      }
      cover = lo;
    }
    cover -= cover % USD; // whole units
    const stress = fill(cover);
    const worst = stress[0]!;
    // Premiums: a policy for the month (28–31 days) on every product each month (12 cohorts), priced by the
    // real model on the day it is bought (the first of the month).
    let premiums = 0n;
    const totalCover = cover * BigInt(book.length);
    const shareOf = new Map<number, bigint>();
    // The stress capital each product needs: the worst scenario it belongs to over the book's cover.
    for (const sc of stress) for (const id of sc.products) if (!shareOf.has(id)) shareOf.set(id, totalCover === 0n ? 0n : (sc.loss * E18) / totalCover); // worst first
    for (let month = 0; month < 12; month++) {
      const bought = Date.UTC(year, month, 1) / 1000;
      const days = (Date.UTC(year, month + 1, 1) / 1000 - bought) / 86_400; // the month's length: no day uncovered
      const typical = c.typical(bought);
      const risk = riskRate(typical, bought);
      if (!risk.ok) throw new Error(`the typical protocol is refused: ${risk.reason}`);
      const premiumOf = new Map<string, bigint>();
      for (const b of book) {
        const share = shareOf.get(b.productId) ?? 0n;
        const memo = `${b.key}:${b.category}:${share}`;
        let p = premiumOf.get(memo);
        if (p === undefined) {
          const ctx: FrequencyContext = { category: b.category, riskMultiplierE18: riskMultiplierE18(risk.annualRateBps), incidentCount: typical.incidentCount, launchedAt: typical.launchedAt, now: bought };
          const q = quotePremium(typical, {
            amount: cover, durationDays: days, frequency: frequencyOf(b.key, ctx), productMultiplierBps: 10_000, leverageBps: c.leverageBps, stressShareE18: share,
            capacityLeft: capacity, poolActiveCover: totalCover - cover, poolCapacity: capacity, minimumPremium: USD,
          }, bought);
          if (!q.ok) throw new Error(`${b.key}: ${q.reason}`);
          p = q.premium;
          premiumOf.set(memo, p);
        }
        premiums += p;
      }
    }
    // Claims: each incident of the year hits one protocol of its category.
    const due: { result: IncidentResult; amount: bigint }[] = [];
    for (const i of rows.filter((r) => yearOf(r) === year)) {
      const verdicts = judge(i);
      const paying = verdicts.filter((v) => v.verdict?.pays);
      const category = CATEGORY_OF[i.category];
      const reason = paying.length > 0
        ? paying.map((v) => `${CATALOG[v.product].name}: ${v.verdict!.reason}`).join("; ")
        : verdicts.map((v) => `${CATALOG[v.product].name}: ${v.verdict ? v.verdict.reason : "basis risk: the file does not record enough to tell whether its terms were met"}`).join("; ");
      // The basis risk's code: the first product's established reason, else "unrecorded".
      const code: VerdictCode = paying.length > 0 ? "paid" : verdicts.find((v) => v.verdict)?.verdict!.code ?? "unrecorded";
      const result: IncidentResult = { line: i.line, date: i.date, protocol: i.protocol, kind: i.kind, category, productId: paying.length > 0 ? CATALOG[paying[0]!.product].productId : null, paidShareBps: 0, paid: 0n, reason, code };
      due.push({ result, amount: cover * BigInt(paying.length) });
      incidents.push(result);
    }
    const claimsDue = due.reduce((s, d) => s + d.amount, 0n);
    // The pool pays from its assets and the year's premiums; pro rata if short.
    const available = c.assets + premiums;
    let paid = 0n;
    for (const d of due) {
      if (d.amount === 0n) continue;
      const share = claimsDue <= available ? d.amount : (d.amount * available) / claimsDue;
      d.result.paid = share;
      d.result.paidShareBps = Number((share * 10_000n) / d.amount);
      paid += share;
    }
    years.push({
      year,
      products: book.length,
      coverPerProduct: cover,
      premiumsEarned: premiums,
      claimsPaid: paid,
      claimsDue,
      lpReturnBps: Number(((premiums - paid) * 10_000n) / c.assets),
      worstStressCoverageBps: worst.loss === 0n ? 10_000 : Number((c.assets * 10_000n) / worst.loss),
      worstScenario: worst.id,
    });
  }
  return { config: { assets: c.assets, leverageBps: c.leverageBps, utilisationBps: c.utilisationBps }, years, incidents };
}
