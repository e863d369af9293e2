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
        axes: [{}, { label: "distance to trigger (%)" }],
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
