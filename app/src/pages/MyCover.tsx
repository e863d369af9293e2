import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { isAddress } from "viem";
import { useAccount } from "wagmi";
import { listIncidents, listPayouts, listPolicies } from "../api";
import { inWords } from "../errors";
import { formatAmount, formatTime, shortHex } from "../format";
import { href } from "../route";
import { useDeployment } from "../wallet";

const STATUS_WORDS: Record<string, string> = {
  active: "Active",
  pending_start: "Starts soon",
  expired: "Expired",
  paid: "Paid",
  ended: "Ended unpaid (the product tripped while this cover was not active)",
};

export function MyCover() {
  const { address } = useAccount();
  const [typed, setTyped] = useState("");
  const owner = address ?? (isAddress(typed) ? typed : null);
  return (
    <section aria-labelledby="cover-title">
      <h1 id="cover-title">My cover</h1>
      {!address && (
        <label>Look up an address (or connect a wallet)
          <input name="owner" value={typed} onChange={(e) => setTyped(e.target.value.trim())} placeholder="0x…" aria-invalid={typed !== "" && !isAddress(typed)} />
        </label>
      )}
      {typed !== "" && !address && !isAddress(typed) && <p className="error">That is not an address (0x and 40 hex digits).</p>}
      {owner && <Policies owner={owner} />}
    </section>
  );
}

function Policies({ owner }: { owner: string }) {
  const d = useDeployment();
  const policies = useQuery({ queryKey: ["policies", owner], queryFn: () => listPolicies(owner) });
  const incidents = useQuery({ queryKey: ["incidents"], queryFn: listIncidents });
  // Payouts are listed per incident: those of the incidents of products this account holds cover of.
  const held = (incidents.data ?? []).filter((i) => (policies.data ?? []).some((p) => p.productId === i.productId));
  const payouts = useQuery({
    queryKey: ["payouts-of", held.map((i) => `${i.id}:${i.paid}`).join(",")],
    queryFn: async () => (await Promise.all(held.map((i) => listPayouts(i.id)))).flat(),
    enabled: held.length > 0,
  });
  const fmt = (v: string) => formatAmount(v, d.asset.decimals, { symbol: d.asset.symbol });
  if (policies.error) return <p role="alert" className="error">{inWords(policies.error)}</p>;
  if (!policies.data) return <p aria-busy="true">Loading policies…</p>;
  if (policies.data.length === 0) return <p>No policies for {shortHex(owner)} yet. <a href={href.products}>Buy cover.</a></p>;
  return (
    <table className="list" data-testid="policies">
      <thead><tr><th scope="col">Policy</th><th scope="col">Product</th><th scope="col">Cover</th><th scope="col">Premium</th><th scope="col">Covered</th><th scope="col">Status</th><th scope="col">Payout</th></tr></thead>
      <tbody>
        {policies.data.map((p) => {
          const payout = payouts.data?.find((x) => x.policyId === p.id);
          return (
            <tr key={p.id} data-testid={`policy-${p.id}`}>
              <td>{p.id}</td>
              <td><a href={href.product(p.productId)}>#{p.productId}</a></td>
              <td>{fmt(p.coverAmount)}</td>
              <td>{fmt(p.premium)}</td>
              <td>{formatTime(p.startAt)} → {formatTime(p.endAt)}</td>
              <td data-testid="policy-status">{STATUS_WORDS[p.status] ?? p.status}</td>
              <td>
                {payout ? (
                  <span data-testid="payout">
                    {fmt(payout.amount)} {payout.deferred ? "(claimable: the transfer failed)" : "paid"} in <span className="mono">{shortHex(payout.txHash)}</span>
                    {" "}(<a href={href.incident(payout.incidentId)}>incident {payout.incidentId}</a>)
                  </span>
                ) : p.status === "paid" ? "paid" : "—"}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
