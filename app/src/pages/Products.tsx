import { useQuery } from "@tanstack/react-query";
import { listProducts } from "../api";
import { inWords } from "../errors";
import { formatAmount, formatBps } from "../format";
import { href } from "../route";
import { useDeployment } from "../wallet";

export const KIND_WORDS: Record<string, string> = {
  tvl_drop: "TVL drop",
  depeg: "Stablecoin depeg",
  paused: "Contracts paused",
  all_of: "All of several conditions",
  share_price: "Share-price drop",
  oracle_deviation: "Oracle deviation",
};

export function Products() {
  const d = useDeployment();
  const products = useQuery({ queryKey: ["products"], queryFn: listProducts });
  return (
    <section aria-labelledby="products-title">
      <h1 id="products-title">Cover you can buy</h1>
      <p className="lede">Each product pays automatically when its trigger trips: no claim to file, no vote.</p>
      {products.error && <p role="alert" className="error">{inWords(products.error)}</p>}
      {products.isPending && <p aria-busy="true">Loading products…</p>}
      <ul className="cards">
        {products.data?.map((p) => (
          <li key={p.id} className="card" data-testid={`product-${p.id}`}>
            <h2><a href={href.product(p.id)}>{p.name}</a></h2>
            <p className="kind">{KIND_WORDS[p.trigger.kind] ?? p.trigger.kind} · {p.status}</p>
            <dl className="facts">
              <div><dt>Capacity left</dt><dd>{formatAmount(p.capacityLeft, d.asset.decimals, { symbol: d.asset.symbol, maxFraction: 0 })}</dd></div>
              <div><dt>Indicative rate</dt><dd>{p.indicativeAnnualRateBps === null ? "—" : `${formatBps(p.indicativeAnnualRateBps)} a year`}</dd></div>
            </dl>
            {p.refusal ? <p className="refusal">Not on sale: {p.refusal.reason}</p> : p.status === "active" ? <p className="on-sale">On sale</p> : <p className="refusal">Not on sale: {p.status}</p>}
          </li>
        ))}
      </ul>
      {products.data?.length === 0 && <p>No products are listed yet.</p>}
    </section>
  );
}
