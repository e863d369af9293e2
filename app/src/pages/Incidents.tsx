import { useQuery } from "@tanstack/react-query";
import { getProduct, listIncidents, listPayouts, listReadings } from "../api";
import { inWords } from "../errors";
import { formatAmount, formatBps, formatRoundId, formatTime, shortHex } from "../format";
import { href } from "../route";
import { useDeployment } from "../wallet";

export function Incidents() {
  const d = useDeployment();
  const incidents = useQuery({ queryKey: ["incidents"], queryFn: listIncidents });
  return (
    <section aria-labelledby="incidents-title">
      <h1 id="incidents-title">Incidents</h1>
      <p className="lede">Every trip, from the oracle rounds to each payout, with the evidence to check it.</p>
      {incidents.error && <p role="alert" className="error">{inWords(incidents.error)}</p>}
      {incidents.data?.length === 0 && <p>No incident so far.</p>}
      <ul className="cards">
        {incidents.data?.map((i) => (
          <li key={i.id} className="card" data-testid={`incident-${i.id}`}>
            <h2><a href={href.incident(i.id)}>Incident {i.id}</a></h2>
            <p>Product <a href={href.product(i.productId)}>#{i.productId}</a> · {i.status} · tripped {formatTime(i.incidentTime)}</p>
            <p>Paid {formatAmount(i.paid, d.asset.decimals, { symbol: d.asset.symbol })} of {formatAmount(i.liability, d.asset.decimals, { symbol: d.asset.symbol })} liability</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

type Event = { t: number; what: string; evidence: string; kind: "round" | "reading" | "fire" | "confirm" | "payout" };

export function Incident({ id }: { id: number }) {
  const d = useDeployment();
  const incidents = useQuery({ queryKey: ["incidents"], queryFn: listIncidents });
  const incident = incidents.data?.find((i) => i.id === id);
  const product = useQuery({ queryKey: ["product", incident?.productId], queryFn: () => getProduct(incident!.productId), enabled: !!incident });
  const payouts = useQuery({ queryKey: ["payouts", id], queryFn: () => listPayouts(id) });
  const readings = useQuery({
    queryKey: ["incident-readings", id],
    queryFn: () => listReadings(incident!.productId, incident!.incidentTime - 6 * 3_600),
    enabled: !!incident,
  });
  if (incidents.error) return <p role="alert" className="error">{inWords(incidents.error)}</p>;
  if (!incidents.data) return <p aria-busy="true">Loading…</p>;
  if (!incident) return <p role="alert">There is no incident {id}. <a href={href.incidents}>All incidents</a></p>;
  const fmt = (v: string) => formatAmount(v, d.asset.decimals, { symbol: d.asset.symbol });
  // The oracle rounds the proof named (the keeper records them with the fire), per condition.
  const details = incident.evidence.details as { conditions?: { kind?: string; feed?: string; rounds?: { roundId: string; answer: string; updatedAt: number }[] }[] } | null;
  const rounds = (details?.conditions ?? []).flatMap((c) =>
    (c.rounds ?? []).map((r): Event => ({ t: r.updatedAt, kind: "round", what: `Oracle round in the proof: ${r.answer}`, evidence: `feed ${c.feed ?? "?"}, ${formatRoundId(r.roundId)}` })),
  );
  const events: Event[] = [
    ...rounds,
    ...(readings.data ?? [])
      .filter((r) => r.observedAt <= incident.firedAt)
      .map((r): Event => ({
        t: r.observedAt, kind: "reading",
        what: r.valid ? `Keeper reading: ${r.paused !== null ? (r.paused ? "paused" : "running") : r.answer} (${r.distanceBps === null ? "—" : `${formatBps(r.distanceBps)} from the trigger`})` : `Invalid reading: ${r.problem}`,
        evidence: `${r.roundId ? `${formatRoundId(r.roundId)}, ` : ""}block ${r.blockNumber}`,
      })),
    { t: incident.firedAt, kind: "fire" as const, what: `Fired: the trigger proved the incident at ${formatTime(incident.incidentTime)}`, evidence: `transaction ${incident.evidence.fireTxHash}` },
    ...(incident.confirmedAt !== null ? [{ t: incident.confirmedAt, kind: "confirm" as const, what: `Confirmed: ${incident.reserve ? fmt(incident.reserve) : "—"} reserved for ${fmt(incident.liability)} of cover active at the incident time`, evidence: incident.evidence.confirmTxHash ? `transaction ${incident.evidence.confirmTxHash}` : "" }] : []),
    ...(payouts.data ?? []).map((p): Event => ({ t: p.paidAt, kind: "payout", what: `Policy ${p.policyId}: ${fmt(p.amount)} ${p.deferred ? "made claimable" : "paid"} to ${shortHex(p.recipient)}`, evidence: `transaction ${p.txHash}, block ${p.blockNumber}` })),
  ].sort((a, b) => a.t - b.t);
  return (
    <article aria-labelledby="incident-title">
      <p><a href={href.incidents}>← All incidents</a></p>
      <h1 id="incident-title">Incident {incident.id}: {product.data?.name ?? `product #${incident.productId}`}</h1>
      <dl className="facts">
        <div><dt>Status</dt><dd data-testid="incident-status">{incident.status}</dd></div>
        <div><dt>Incident time</dt><dd>{formatTime(incident.incidentTime)}</dd></div>
        <div><dt>Liability</dt><dd>{fmt(incident.liability)}</dd></div>
        <div><dt>Paid</dt><dd data-testid="incident-paid">{fmt(incident.paid)}</dd></div>
      </dl>
      <ol className="timeline" aria-label="Timeline">
        {events.map((e, k) => (
          <li key={k} className={`event ${e.kind}`} data-testid={`event-${e.kind}`}>
            <time dateTime={new Date(e.t * 1000).toISOString()}>{formatTime(e.t)}</time>
            <span>{e.what}</span>
            {e.evidence && <span className="mono evidence">{e.evidence}</span>}
          </li>
        ))}
      </ol>
      <details>
        <summary>Raw evidence (as the keeper recorded it)</summary>
        <pre className="mono">{JSON.stringify(incident.evidence.details, null, 2)}</pre>
        <p className="mono">proof {incident.evidence.proofHex}</p>
      </details>
    </article>
  );
}
