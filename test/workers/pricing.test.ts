import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { E18 } from "../../workers/pricing/calibration";
import { CALIBRATION } from "../../workers/pricing/calibrated";
import { withOwnHistory, type Frequency } from "../../workers/pricing/frequency";
import { COST_OF_CAPITAL_BPS, demandMultiplierBps, EXPENSES_BPS, quotePremium, riskMultiplierE18, type PremiumRequest } from "../../workers/pricing/premium";
import { riskRate, type RiskInputs } from "../../workers/pricing/risk";
import { kindLookup, kindNamed, type TriggerKind } from "../../workers/triggers/index";

const NOW = 1_790_000_000;
const MONTH = 30 * 86_400;
const USD = 1_000_000n;

const solid: RiskInputs = {
  auditCount: 3,
  lastAuditAt: NOW - 6 * MONTH,
  launchedAt: NOW - 48 * MONTH,
  tvlUsd: 1_500_000_000n,
  incidentCount: 0,
  lastIncidentAt: null,
  adminKey: "timelock_multisig",
  upgradeable: false,
  oracleDependence: "chainlink",
};
/** A product: its kind and parameters in words (as D1's params_json holds them). */
type Terms = { kind: TriggerKind; params: Record<string, unknown> };
const tvl = (dropBps = 5_000, windowSeconds = 86_400): Terms => ({ kind: "tvl_drop", params: { feed: "0x0000000000000000000000000000000000000001", dropBps, windowSeconds, maxAgeSeconds: 86_400, sequencerFeed: "0x0000000000000000000000000000000000000000", sequencerGraceSeconds: 0 } });
const depeg = (thresholdE18: bigint, durationSeconds: number): Terms => ({ kind: "depeg", params: { feed: "0x0000000000000000000000000000000000000001", thresholdE18: thresholdE18.toString(), durationSeconds, maxAgeSeconds: 86_400, sequencerFeed: "0x0000000000000000000000000000000000000000", sequencerGraceSeconds: 0 } });
const sharePrice = (dropBps: number, durationSeconds = 3_600): Terms => ({ kind: "share_price", params: { vault: "0x0000000000000000000000000000000000000001", dropBps, durationSeconds, maxGapSeconds: 600, maxGrowthBpsPerYear: 5_000 } });
const category = "lending" as const;

/** λ of a product on a protocol with these risk inputs (what the quote service computes). */
function frequencyOf(i: RiskInputs, t: Terms): Frequency {
  const r = riskRate(i, NOW);
  if (!r.ok) return { perYearE18: 0n, steps: [] };
  const ctx = { category, riskMultiplierE18: riskMultiplierE18(r.annualRateBps), incidentCount: i.incidentCount, launchedAt: i.launchedAt, now: NOW };
  return kindNamed(t.kind).tripFrequency(t.params, ctx, kindLookup())!;
}

const req: PremiumRequest = {
  amount: 10_000n * USD,
  durationDays: 30,
  frequency: frequencyOf(solid, tvl()),
  productMultiplierBps: 10_000,
  leverageBps: 20_000,
  capacityLeft: 1_000_000n * USD,
  poolActiveCover: 0n,
  poolCapacity: 1_000_000n * USD,
  minimumPremium: 1n * USD,
};

const inputs = fc.record({
  auditCount: fc.integer({ min: 1, max: 6 }),
  lastAuditAt: fc.integer({ min: NOW - 60 * MONTH, max: NOW }),
  launchedAt: fc.integer({ min: NOW - 120 * MONTH, max: NOW - 3 * MONTH }),
  tvlUsd: fc.bigInt({ min: 1_000_000n, max: 10_000_000_000n }),
  incidentCount: fc.integer({ min: 0, max: 3 }),
  lastIncidentAt: fc.option(fc.integer({ min: NOW - 60 * MONTH, max: NOW }), { nil: null }),
  adminKey: fc.constantFrom("immutable", "timelock_multisig", "multisig", "eoa" as const),
  upgradeable: fc.boolean(),
  oracleDependence: fc.constantFrom("none", "chainlink", "custom" as const),
}) as fc.Arbitrary<RiskInputs>;
const request = fc.record({
  amount: fc.bigInt({ min: 100n * USD, max: 500_000n * USD }),
  durationDays: fc.integer({ min: 1, max: 365 }),
  productMultiplierBps: fc.integer({ min: 5_000, max: 30_000 }),
  leverageBps: fc.integer({ min: 10_000, max: 50_000 }),
  poolActiveCover: fc.bigInt({ min: 0n, max: 400_000n * USD }),
  minimumPremium: fc.bigInt({ min: 0n, max: 5n * USD }),
}).map((r) => ({ ...r, capacityLeft: 1_000_000n * USD - r.poolActiveCover, poolCapacity: 1_000_000n * USD }));
const terms = fc.oneof(
  fc.integer({ min: 100, max: 9_900 }).map((x) => tvl(x)),
  fc.integer({ min: 100, max: 9_900 }).map((x) => sharePrice(x)),
  fc.tuple(fc.integer({ min: 500, max: 999_900 }), fc.integer({ min: 60, max: 7 * 86_400 })).map(([t, d]) => depeg(BigInt(t) * 10n ** 12n, d)),
);

const premiumOf = (i: RiskInputs, r: Omit<PremiumRequest, "frequency">, t: Terms = tvl()) => {
  const q = quotePremium(i, { ...r, frequency: frequencyOf(i, t) }, NOW);
  return q.ok ? q.premium : undefined;
};
const opts = { seed: 20261124, numRuns: 300 };

describe("risk rate", () => {
  it("prices a solid protocol with its breakdown: base 2% plus named adjustments", () => {
    const r = riskRate(solid, NOW);
    expect(r).toEqual({
      ok: true,
      baseRateBps: 200,
      adjustments: [
        { factor: "admin_key", bps: 25, reason: "admin key: timelock + multisig" },
        { factor: "oracle_dependence", bps: 25, reason: "oracle dependence: chainlink" },
      ],
      annualRateBps: 250,
    });
  });

  it("refuses unaudited, too new, too small and incident-ridden protocols with a reason", () => {
    expect(riskRate({ ...solid, auditCount: 0, lastAuditAt: null }, NOW)).toMatchObject({ ok: false, code: "unaudited" });
    expect(riskRate({ ...solid, launchedAt: NOW - 2 * MONTH }, NOW)).toMatchObject({ ok: false, code: "too_new" });
    expect(riskRate({ ...solid, tvlUsd: 999_999n }, NOW)).toMatchObject({ ok: false, code: "tvl_too_small" });
    expect(riskRate({ ...solid, incidentCount: 4 }, NOW)).toMatchObject({ ok: false, code: "too_many_incidents" });
  });

  it("refuses over the risk limit instead of pricing it", () => {
    const risky: RiskInputs = { ...solid, auditCount: 1, lastAuditAt: NOW - 30 * MONTH, launchedAt: NOW - 4 * MONTH, tvlUsd: 2_000_000n, incidentCount: 3, lastIncidentAt: NOW - MONTH, adminKey: "eoa", upgradeable: true, oracleDependence: "custom" };
    expect(riskRate(risky, NOW)).toMatchObject({ ok: false, code: "over_risk_limit" });
  });
});

describe("premium", () => {
  it("is expected loss + capital charge + expenses, × amount × days/365, rounded up: a 50% TVL drop on a solid lending protocol", () => {
    const q = quotePremium(solid, req, NOW);
    expect(q.ok).toBe(true);
    if (!q.ok) return;
    // λ = 8.75% (lending exploits a protocol-year) × 250/400 (risk) × sqrt(0.5) (loss ≥ 50%) = 3.867% a year
    const lambda = (((CALIBRATION.exploitRateE18.lending * 625_000_000_000_000_000n) / E18) * 707_106_781_186_547_524n) / E18;
    expect(req.frequency.perYearE18).toBe(lambda);
    // 30 days: P(pays) = λ·30/365 (rounded up), annualised back: EL ≈ λ
    const T = 30n * 86_400n, Y = 365n * 86_400n;
    const p = (lambda * T + Y - 1n) / Y;
    const el = (p * Y + T - 1n) / T;
    const capital = (COST_OF_CAPITAL_BPS * 10n ** 14n * 10_000n + 19_999n) / 20_000n; // 6% × 1/2×
    const rate = el + capital + EXPENSES_BPS * 10n ** 14n;
    expect(q.premium).toBe((req.amount * rate * T + E18 * Y - 1n) / (E18 * Y));
    expect(q.breakdown).toMatchObject({ expectedLossBps: 387, capitalChargeBps: 300, expensesBps: 50, annualRateBps: 737, utilisationAfterBps: 100, demandMultiplierBps: 10_000, durationDays: 30 });
    expect(q.breakdown.tripFrequency.map((x) => x.factor)).toEqual(["exploit_rate", "protocol_risk", "loss_at_least"]);
  });

  it("depeg: strictly dearer the closer the threshold is to $1, and the shorter the duration", () => {
    const big = { ...req, amount: 1_000_000n * USD, capacityLeft: 10_000_000n * USD, poolCapacity: 100_000_000n * USD };
    fc.assert(fc.property(
      fc.integer({ min: 5_000, max: 999_000 }), fc.integer({ min: 1, max: 900 }), fc.integer({ min: 600, max: 7 * 86_400 }), fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 1, max: 365 }),
      (t, up, d, more, days) => {
        const r = { ...big, durationDays: days };
        const lower = premiumOf(solid, r, depeg(BigInt(t) * 10n ** 12n, d));
        const closer = premiumOf(solid, r, depeg(BigInt(t + up) * 10n ** 12n, d));
        const longer = premiumOf(solid, r, depeg(BigInt(t) * 10n ** 12n, d + more));
        const f = frequencyOf(solid, depeg(BigInt(t + up) * 10n ** 12n, d));
        // Strictly while the trigger is not sure to pay within the term (then the price is the cover).
        if (f.perYearE18 * BigInt(days) < E18 * 365n) expect(closer!).toBeGreaterThan(lower!);
        else expect(closer!).toBeGreaterThanOrEqual(lower!);
        expect(longer!).toBeLessThan(lower!);
      }), opts);
  });

  it("TVL drop and share price: strictly dearer the smaller the drop that pays", () => {
    const big = { ...req, amount: 1_000_000n * USD, capacityLeft: 10_000_000n * USD, poolCapacity: 100_000_000n * USD };
    fc.assert(fc.property(fc.integer({ min: 100, max: 9_899 }), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 365 }), fc.boolean(), (x, less, days, vault) => {
      const make = vault ? sharePrice : tvl;
      const r = { ...big, durationDays: days };
      const small = premiumOf(solid, r, make(Math.max(1, x - less)));
      const large = premiumOf(solid, r, make(x));
      expect(small!).toBeGreaterThan(large!);
    }), opts);
  });

  it("what the pool keeps is never below the expected loss, whatever the product multiplier, leverage, integrator fee or minimum", () => {
    fc.assert(fc.property(inputs, request, terms, fc.integer({ min: 1_000, max: 50_000 }), fc.integer({ min: 0, max: 2_000 }), (i, r, t, mult, feeBps) => {
      const frequency = frequencyOf(i, t);
      const q = quotePremium(i, { ...r, frequency, productMultiplierBps: mult, integratorFeeBps: feeBps }, NOW);
      if (!q.ok) return;
      // amount × P(the trigger pays within the term): the payout's expected value; the pool keeps
      // the premium less the integrator's share (rounded down, as the market pays it).
      const expected = (r.amount * BigInt(q.breakdown.paysWithinTermE18)) / E18;
      const toPool = q.premium - (q.premium * BigInt(feeBps)) / 10_000n;
      expect(toPool).toBeGreaterThanOrEqual(expected);
      expect(BigInt(q.breakdown.paysWithinTermE18)).toBeLessThanOrEqual(E18);
    }), opts);
  });

  it("the keeper's own record of the product: none changes nothing, a clean year halves λ, days at the trigger raise it", () => {
    const f = frequencyOf(solid, tvl());
    const DAY = 86_400;
    expect(withOwnHistory(f, null)).toBe(f);
    expect(withOwnHistory(f, { from: null, to: null, daysAtTrigger: 0 })).toBe(f);
    expect(withOwnHistory(f, { from: NOW - 365 * DAY, to: NOW, daysAtTrigger: 0 }).perYearE18).toBe(f.perYearE18 / 2n);
    const hot = withOwnHistory(f, { from: NOW - 30 * DAY, to: NOW, daysAtTrigger: 3 });
    // (3 trips × a year + λ × a year) / (30 days + a year)
    expect(hot.perYearE18).toBe((3n * E18 * 31_536_000n + f.perYearE18 * 31_536_000n) / (2_592_000n + 31_536_000n));
    expect(hot.perYearE18).toBeGreaterThan(2n * E18);
    expect(hot.steps.at(-1)!.factor).toBe("own_history");
  });

  it("demand multiplier: 1× to 50% utilisation, 1.3× at 80%, 2× at 100%", () => {
    expect([0, 5_000, 6_500, 8_000, 9_000, 10_000].map(demandMultiplierBps)).toEqual([10_000, 10_000, 11_500, 13_000, 16_500, 20_000]);
  });

  it("is monotone in amount", () => {
    fc.assert(fc.property(inputs, request, fc.bigInt({ min: 1n, max: 100_000n * USD }), (i, r, more) => {
      const a = premiumOf(i, r);
      const b = premiumOf(i, { ...r, amount: r.amount + more });
      if (a !== undefined && b !== undefined) expect(b).toBeGreaterThanOrEqual(a);
    }), opts);
  });

  it("is monotone in duration", () => {
    fc.assert(fc.property(inputs, request, fc.integer({ min: 1, max: 364 }), (i, r, extra) => {
      const longer = Math.min(365, r.durationDays + extra);
      const a = premiumOf(i, r);
      const b = premiumOf(i, { ...r, durationDays: longer });
      if (a !== undefined && b !== undefined) expect(b).toBeGreaterThanOrEqual(a);
    }), opts);
  });

  it("is monotone in risk: a worse input never lowers the premium", () => {
    const worse = (i: RiskInputs, k: number): RiskInputs => {
      switch (k) {
        case 0: return { ...i, auditCount: Math.max(1, i.auditCount - 1) };
        case 1: return { ...i, lastAuditAt: (i.lastAuditAt ?? NOW) - 12 * MONTH };
        case 2: return { ...i, incidentCount: Math.min(3, i.incidentCount + 1) };
        case 3: return { ...i, adminKey: "eoa" };
        case 4: return { ...i, upgradeable: true };
        case 5: return { ...i, oracleDependence: "custom" };
        case 6: return { ...i, tvlUsd: i.tvlUsd / 2n < 1_000_000n ? 1_000_000n : i.tvlUsd / 2n };
        default: return { ...i, launchedAt: Math.min(NOW - 3 * MONTH, i.launchedAt + 12 * MONTH) };
      }
    };
    fc.assert(fc.property(inputs, request, fc.integer({ min: 0, max: 7 }), (i, r, k) => {
      const a = premiumOf(i, r);
      const b = premiumOf(worse(i, k), r);
      if (a !== undefined && b !== undefined) expect(b).toBeGreaterThanOrEqual(a);
    }), opts);
  });

  it("never charges less than the minimum premium", () => {
    fc.assert(fc.property(inputs, request, (i, r) => {
      const q = quotePremium(i, { ...r, frequency: frequencyOf(i, tvl()) }, NOW);
      if (q.ok) expect(q.premium).toBeGreaterThanOrEqual(r.minimumPremium);
    }), opts);
  });

  it("never sells past the capacity left, and never a premium above the cover", () => {
    fc.assert(fc.property(inputs, request, fc.bigInt({ min: 0n, max: 600_000n * USD }), (i, r, left) => {
      const q = quotePremium(i, { ...r, capacityLeft: left, frequency: frequencyOf(i, tvl()) }, NOW);
      if (r.amount > left) expect(q).toMatchObject({ ok: false, code: "capacity_exceeded" });
      if (q.ok) {
        expect(r.amount).toBeLessThanOrEqual(left);
        expect(q.premium).toBeLessThanOrEqual(r.amount);
      }
    }), opts);
  });
});
