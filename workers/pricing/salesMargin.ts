import type { TriggerKind } from "../chain/deployment";

/**
 * How close to its trigger a product may be and still sell: the keeper's reading must be more
 * than the product's sales margin (basis points of distance from the trip level) away. A product
 * sets its own margin; without one, its kind's default applies:
 * - TVL drop: 500 (refuse within 5% of the drop level, measured against the window's peak);
 * - depeg: 25 (a $0.995 product sells at a healthy $1.00 peg, 50 bps away, not below $0.9975);
 * - paused: 0 (refused only while the protocol is paused);
 * - all-of: 500 (its distance is its furthest leg's).
 * `POST /v1/quotes` and `GET /v1/products` both decide with `salesRefusal`.
 */
export const DEFAULT_SALES_MARGIN_BPS: Record<TriggerKind, number> = { tvl_drop: 500, depeg: 25, paused: 0, all_of: 500 };

export function salesMarginBps(kind: TriggerKind, own: number | null): number {
  return own ?? DEFAULT_SALES_MARGIN_BPS[kind];
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
