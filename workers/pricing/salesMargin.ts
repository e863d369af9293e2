import { kindNamed, type TriggerKind } from "../triggers/index";

/**
 * How close to its trigger a product may be and still sell: the keeper's reading must be more
 * than the product's sales margin (basis points of distance from the trip level) away. A product
 * sets its own margin; without one, its kind's default applies (`defaultSalesMarginBps` in
 * workers/triggers/<kind>.ts, where each default says why).
 * `POST /v1/quotes` and `GET /v1/products` both decide with `salesRefusal`.
 */
export function salesMarginBps(kind: TriggerKind, own: number | null): number {
  return own ?? kindNamed(kind).defaultSalesMarginBps;
}

/** The near-trigger refusal, or null when the product may sell at the keeper's last reading. */
export function salesRefusal(kind: TriggerKind, own: number | null, distanceBps: number | null): { code: "condition-near-trigger"; reason: string } | null {
  if (distanceBps === null) return null;
  const margin = salesMarginBps(kind, own);
  if (distanceBps > margin) return null;
  return {
    code: "condition-near-trigger",
    reason: `The keeper's last observation puts this product ${distanceBps} bps from its trigger (its sales margin is ${margin} bps); no cover is sold this close to a loss.`,
  };
}
