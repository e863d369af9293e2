/**
 * How often a product's trigger would pay, per year: the premium model's first factor. Each
 * trigger kind's module (workers/triggers/) maps its parameters onto one of the curves here; the
 * calibrated rates come from ./calibrated.ts (derived from the incident file), the shapes are:
 *
 *   exploit loss:   P(a protocol loses ≥ X of its TVL or backing | exploit) = sqrt(1 − X)
 *   depth:          λ(d) = λ_notable × sqrt((n + d_ref) / (n + d)), d = $1 − threshold, n the noise floor
 *   duration:       P(lasts ≥ D | happened) = sqrt(τ / (τ + D)) (½ at the median, 3τ)
 *
 * Every curve is strictly monotone, so a stricter threshold or a shorter duration always costs
 * more. All bigint, rates in 1e18 fixed point a year (1e18 = once a year).
 */
import { CALIBRATION } from "./calibrated";
import { ASSUMPTIONS, isqrt, E18, type Calibration, type Category } from "./calibration";

const YEAR = 365n * 86_400n;

/** One factor of a frequency, for the quote's breakdown. `e18`: its value (a rate a year, or a multiplier, × 1e18). */
export type FrequencyStep = { factor: string; e18: bigint; reason: string };
export type Frequency = { perYearE18: bigint; steps: FrequencyStep[] };

/** What a frequency knows of the covered protocol. */
export type FrequencyContext = {
  category: Category;
  /** The protocol's risk rate over the reference rate (./premium's REFERENCE_RATE_BPS), × 1e18. */
  riskMultiplierE18: bigint;
  /** The protocol's recorded incidents and launch time (a stablecoin's own depeg history). */
  incidentCount: number;
  launchedAt: number;
  now: number;
};

const mul = (a: bigint, b: bigint) => (a * b) / E18;
const pctOf = (e18: bigint) => `${(Number((e18 * 10_000n) / E18) / 100).toFixed(2)}%`;

/** sqrt(scale / (scale + x)) × 1e18: 1 at x = 0, ½ at x = 3·scale, strictly falling. */
export function durationSurvivalE18(scale: bigint, x: bigint): bigint {
  const xx = x < 0n ? 0n : x;
  return isqrt((scale * E18 * E18) / (scale + xx));
}

/** sqrt(1 − X) × 1e18 for a loss X (e18): 1 at 0, 0 at a total loss, strictly falling. */
export function lossSurvivalE18(lossE18: bigint): bigint {
  const x = lossE18 < 0n ? 0n : lossE18 > E18 ? E18 : lossE18;
  return isqrt((E18 - x) * E18);
}

/** The notable-depeg rate scaled to a depth d (1e18 of $1 below the peg): sqrt((n + d_ref) / (n + d)). */
export function depthFactorE18(deviationE18: bigint, c: Calibration = CALIBRATION): bigint {
  const d = deviationE18 < 0n ? 0n : deviationE18;
  const n = ASSUMPTIONS.depegNoiseE18;
  return isqrt(((n + c.depegRefDeviationE18) * E18 * E18) / (n + d));
}

const seconds = (s: number | bigint) => BigInt(s);

/** An exploit that takes ≥ `dropBps` of the protocol's TVL (TVL-drop) or of its vault's backing (share price). */
export function exploitFrequency(ctx: FrequencyContext, dropBps: number, what: string): Frequency {
  const base = CALIBRATION.exploitRateE18[ctx.category];
  const loss = lossSurvivalE18((BigInt(dropBps) * E18) / 10_000n);
  const steps: FrequencyStep[] = [
    { factor: "exploit_rate", e18: base, reason: `${CALIBRATION.exploitCounts[ctx.category]} ${ctx.category} exploits in ${CALIBRATION.protocolYears[ctx.category]} protocol-years (incident file; protocol-years assumed)` },
    { factor: "protocol_risk", e18: ctx.riskMultiplierE18, reason: "the protocol's risk rate over the reference rate" },
    { factor: "loss_at_least", e18: loss, reason: `P(an exploit takes ≥ ${dropBps / 100}% of ${what}) = sqrt(1 − X)` },
  ];
  return { perYearE18: mul(mul(base, ctx.riskMultiplierE18), loss), steps };
}

/** The stablecoin stays below `thresholdE18` for at least `durationSeconds`. */
export function depegFrequency(ctx: FrequencyContext, thresholdE18: bigint, durationSeconds: number): Frequency {
  // The coin's own rate: its recorded incidents over its life, blended with the population's rate
  // at a prior weight of ASSUMPTIONS.depegPriorYears.
  const life = ctx.now > ctx.launchedAt ? seconds(ctx.now - ctx.launchedAt) : 0n;
  const prior = ASSUMPTIONS.depegPriorYears * YEAR;
  const own = (BigInt(ctx.incidentCount) * E18 * YEAR + CALIBRATION.depegRateE18 * prior) / (life + prior);
  const deviation = 10n ** 18n - thresholdE18;
  const depth = depthFactorE18(deviation);
  const lasts = durationSurvivalE18(CALIBRATION.depegDurationTauSeconds, seconds(durationSeconds));
  return {
    perYearE18: mul(mul(own, depth), lasts),
    steps: [
      { factor: "depeg_rate", e18: own, reason: `notable depegs (≥ ${pctOf(CALIBRATION.depegRefDeviationE18)} below $1): ${CALIBRATION.depegCount} in ${ASSUMPTIONS.stablecoinsTracked * ASSUMPTIONS.years} coin-years, blended with this coin's ${ctx.incidentCount} recorded incident(s)` },
      { factor: "depth", e18: depth, reason: `below ${pctOf(deviation > 0n ? deviation : 0n)} under $1: sqrt((n + d_ref) / (n + d))` },
      { factor: "lasts_at_least", e18: lasts, reason: `stays below for ≥ ${durationSeconds} s: sqrt(τ / (τ + D)), τ ${CALIBRATION.depegDurationTauSeconds} s` },
    ],
  };
}

/** The protocol stays paused for at least `durationSeconds`. */
export function pauseFrequency(ctx: FrequencyContext, durationSeconds: number): Frequency {
  const lasts = durationSurvivalE18(CALIBRATION.pauseDurationTauSeconds, seconds(durationSeconds));
  return {
    perYearE18: mul(mul(CALIBRATION.pauseRateE18, ctx.riskMultiplierE18), lasts),
    steps: [
      { factor: "pause_rate", e18: CALIBRATION.pauseRateE18, reason: `${CALIBRATION.pauseCount} pauses in ${ASSUMPTIONS.protocolsPerYear * ASSUMPTIONS.years} protocol-years (incident file)` },
      { factor: "protocol_risk", e18: ctx.riskMultiplierE18, reason: "the protocol's risk rate over the reference rate" },
      { factor: "lasts_at_least", e18: lasts, reason: `paused for ≥ ${durationSeconds} s: sqrt(τ / (τ + D)), τ ${CALIBRATION.pauseDurationTauSeconds} s` },
    ],
  };
}

/** The protocol's oracle stays ≥ `deviationBps` from the reference for at least `durationSeconds`. */
export function oracleDeviationFrequency(ctx: FrequencyContext, deviationBps: number, durationSeconds: number): Frequency {
  const size = durationSurvivalE18(CALIBRATION.oracleDeviationScaleE18, (BigInt(deviationBps) * E18) / 10_000n);
  const lasts = durationSurvivalE18(CALIBRATION.oracleDurationTauSeconds, seconds(durationSeconds));
  return {
    perYearE18: mul(mul(mul(CALIBRATION.oracleManipulationRateE18, ctx.riskMultiplierE18), size), lasts),
    steps: [
      { factor: "oracle_manipulation_rate", e18: CALIBRATION.oracleManipulationRateE18, reason: `${CALIBRATION.oracleManipulationCount} oracle manipulations in ${ASSUMPTIONS.protocolsPerYear * ASSUMPTIONS.years} protocol-years (incident file)` },
      { factor: "protocol_risk", e18: ctx.riskMultiplierE18, reason: "the protocol's risk rate over the reference rate" },
      { factor: "deviation_at_least", e18: size, reason: `moves the price ≥ ${deviationBps / 100}%: sqrt(c / (c + X)), median assumed` },
      { factor: "lasts_at_least", e18: lasts, reason: `for ≥ ${durationSeconds} s: sqrt(τ / (τ + D)), median assumed` },
    ],
  };
}

/** A composite pays only when every leg trips: never more often than its rarest leg. */
export function allOfFrequency(legs: Frequency[]): Frequency {
  if (legs.length === 0) return { perYearE18: 0n, steps: [] };
  const rarest = legs.reduce((m, l) => (l.perYearE18 < m.perYearE18 ? l : m));
  return {
    perYearE18: rarest.perYearE18,
    steps: [...rarest.steps, { factor: "all_of", e18: E18, reason: `the rarest of ${legs.length} legs (an upper bound: the legs must coincide)` }],
  };
}

/** The keeper's own record of a product (db/queries/products `historySelect`). */
export type OwnHistory = { from: number | null; to: number | null; daysAtTrigger: number };

/** How much the model's λ weighs against the keeper's own record of the product: a year of it. */
export const OWN_HISTORY_PRIOR_SECONDS = 365n * 86_400n;

/**
 * λ blended with the product's own record (a credibility weight): the days on which the keeper saw
 * a reading at or past the trigger level count as trips (an upper bound: the trigger may need the
 * level held for longer), over the seconds the record spans, against the model's λ weighted as a
 * year of record. A clean record lowers λ slowly (a year of it halves it); days at the trigger
 * raise it fast. No record, no change.
 */
export function withOwnHistory(f: Frequency, h: OwnHistory | null | undefined): Frequency {
  if (!h || h.from === null || h.to === null || h.to <= h.from) return f;
  const span = BigInt(h.to - h.from);
  const blended = (BigInt(h.daysAtTrigger) * E18 * YEAR + f.perYearE18 * OWN_HISTORY_PRIOR_SECONDS) / (span + OWN_HISTORY_PRIOR_SECONDS);
  return {
    perYearE18: blended,
    steps: [
      ...f.steps,
      { factor: "own_history", e18: blended, reason: `λ blended with the keeper's record: ${h.daysAtTrigger} day(s) at the trigger level in ${Math.round(Number(span) / 86_400)} day(s), against the model weighted as a year of record` },
    ],
  };
}
