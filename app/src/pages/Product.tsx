import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { PublicClient } from "viem";
import { usePublicClient, useWalletClient } from "wagmi";
import { buyCover, type BuyStep, type QuoteResponse, type Wallet } from "../../../client/chain";
import { getProduct, indexPurchase, listReadings, quote, quoteOptions } from "../api";
import { DistanceChart } from "../chart";
import { inWords } from "../errors";
import { AmountInputError, formatAmount, formatBps, formatDuration, formatRoundId, formatTime, parseAmount, shortHex } from "../format";
import { href } from "../route";
import { useDeployment, useReadyAccount } from "../wallet";
import { KIND_WORDS } from "./Products";

const DURATIONS = [7, 30, 90, 180, 365];
const STEP_WORDS: Record<BuyStep | "quoting" | "indexing", string> = {
  quoting: "Getting a signed quote…",
  checking: "Checking the quote on-chain…",
  permitting: "Signing a permit for the premium: no approval transaction (confirm in your wallet)…",
  approving: "Approving the premium (confirm in your wallet if asked)…",
  buying: "Buying cover (confirm in your wallet)…",
  confirming: "Waiting for the purchase to be mined…",
  indexing: "Recording the policy…",
};

export function Product({ id }: { id: number }) {
  const d = useDeployment();
  const product = useQuery({ queryKey: ["product", id], queryFn: () => getProduct(id) });
  const since = useMemo(() => Math.floor(Date.now() / 1000) - 7 * 86_400, []);
  const readings = useQuery({ queryKey: ["readings", id], queryFn: () => listReadings(id, since) });
  if (product.error) return <p role="alert" className="error">{inWords(product.error)}</p>;
  if (!product.data) return <p aria-busy="true">Loading the product…</p>;
  const p = product.data;
  const fmt = (v: string) => formatAmount(v, d.asset.decimals, { symbol: d.asset.symbol, maxFraction: 0 });
  const latest = readings.data?.slice(-10).reverse() ?? [];
  return (
    <article aria-labelledby="product-title">
      <p><a href={href.products}>← All products</a></p>
      <h1 id="product-title">{p.name}</h1>
      <p className="kind">{KIND_WORDS[p.trigger.kind] ?? p.trigger.kind} · status <strong data-testid="product-status">{p.status}</strong></p>
      {p.refusal && <p className="refusal" role="status">Not on sale now: {p.refusal.reason}</p>}
      <section aria-labelledby="terms-title">
        <h2 id="terms-title">Terms</h2>
        <p className="terms">{p.terms.text}</p>
        <details>
          <summary>Trigger parameters</summary>
          <Params value={p.trigger.params} />
          <p className="mono">contract {p.trigger.address} · terms hash {shortHex(p.terms.hash, 8)}</p>
        </details>
      </section>
      <dl className="facts">
        <div><dt>Capacity left</dt><dd data-testid="capacity-left">{fmt(p.capacityLeft)}</dd></div>
        <div><dt>Active cover</dt><dd>{fmt(p.activeCover)}</dd></div>
        <div><dt>Cap</dt><dd>{fmt(p.capAmount)}</dd></div>
        <div><dt>Cover starts</dt><dd>{formatDuration(p.coverageLagSeconds)} after purchase</dd></div>
        <div><dt>Veto window</dt><dd>{p.vetoWindowSeconds === 0 ? "none" : formatDuration(p.vetoWindowSeconds)}</dd></div>
        <div><dt>Sales stop within</dt><dd>{formatBps(p.salesMarginBps)} of the trigger</dd></div>
      </dl>
      <section aria-labelledby="reading-title">
        <h2 id="reading-title">How far from paying</h2>
        {readings.error && <p role="alert" className="error">{inWords(readings.error)}</p>}
        {readings.data && readings.data.length === 0 && <p>The keeper has recorded no reading of this product in the last 7 days.</p>}
        {readings.data && readings.data.length > 0 && (
          <>
            <DistanceChart label="Keeper readings, last 7 days" marginBps={p.salesMarginBps} points={readings.data.map((r) => ({ t: r.observedAt, distanceBps: r.valid ? r.distanceBps : null }))} />
            <table className="evidence">
              <caption>Latest readings (the evidence: check them against the chain)</caption>
              <thead><tr><th scope="col">Observed</th><th scope="col">Distance</th><th scope="col">Value read</th><th scope="col">Round</th><th scope="col">Block</th></tr></thead>
              <tbody>
                {latest.map((r) => (
                  <tr key={r.id}>
                    <td>{formatTime(r.observedAt)}</td>
                    <td>{r.valid ? (r.distanceBps === null ? "—" : formatBps(r.distanceBps)) : `invalid: ${r.problem}`}</td>
                    <td className="mono">{r.paused !== null ? (r.paused ? "paused" : "running") : (r.answer ?? "—")}</td>
                    <td>{r.roundId ? formatRoundId(r.roundId) : "—"}</td>
                    <td>{r.blockNumber}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
      <Buy productId={p.id} onSale={p.status === "active" && !p.refusal} />
    </article>
  );
}

function Params({ value }: { value: unknown }) {
  if (value === null || typeof value !== "object") return <span className="mono">{String(value)}</span>;
  return (
    <dl className="params">
      {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
        <div key={k}><dt>{k}</dt><dd>{typeof v === "object" && v !== null ? <Params value={v} /> : <span className="mono">{String(v)}</span>}</dd></div>
      ))}
    </dl>
  );
}

function Buy({ productId, onSale }: { productId: number; onSale: boolean }) {
  const d = useDeployment();
  const qc = useQueryClient();
  const account = useReadyAccount();
  const publicClient = usePublicClient();
  const { data: walletClient } = useWalletClient();
  const [amountText, setAmountText] = useState("10000");
  const [duration, setDuration] = useState(30);
  const [step, setStep] = useState<keyof typeof STEP_WORDS | null>(null);
  let amount: bigint | null = null;
  let amountError: string | null = null;
  try {
    amount = parseAmount(amountText, d.asset.decimals);
    if (amount === 0n) amountError = "Enter an amount above zero.";
  } catch (err) {
    amountError = err instanceof AmountInputError ? err.message : String(err);
  }
  const options = useQuery({
    queryKey: ["options", productId, amount?.toString()],
    queryFn: () => quoteOptions(productId, amount!, DURATIONS),
    enabled: amount !== null && amount > 0n && onSale,
    refetchInterval: 30_000,
  });
  const buy = useMutation({
    mutationFn: async () => {
      if (!account.ready || !walletClient || !publicClient || amount === null) throw new Error(account.why ?? "The wallet is not ready.");
      setStep("quoting");
      const q = await quote(productId, amount, duration, account.address!);
      const bought = await buyCover(publicClient as PublicClient, walletClient as unknown as Wallet, q as unknown as QuoteResponse, { onStep: setStep });
      setStep("indexing");
      await indexPurchase(bought.txHash);
      return { ...bought, premium: q.premium };
    },
    onSettled: () => {
      setStep(null);
      void qc.invalidateQueries();
    },
  });
  const chosen = options.data?.options.find((o) => o.duration === duration);
  return (
    <section aria-labelledby="buy-title" className="panel">
      <h2 id="buy-title">Price and buy</h2>
      {!onSale && <p>This product is not on sale now.</p>}
      <form onSubmit={(e) => { e.preventDefault(); buy.mutate(); }}>
        <label>Cover amount ({d.asset.symbol})
          <input name="amount" inputMode="decimal" value={amountText} onChange={(e) => setAmountText(e.target.value)} aria-invalid={amountError !== null} aria-describedby="amount-error" />
        </label>
        {amountError && <p id="amount-error" className="error">{amountError}</p>}
        <fieldset>
          <legend>Duration</legend>
          {DURATIONS.map((days) => {
            const o = options.data?.options.find((x) => x.duration === days);
            return (
              <label key={days} className="option">
                <input type="radio" name="duration" value={days} checked={duration === days} onChange={() => setDuration(days)} />
                {days} days{" "}
                {o && (o.ok ? <span>— {formatAmount(o.premium, d.asset.decimals, { symbol: d.asset.symbol })} ({formatBps(o.annualRateBps)} a year)</span> : <span className="error">— {o.problem.detail}</span>)}
              </label>
            );
          })}
        </fieldset>
        {options.error && <p role="alert" className="error">{inWords(options.error)}</p>}
        {chosen?.ok && <p data-testid="solvency">If this product tripped now, the pool would pay {formatBps(chosen.solvencyBps)} of its cover.</p>}
        <button type="submit" disabled={!onSale || !account.ready || amountError !== null || buy.isPending || !chosen?.ok}>
          {buy.isPending ? "Buying…" : chosen?.ok ? `Buy for ${formatAmount(chosen.premium, d.asset.decimals, { symbol: d.asset.symbol })}` : "Buy"}
        </button>
        {!account.ready && <p className="hint">{account.why}</p>}
        {step && <p role="status" aria-live="polite" data-testid="buy-step">{STEP_WORDS[step]}</p>}
        {buy.error && <p role="alert" className="error" data-testid="buy-error">{inWords(buy.error)}</p>}
        {buy.data && (
          <p role="status" className="success" data-testid="bought">
            Policy {buy.data.policyId.toString()} bought (transaction <span className="mono">{shortHex(buy.data.txHash)}</span>). <a href={href.cover}>See my cover</a>
          </p>
        )}
      </form>
    </section>
  );
}
