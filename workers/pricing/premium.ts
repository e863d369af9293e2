/**
 * premium = amount × annual rate × duration / 365 days × demand multiplier, rounded up in base
 * units, and never below the minimum premium. All bigint; no floats near an amount.
 */
import { daysToSeconds } from "../chain/quote";
import { riskRate, type Adjustment, type Refusal, type RiskInputs } from "./risk";

const BPS = 10_000n;
const YEAR_SECONDS = 365n * 86_400n;
export const MIN_DURATION_DAYS = 1;
export const MAX_DURATION_DAYS = 365;

export type PremiumRequest = {
  /** Cover amount in base units. */
  amount: bigint;
  durationDays: number;
  /** The product's rate multiplier (10000 = as the protocol's risk rate). */
  productMultiplierBps: number;
  /** Cover the pool can still sell for this product, in base units (min of pool and product cap). */
  capacityLeft: bigint;
  /** Cover already active in the pool and the pool's total capacity, for utilisation. */
  poolActiveCover: bigint;
  poolCapacity: bigint;
  /** Smallest premium charged, in base units. */
  minimumPremium: bigint;
};

export type Breakdown = {
  baseRateBps: number;
  adjustments: Adjustment[];
  protocolRateBps: number;
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

  const annualRateBps = ceilDiv(BigInt(risk.annualRateBps) * BigInt(req.productMultiplierBps), BPS);
  const utilisationAfterBps =
    req.poolCapacity > 0n ? Number(ceilDiv((req.poolActiveCover + req.amount) * BPS, req.poolCapacity)) : 10_000;
  const demand = demandMultiplierBps(utilisationAfterBps);
  const durationSeconds = daysToSeconds(req.durationDays);
  const raw = ceilDiv(req.amount * annualRateBps * durationSeconds * BigInt(demand), BPS * YEAR_SECONDS * BPS);
  const premium = raw > req.minimumPremium ? raw : req.minimumPremium;
  if (premium > req.amount) {
    return { ok: false, code: "amount_invalid", reason: `Cover of ${req.amount} base units is below the minimum premium of ${premium}.` };
  }
  return {
    ok: true,
    premium,
    breakdown: {
      baseRateBps: risk.baseRateBps,
      adjustments: risk.adjustments,
      protocolRateBps: risk.annualRateBps,
      productMultiplierBps: req.productMultiplierBps,
      annualRateBps: Number(annualRateBps),
      utilisationAfterBps,
      demandMultiplierBps: demand,
      durationDays: req.durationDays,
      premiumBeforeMinimum: raw,
      minimumPremium: req.minimumPremium,
      premium,
    },
  };
}
