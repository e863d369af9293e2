/**
 * The annual risk rate of a protocol, from its risk inputs. Pure and deterministic: the same
 * inputs always give the same rate and the same explanation. Rates are basis points per year.
 */

export type AdminKey = "immutable" | "timelock_multisig" | "multisig" | "eoa";
export type OracleDependence = "none" | "chainlink" | "custom";

/** What a risk curator records about a protocol. Times are unix seconds, TVL whole US dollars. */
export type RiskInputs = {
  auditCount: number;
  lastAuditAt: number | null;
  launchedAt: number;
  tvlUsd: bigint;
  incidentCount: number;
  lastIncidentAt: number | null;
  adminKey: AdminKey;
  upgradeable: boolean;
  oracleDependence: OracleDependence;
};

export type Adjustment = { factor: string; bps: number; reason: string };

export type RiskRate = { ok: true; baseRateBps: number; adjustments: Adjustment[]; annualRateBps: number };
export type Refusal = { ok: false; code: RefusalCode; reason: string };
export type RefusalCode = "unaudited" | "too_new" | "tvl_too_small" | "too_many_incidents" | "over_risk_limit";

export const BASE_RATE_BPS = 200;
/** Above this annual rate a protocol is refused, not priced. */
export const MAX_ANNUAL_RATE_BPS = 1_500;
export const MIN_TVL_USD = 1_000_000n;
export const MIN_MONTHS_LIVE = 3;
export const MAX_INCIDENTS = 3;

const MONTH = 30 * 86_400;
const monthsBetween = (from: number, to: number) => Math.floor(Math.max(0, to - from) / MONTH);

/** Prices a protocol's risk at time `now`, or refuses it with a reason. */
export function riskRate(inputs: RiskInputs, now: number): RiskRate | Refusal {
  if (inputs.auditCount <= 0 || inputs.lastAuditAt === null) {
    return { ok: false, code: "unaudited", reason: "The protocol has no recorded security audit; unaudited protocols are not covered." };
  }
  const monthsLive = monthsBetween(inputs.launchedAt, now);
  if (monthsLive < MIN_MONTHS_LIVE) {
    return { ok: false, code: "too_new", reason: `The protocol has been live for ${monthsLive} months; at least ${MIN_MONTHS_LIVE} are required.` };
  }
  if (inputs.tvlUsd < MIN_TVL_USD) {
    return { ok: false, code: "tvl_too_small", reason: `TVL below $${MIN_TVL_USD.toLocaleString("en-US")} is too small to monitor reliably.` };
  }
  if (inputs.incidentCount > MAX_INCIDENTS) {
    return { ok: false, code: "too_many_incidents", reason: `${inputs.incidentCount} past incidents exceed the limit of ${MAX_INCIDENTS}.` };
  }

  const adj: Adjustment[] = [];
  const add = (factor: string, bps: number, reason: string) => {
    if (bps !== 0) adj.push({ factor, bps, reason });
  };
  add("audits", inputs.auditCount === 1 ? 150 : inputs.auditCount === 2 ? 75 : 0, `${inputs.auditCount} audit(s)`);
  const auditAge = monthsBetween(inputs.lastAuditAt, now);
  add("audit_recency", auditAge > 24 ? 100 : auditAge > 12 ? 50 : 0, `last audit ${auditAge} months ago`);
  add("time_live", monthsLive < 6 ? 200 : monthsLive < 12 ? 100 : monthsLive < 24 ? 50 : 0, `live for ${monthsLive} months`);
  add("tvl", inputs.tvlUsd < 10_000_000n ? 150 : inputs.tvlUsd < 100_000_000n ? 75 : 0, `TVL $${inputs.tvlUsd.toLocaleString("en-US")}`);
  add("incident_history", inputs.incidentCount * 150, `${inputs.incidentCount} past incident(s)`);
  if (inputs.lastIncidentAt !== null) {
    const since = monthsBetween(inputs.lastIncidentAt, now);
    add("incident_recency", since < 12 ? 200 : 0, `last incident ${since} months ago`);
  }
  const adminBps = { immutable: 0, timelock_multisig: 25, multisig: 100, eoa: 300 }[inputs.adminKey];
  add("admin_key", adminBps, `admin key: ${inputs.adminKey.replace("_", " + ")}`);
  add("upgradeability", inputs.upgradeable ? 50 : 0, "contracts are upgradeable");
  const oracleBps = { none: 0, chainlink: 25, custom: 100 }[inputs.oracleDependence];
  add("oracle_dependence", oracleBps, `oracle dependence: ${inputs.oracleDependence}`);

  const annualRateBps = BASE_RATE_BPS + adj.reduce((sum, a) => sum + a.bps, 0);
  if (annualRateBps > MAX_ANNUAL_RATE_BPS) {
    return {
      ok: false,
      code: "over_risk_limit",
      reason: `The risk rate would be ${annualRateBps / 100}% a year, above the ${MAX_ANNUAL_RATE_BPS / 100}% limit.`,
    };
  }
  return { ok: true, baseRateBps: BASE_RATE_BPS, adjustments: adj, annualRateBps };
}
