import type { z } from "@hono/zod-openapi";
import { getProtocol, listProtocols, upsertProtocol, type ProtocolRow } from "../../db/queries/protocols";
import { notFound, problem } from "../errors";
import { withOwnHistory, type Frequency, type FrequencyContext, type OwnHistory } from "../pricing/frequency";
import { riskMultiplierE18 } from "../pricing/premium";
import { riskRate, type RiskInputs } from "../pricing/risk";
import { kindLookup, kindNamed, type TriggerKind } from "../triggers";
import type { Protocol, ProtocolInput } from "../schemas/protocol";

export function riskInputsOf(row: ProtocolRow): RiskInputs {
  return {
    auditCount: row.auditCount,
    lastAuditAt: row.lastAuditAt,
    launchedAt: row.launchedAt,
    tvlUsd: BigInt(row.tvlUsd),
    incidentCount: row.incidentCount,
    lastIncidentAt: row.lastIncidentAt,
    adminKey: row.adminKey,
    upgradeable: row.upgradeable,
    oracleDependence: row.oracleDependence,
  };
}

/** A protocol as the API shows it: its risk inputs and how the premium model prices them now. */
export function protocolView(row: ProtocolRow, now: number): z.infer<typeof Protocol> {
  const r = riskRate(riskInputsOf(row), now);
  return {
    id: row.id,
    name: row.name,
    category: row.category,
    website: row.website,
    auditCount: row.auditCount,
    lastAuditAt: row.lastAuditAt,
    launchedAt: row.launchedAt,
    tvlUsd: row.tvlUsd,
    incidentCount: row.incidentCount,
    lastIncidentAt: row.lastIncidentAt,
    adminKey: row.adminKey,
    upgradeable: row.upgradeable,
    oracleDependence: row.oracleDependence,
    chains: row.chains,
    dependsOn: row.dependsOn,
    maxLossBps: row.maxLossBps,
    pricing: r.ok
      ? { status: "priced", annualRateBps: r.annualRateBps, adjustments: r.adjustments }
      : { status: "refused", code: r.code, reason: r.reason },
    updatedAt: row.updatedAt,
  };
}

export async function listProtocolViews(db: D1Database, now: number) {
  return (await listProtocols(db)).map((r) => protocolView(r, now));
}

export async function protocolViewById(db: D1Database, id: string, now: number) {
  const row = await getProtocol(db, id);
  if (!row) throw notFound(`Protocol ${id}`);
  return protocolView(row, now);
}

export async function saveProtocol(db: D1Database, id: string, input: z.infer<typeof ProtocolInput>, now: number) {
  // Every dependency names a protocol of the catalog (its failure is a stress scenario), never itself.
  if (input.dependsOn.includes(id)) throw problem("unknown-protocol", `Protocol ${id} cannot depend on itself.`);
  if (input.dependsOn.length > 0) {
    const known = new Set((await listProtocols(db)).map((p) => p.id));
    const missing = input.dependsOn.filter((d) => !known.has(d));
    if (missing.length > 0) throw problem("unknown-protocol", `dependsOn names ${missing.join(", ")}, not in the catalog: register it first.`);
  }
  const { row, created } = await upsertProtocol(db, { id, ...input });
  return { protocol: protocolView(row, now), created };
}

/** What pricing a product's trigger gives: its λ, or why there is none. */
export type ProductFrequency = { ok: true; frequency: Frequency } | { ok: false; reason: "protocol-refused" | "product-unpriced"; detail: string };

/**
 * How often a product's trigger would pay a year (the premium model's λ), from its kind's curve,
 * its parameters in words, its protocol and the keeper's own record of it; or why it cannot be
 * priced (the protocol is refused, or the kind cannot read the parameters).
 */
export function productFrequency(product: { triggerKind: TriggerKind; paramsJson: string }, protocol: ProtocolRow, now: number, history?: OwnHistory | null): ProductFrequency {
  const risk = riskRate(riskInputsOf(protocol), now);
  if (!risk.ok) return { ok: false, reason: "protocol-refused", detail: risk.reason };
  const ctx: FrequencyContext = {
    category: protocol.category,
    riskMultiplierE18: riskMultiplierE18(risk.annualRateBps),
    incidentCount: protocol.incidentCount,
    launchedAt: protocol.launchedAt,
    now,
  };
  let params: unknown;
  try {
    params = JSON.parse(product.paramsJson);
  } catch {
    return { ok: false, reason: "product-unpriced", detail: "The product's parameters are not readable JSON." };
  }
  const f = kindNamed(product.triggerKind).tripFrequency(params, ctx, kindLookup());
  if (!f) return { ok: false, reason: "product-unpriced", detail: `The premium model cannot price this ${product.triggerKind} product's parameters (a composite needs at least one leg of a known kind).` };
  // The kind's curve for these parameters, then the keeper's own record of the product.
  return { ok: true, frequency: withOwnHistory(f, history) };
}
