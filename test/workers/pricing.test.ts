import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { demandMultiplierBps, quotePremium, type PremiumRequest } from "../../workers/pricing/premium";
import { riskRate, type RiskInputs } from "../../workers/pricing/risk";

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
const req: PremiumRequest = {
  amount: 10_000n * USD,
  durationDays: 30,
  productMultiplierBps: 10_000,
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
  poolActiveCover: fc.bigInt({ min: 0n, max: 400_000n * USD }),
  minimumPremium: fc.bigInt({ min: 0n, max: 5n * USD }),
}).map((r) => ({ ...r, capacityLeft: 1_000_000n * USD - r.poolActiveCover, poolCapacity: 1_000_000n * USD }));

const premiumOf = (i: RiskInputs, r: PremiumRequest) => {
  const q = quotePremium(i, r, NOW);
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
  it("is amount × rate × days/365 × demand, rounded up: $10,000 for 30 days at 2.5% is $20.55", () => {
    const q = quotePremium(solid, req, NOW);
    expect(q.ok).toBe(true);
    if (!q.ok) return;
    // 10,000 × 0.025 × 30/365 = 20.547945… → 20,547,946 base units (rounded up)
    expect(q.premium).toBe(20_547_946n);
    expect(q.breakdown).toMatchObject({ annualRateBps: 250, utilisationAfterBps: 100, demandMultiplierBps: 10_000, durationDays: 30 });
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
      const q = quotePremium(i, r, NOW);
      if (q.ok) expect(q.premium).toBeGreaterThanOrEqual(r.minimumPremium);
    }), opts);
  });

  it("never sells past the capacity left, and never a premium above the cover", () => {
    fc.assert(fc.property(inputs, request, fc.bigInt({ min: 0n, max: 600_000n * USD }), (i, r, left) => {
      const q = quotePremium(i, { ...r, capacityLeft: left }, NOW);
      if (r.amount > left) expect(q).toMatchObject({ ok: false, code: "capacity_exceeded" });
      if (q.ok) {
        expect(r.amount).toBeLessThanOrEqual(left);
        expect(q.premium).toBeLessThanOrEqual(r.amount);
      }
    }), opts);
  });
});
