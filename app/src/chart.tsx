import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/**
 * A time series against a level: the keeper's readings as distance to the trigger (in %), with
 * the trip level at 0 and the sales margin drawn. Display only: nothing here is an amount.
 */
export function DistanceChart({ points, marginBps, label }: { points: { t: number; distanceBps: number | null }[]; marginBps: number; label: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current || points.length === 0) return;
    const xs = points.map((p) => p.t);
    const ys = points.map((p) => (p.distanceBps === null ? null : p.distanceBps / 100));
    const width = Math.max(280, el.current.clientWidth);
    const plot = new uPlot(
      {
        width,
        height: 220,
        title: label,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, marginBps / 100) * 1.1 + 1] } },
        axes: [{}, { label: "distance to trigger (%)", size: 70 }],
        series: [
          {},
          { label: "distance (%)", stroke: "#2563eb", width: 2, spanGaps: false, points: { show: points.length < 60 } },
          { label: "sales stop (%)", stroke: "#d97706", dash: [6, 4], width: 1, points: { show: false } },
          { label: "trips (%)", stroke: "#dc2626", width: 1, points: { show: false } },
        ],
      },
      [xs, ys, xs.map(() => marginBps / 100), xs.map(() => 0)],
      el.current,
    );
    return () => plot.destroy();
  }, [points, marginBps, label]);
  return <div ref={el} className="chart" role="img" aria-label={`${label}: ${points.length} readings`} />;
}

/**
 * The pool's share price over time (assets one share redeems for), from the keeper's snapshots.
 * The values are display numbers only (formatted with the asset's decimals for the axis), never
 * used for an amount.
 */
export function SharePriceChart({ points, decimals, symbol }: { points: { t: number; assetsPerShare: bigint }[]; decimals: number; symbol: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current || points.length === 0) return;
    const scale = 10 ** decimals;
    const xs = points.map((p) => p.t);
    const ys = points.map((p) => Number(p.assetsPerShare) / scale);
    const span = Math.max(...xs) - Math.min(...xs);
    const plot = new uPlot(
      {
        width: Math.max(280, el.current.clientWidth),
        height: 200,
        title: "Share price",
        scales: {
          // A few snapshots (a new pool) still get a readable span: an hour either side, ±1% around a flat price.
          x: { time: true, auto: false, range: [Math.min(...xs) - (span < 3_600 ? 3_600 : 0), Math.max(...xs) + (span < 3_600 ? 3_600 : 0)] },
          y: { range: (_u, min, max) => (max - min < min * 0.002 ? [min * 0.99, max * 1.01] : [min, max]) },
        },
        axes: [{}, { label: `${symbol} per share`, size: 90, values: (_u, vals) => vals.map((v) => v.toFixed(4)) }],
        series: [{}, { label: `${symbol} per share`, stroke: "#059669", width: 2, value: (_u, v) => (v === null ? "—" : v.toFixed(6)) }],
      },
      [xs, ys],
      el.current,
    );
    return () => plot.destroy();
  }, [points, decimals, symbol]);
  return <div ref={el} className="chart" role="img" aria-label={`Share price over time: ${points.length} snapshots`} data-testid="share-price-chart" />;
}
