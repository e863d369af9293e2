/**
 * The premium from what the trigger pays (all bigint; rates in 1e18 fixed point a year):
 *
 *   expected loss   EL = P(the trigger pays within the term) × payout, a year: min(1, λ·T) / T
 *   capital charge  COST_OF_CAPITAL × the capital a unit of cover ties up: the larger of 1 / the
 *                   pool's leverage (its on-chain limit) and the stress capital it needs (the share
 *                   of the pool's cover its worst stress scenario would lose, ./stress)
 *   expenses        EXPENSES (keeper gas, oracle reads, operations)
 *   annual rate     max(EL, (EL + capital + expenses) × product multiplier) × demand multiplier
 *   premium         amount × annual rate × duration / 365 days, rounded up, ≥ the minimum premium
 *
 * λ, the trigger's frequency a year, comes from the product's trigger kind and parameters
 * (./frequency.ts, calibrated on the incident file); the protocol's risk inputs (./risk.ts) refuse
 * a protocol or scale its exploit rates. The rate never falls below the expected loss, whatever
 * the multipliers.
 */
import { daysToSeconds } from "../chain/quote";
import { E18 } from "./calibration";
import type { Frequency } from "./frequency";
import { riskRate, type Adjustment, type Refusal, type RiskInputs } from "./risk";

const BPS = 10_000n;
const YEAR_SECONDS = 365n * 86_400n;
export const MIN_DURATION_DAYS = 1;
export const MAX_DURATION_DAYS = 365;
/** Return LPs ask a year on the capital a policy ties up (an assumption; see the README's model). */
export const COST_OF_CAPITAL_BPS = 600n;
/** Running costs a year per unit of cover: keeper gas, oracle reads, operations (an assumption). */
export const EXPENSES_BPS = 50n;
/** The risk rate of a typical covered protocol: its exploit rates are the category's (1×). */
export const REFERENCE_RATE_BPS = 400;

/** The protocol's risk rate over the reference rate, × 1e18: what scales its exploit rates. */
export const riskMultiplierE18 = (annualRateBps: number) => (BigInt(annualRateBps) * E18) / BigInt(REFERENCE_RATE_BPS);

export type PremiumRequest = {
  /** Cover amount in base units. */
  amount: bigint;
  durationDays: number;
  /** How often the product's trigger pays, a year (its kind's `tripFrequency`). */
  frequency: Frequency;
  /** The product's rate multiplier on the loaded rate (10000 = 1×); never takes the rate below the expected loss. */
  productMultiplierBps: number;
  /** The pool's leverage (cover per unit of capital, bps): a unit of cover ties up at least its inverse. */
  leverageBps: number;
  /**
   * The stress capital a unit of this cover needs, 1e18 = all of it: the loss of the worst stress
   * scenario the product belongs to (with this cover) over the pool's cover (with it). 0 when
   * not known: the leverage alone decides.
   */
  stressShareE18?: bigint;
  /** The integrator's share of the premium (bps): the pool's share must still cover the expected loss. */
  integratorFeeBps?: number;
  /** Cover the pool can still sell for this product, in base units (min of pool and product cap). */
  capacityLeft: bigint;
  /** Cover already active in the pool and the pool's total capacity, for utilisation. */
  poolActiveCover: bigint;
  poolCapacity: bigint;
  /** Smallest premium charged, in base units. */
  minimumPremium: bigint;
};

/** A frequency step as the API shows it (its e18 as a decimal string). */
export type BreakdownStep = { factor: string; e18: string; reason: string };

export type Breakdown = {
  baseRateBps: number;
  adjustments: Adjustment[];
  protocolRateBps: number;
  /** λ: how often the trigger pays a year, e18, and its factors. */
  tripFrequencyE18: string;
  tripFrequency: BreakdownStep[];
  /** P(the trigger pays within the term), e18. */
  paysWithinTermE18: string;
  expectedLossBps: number;
  /** The capital a unit of cover ties up (bps of the cover) and what it costs a year. */
  capitalPerCoverBps: number;
  capitalChargeBps: number;
  expensesBps: number;
  productMultiplierBps: number;
  annualRateBps: number;
  utilisationAfterBps: number;
  demandMultiplierBps: number;
  durationDays: number;
  premiumBeforeMinimum: bigint;
  minimumPremium: bigint;
  premium: bigint;
};

export type PremiumQuote = { ok: true; premium: bigint; breakdown: Breakdown };
export type PremiumRefusal = Refusal | { ok: false; code: "capacity_exceeded" | "duration_out_of_range" | "amount_invalid"; reason: string };

/** Demand multiplier for utilisation after this cover: 1× up to 50%, 1.3× at 80%, 2× at 100%. */
export function demandMultiplierBps(utilisationBps: number): number {
  if (utilisationBps <= 5_000) return 10_000;
  if (utilisationBps <= 8_000) return 10_000 + Math.ceil(((utilisationBps - 5_000) * 3_000) / 3_000);
  return 13_000 + Math.ceil(((Math.min(utilisationBps, 10_000) - 8_000) * 7_000) / 2_000);
}

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
/** e18 a year → bps a year, rounded up (what the breakdown shows; the premium uses the e18). */
const toBps = (e18: bigint) => Number(ceilDiv(e18, E18 / BPS));

/**
 * The annual rate before the demand multiplier, and its parts, for a trigger that pays
 * `frequencyE18` times a year, over a term of `durationSeconds`.
 */
export function annualRateE18(frequencyE18: bigint, durationSeconds: bigint, productMultiplierBps: number, leverageBps: number, stressShareE18 = 0n, integratorFeeBps = 0) {
  // P(pays within the term) ≤ λ·T (a Poisson count's P(≥ 1) = 1 − e^{−λT} ≤ λT), capped at 1:
  // an upper bound, so the expected loss is never understated.
  const lt = ceilDiv(frequencyE18 * durationSeconds, YEAR_SECONDS);
  const paysWithinTermE18 = lt > E18 ? E18 : lt;
  const expectedLossE18 = ceilDiv(paysWithinTermE18 * YEAR_SECONDS, durationSeconds);
  const byLeverage = ceilDiv(E18 * BPS, BigInt(leverageBps));
  const share = stressShareE18 > E18 ? E18 : stressShareE18;
  const capitalPerCoverE18 = share > byLeverage ? share : byLeverage;
  const capitalE18 = ceilDiv(COST_OF_CAPITAL_BPS * capitalPerCoverE18, BPS);
  const expensesE18 = EXPENSES_BPS * (E18 / BPS);
  const loaded = ceilDiv((expectedLossE18 + capitalE18 + expensesE18) * BigInt(productMultiplierBps), BPS);
  // The floor is on what the pool keeps: an integrator's share comes out of the premium.
  const fee = BigInt(Math.min(Math.max(integratorFeeBps, 0), 9_999));
  const floor = ceilDiv(expectedLossE18 * BPS, BPS - fee);
  return { paysWithinTermE18, expectedLossE18, capitalPerCoverE18, capitalE18, expensesE18, beforeDemandE18: loaded > floor ? loaded : floor };
}

export function quotePremium(inputs: RiskInputs, req: PremiumRequest, now: number): PremiumQuote | PremiumRefusal {
  if (req.amount <= 0n) return { ok: false, code: "amount_invalid", reason: "The cover amount must be positive." };
  if (!Number.isInteger(req.durationDays) || req.durationDays < MIN_DURATION_DAYS || req.durationDays > MAX_DURATION_DAYS) {
    return { ok: false, code: "duration_out_of_range", reason: `Duration must be ${MIN_DURATION_DAYS} to ${MAX_DURATION_DAYS} whole days.` };
  }
  if (req.amount > req.capacityLeft) {
    return { ok: false, code: "capacity_exceeded", reason: `Only ${req.capacityLeft} base units of cover are left for this product.` };
  }
  const risk = riskRate(inputs, now);
  if (!risk.ok) return risk;

  if (!Number.isInteger(req.leverageBps) || req.leverageBps <= 0) {
    return { ok: false, code: "amount_invalid", reason: "The pool's leverage must be positive to price cover." };
  }
  const durationSeconds = daysToSeconds(req.durationDays);
  const rates = annualRateE18(req.frequency.perYearE18, durationSeconds, req.productMultiplierBps, req.leverageBps, req.stressShareE18 ?? 0n, req.integratorFeeBps ?? 0);
  const utilisationAfterBps =
    req.poolCapacity > 0n ? Number(ceilDiv((req.poolActiveCover + req.amount) * BPS, req.poolCapacity)) : 10_000;
  const demand = demandMultiplierBps(utilisationAfterBps);
  const rateE18 = ceilDiv(rates.beforeDemandE18 * BigInt(demand), BPS);
  const raw = ceilDiv(req.amount * rateE18 * durationSeconds, E18 * YEAR_SECONDS);
  const premium = raw > req.minimumPremium ? raw : req.minimumPremium;
  if (premium > req.amount) {
    return { ok: false, code: "amount_invalid", reason: `Cover of ${req.amount} base units is below the premium of ${premium}.` };
  }
  return {
    ok: true,
    premium,
    breakdown: {
      baseRateBps: risk.baseRateBps,
      adjustments: risk.adjustments,
      protocolRateBps: risk.annualRateBps,
      tripFrequencyE18: req.frequency.perYearE18.toString(),
      tripFrequency: req.frequency.steps.map((x) => ({ factor: x.factor, e18: x.e18.toString(), reason: x.reason })),
      paysWithinTermE18: rates.paysWithinTermE18.toString(),
      expectedLossBps: toBps(rates.expectedLossE18),
      capitalPerCoverBps: toBps(rates.capitalPerCoverE18),
      capitalChargeBps: toBps(rates.capitalE18),
      expensesBps: toBps(rates.expensesE18),
      productMultiplierBps: req.productMultiplierBps,
      annualRateBps: toBps(rateE18),
      utilisationAfterBps,
      demandMultiplierBps: demand,
      durationDays: req.durationDays,
      premiumBeforeMinimum: raw,
      minimumPremium: req.minimumPremium,
      premium,
    },
  };
}
