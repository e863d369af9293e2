import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { erc20Abi, getAbiItem, type Address, type Hash, type PublicClient } from "viem";
import { usePublicClient, useWalletClient } from "wagmi";
import { abi as poolAbi } from "../../../contracts/out/CoverPool";
import { getPool, listProducts, poolHistory } from "../api";
import { SharePriceChart } from "../chart";
import { inWords } from "../errors";
import { AmountInputError, formatAmount, formatBps, formatDuration, formatTime, parseAmount, shortHex } from "../format";
import { href } from "../route";
import { useDeployment, useReadyAccount } from "../wallet";

export function Pool() {
  const d = useDeployment();
  const pool = useQuery({ queryKey: ["pool"], queryFn: getPool });
  const products = useQuery({ queryKey: ["products"], queryFn: listProducts });
  const since = useMemo(() => Math.floor(Date.now() / 1000) - 90 * 86_400, []);
  const history = useQuery({ queryKey: ["pool-history"], queryFn: () => poolHistory(since), refetchInterval: 60_000 });
  const fmt = (v: string | bigint) => formatAmount(v, d.asset.decimals, { symbol: d.asset.symbol, maxFraction: 0 });
  if (pool.error) return <p role="alert" className="error">{inWords(pool.error)}</p>;
  if (!pool.data) return <p aria-busy="true">Loading the pool…</p>;
  const p = pool.data;
  const exposure = (products.data ?? []).filter((x) => BigInt(x.activeCover) > 0n);
  const byProtocol = new Map<string, bigint>();
  for (const x of exposure) byProtocol.set(x.protocolId, (byProtocol.get(x.protocolId) ?? 0n) + BigInt(x.activeCover));
  const total = BigInt(p.activeCover);
  return (
    <section aria-labelledby="pool-title">
      <h1 id="pool-title">The pool</h1>
      <p className="lede">LPs fund the cover and earn its premiums; a tripped product's payouts come out of the pool.</p>
      <dl className="facts">
        <div><dt>Assets</dt><dd data-testid="pool-assets">{fmt(p.totalAssets)}</dd></div>
        <div><dt>Active cover</dt><dd>{fmt(p.activeCover)}</dd></div>
        <div><dt>Utilisation</dt><dd>{formatBps(p.utilisationBps)} of {formatBps(p.leverageBps)} leverage</dd></div>
        <div><dt>Premium earned</dt><dd>{fmt(p.premiumIncome.earned)} (of {fmt(p.premiumIncome.received)} received)</dd></div>
        <div><dt>Pending liabilities</dt><dd data-testid="pool-pending">{fmt(p.pendingLiability)}</dd></div>
        <div><dt>Free capital</dt><dd>{fmt(p.freeCapital)}</dd></div>
        <div><dt>Capacity left</dt><dd>{fmt(p.capacityLeft)}</dd></div>
        <div><dt>Share price</dt><dd>{formatAmount(p.sharePrice.assets, d.asset.decimals, { symbol: d.asset.symbol, maxFraction: 6 })} a share</dd></div>
        <div><dt>Withdrawal cooldown</dt><dd>{formatDuration(p.cooldownSeconds)}</dd></div>
      </dl>
      <h2>Share price</h2>
      {history.data && history.data.length > 0 ? (
        <SharePriceChart decimals={d.asset.decimals} symbol={d.asset.symbol} points={history.data.map((h) => ({ t: h.observedAt, assetsPerShare: BigInt(h.sharePrice.assets) }))} />
      ) : (
        <p>No snapshot yet: the keeper records the pool every 15 minutes.</p>
      )}
      <h2>Exposure</h2>
      {exposure.length === 0 ? <p>No cover is active.</p> : (
        <table className="list">
          <caption>Active cover by product and by protocol</caption>
          <thead><tr><th scope="col">Product</th><th scope="col">Protocol</th><th scope="col">Active cover</th><th scope="col">Share</th></tr></thead>
          <tbody>
            {exposure.map((x) => (
              <tr key={x.id}><td><a href={href.product(x.id)}>{x.name}</a></td><td>{x.protocolId}</td><td>{fmt(x.activeCover)}</td><td>{total === 0n ? "—" : formatBps(Number((BigInt(x.activeCover) * 10_000n) / total))}</td></tr>
            ))}
            {[...byProtocol].map(([protocol, amount]) => (
              <tr key={`p-${protocol}`} className="subtotal"><td>all of {protocol}</td><td>{protocol}</td><td>{fmt(amount)}</td><td>{total === 0n ? "—" : formatBps(Number((amount * 10_000n) / total))}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Exposure by risk group</h2>
      {p.stressScenarios.length === 0 ? <p>No protocol is in the catalog yet.</p> : (
        <table className="list" data-testid="stress">
          <caption>Stress scenarios, worst first: every product of a risk group paying in full at once, against the assets net of pending liabilities. Cover is sold only while each stays within them.</caption>
          <thead><tr><th scope="col">Scenario</th><th scope="col">Products</th><th scope="col">Loss</th><th scope="col">Limit</th><th scope="col">Covered</th></tr></thead>
          <tbody>
            {p.stressScenarios.map((x) => (
              <tr key={x.id}>
                <td>{x.name}</td>
                <td>{x.products.length === 0 ? "none" : x.products.map((id, k) => <span key={id}>{k > 0 ? ", " : ""}<a href={href.product(id)}>{id}</a></span>)}</td>
                <td>{fmt(x.loss)}</td>
                <td>{x.limitBps >= 10_000 ? "the assets" : `${formatBps(x.limitBps)} of the assets`}</td>
                <td>{x.coverageBps === null ? "—" : x.coverageBps >= 10_000 ? "in full" : formatBps(x.coverageBps)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Lp cooldownSeconds={p.cooldownSeconds} sharePrice={p.sharePrice} />
    </section>
  );
}

type Request = { id: bigint; shares: bigint; assets: bigint; claimableAt: number };
// CoverPool.REDEEM_WINDOW_SECONDS: a matured request must be completed within it or it lapses.
const REDEEM_WINDOW_SECONDS = 3 * 86_400;

function Lp({ cooldownSeconds, sharePrice }: { cooldownSeconds: number; sharePrice: { assets: string; perShares: string } }) {
  const d = useDeployment();
  const qc = useQueryClient();
  const account = useReadyAccount();
  const publicClient = usePublicClient() as PublicClient | undefined;
  const { data: wallet } = useWalletClient();
  const [depositText, setDepositText] = useState("");
  const [withdrawText, setWithdrawText] = useState("");
  const [now, setNow] = useState(() => Math.floor(Date.now() / 1000));
  useEffect(() => {
    const t = setInterval(() => setNow(Math.floor(Date.now() / 1000)), 1_000);
    return () => clearInterval(t);
  }, []);
  const me = account.address;
  const position = useQuery({
    queryKey: ["lp", me],
    enabled: !!me && !!publicClient,
    queryFn: async () => {
      const [shares, balance, decimals, block] = await Promise.all([
        publicClient!.readContract({ address: d.pool, abi: poolAbi, functionName: "balanceOf", args: [me!] }),
        publicClient!.readContract({ address: d.asset.address, abi: erc20Abi, functionName: "balanceOf", args: [me!] }),
        publicClient!.readContract({ address: d.pool, abi: poolAbi, functionName: "decimals" }),
        publicClient!.getBlock(),
      ]);
      const value = shares === 0n ? 0n : await publicClient!.readContract({ address: d.pool, abi: poolAbi, functionName: "exitValue", args: [shares] });
      const logs = await publicClient!.getLogs({ address: d.pool, event: getAbiItem({ abi: poolAbi, name: "WithdrawalRequested" }), args: { owner: me! }, fromBlock: 0n });
      const requests: Request[] = [];
      for (const l of logs) {
        const r = await publicClient!.readContract({ address: d.pool, abi: poolAbi, functionName: "withdrawalRequest", args: [l.args.requestId!] });
        if (r.shares > 0n) requests.push({ id: l.args.requestId!, shares: r.shares, assets: r.assets, claimableAt: Number(r.claimableAt) });
      }
      return { shares, value, balance, shareDecimals: decimals, chainTime: Number(block.timestamp), requests };
    },
  });
  const send = useMutation({
    mutationFn: async (action: { kind: "deposit"; assets: bigint } | { kind: "request"; shares: bigint } | { kind: "complete" | "cancel"; request: Request }) => {
      if (!account.ready || !wallet || !publicClient) throw new Error(account.why ?? "The wallet is not ready.");
      const mined = async (hash: Hash) => {
        const r = await publicClient.waitForTransactionReceipt({ hash });
        if (r.status !== "success") throw new Error(`The transaction reverted: ${hash}`);
        return hash;
      };
      const who = wallet.account.address as Address;
      if (action.kind === "deposit") {
        const allowance = await publicClient.readContract({ address: d.asset.address, abi: erc20Abi, functionName: "allowance", args: [who, d.pool] });
        if (allowance < action.assets) await mined(await wallet.writeContract({ address: d.asset.address, abi: erc20Abi, functionName: "approve", args: [d.pool, action.assets], account: wallet.account, chain: wallet.chain }));
        const { request } = await publicClient.simulateContract({ address: d.pool, abi: poolAbi, functionName: "deposit", args: [action.assets, who], account: wallet.account });
        return mined(await wallet.writeContract(request));
      }
      if (action.kind === "request") {
        const { request } = await publicClient.simulateContract({ address: d.pool, abi: poolAbi, functionName: "requestRedeem", args: [action.shares], account: wallet.account });
        return mined(await wallet.writeContract(request));
      }
      if (action.kind === "complete") {
        const { request } = await publicClient.simulateContract({ address: d.pool, abi: poolAbi, functionName: "completeRedeem", args: [action.request.id, action.request.shares, who], account: wallet.account });
        return mined(await wallet.writeContract(request));
      }
      const { request } = await publicClient.simulateContract({ address: d.pool, abi: poolAbi, functionName: "cancelRedeem", args: [action.request.id], account: wallet.account });
      return mined(await wallet.writeContract(request));
    },
    onSuccess: () => {
      setDepositText("");
      setWithdrawText("");
    },
    onSettled: () => void qc.invalidateQueries(),
  });
  const parse = (text: string, decimals: number): { v: bigint | null; error: string | null } => {
    if (text.trim() === "") return { v: null, error: null };
    try {
      const v = parseAmount(text, decimals);
      return v === 0n ? { v: null, error: "Enter an amount above zero." } : { v, error: null };
    } catch (err) {
      return { v: null, error: err instanceof AmountInputError ? err.message : String(err) };
    }
  };
  const dep = parse(depositText, d.asset.decimals);
  const wd = parse(withdrawText, position.data?.shareDecimals ?? 18);
  const pos = position.data;
  // The chain's clock can run ahead of the browser's (a local chain moved forward): count from it.
  const skew = pos ? pos.chainTime - now : 0;
  return (
    <section aria-labelledby="lp-title" className="panel">
      <h2 id="lp-title">Provide liquidity</h2>
      {!account.ready && <p className="hint">{account.why}</p>}
      {pos && (
        <dl className="facts">
          <div><dt>Your shares</dt><dd data-testid="lp-shares">{formatAmount(pos.shares, pos.shareDecimals, { maxFraction: 4 })}</dd></div>
          <div><dt>Worth now (net of pending incidents)</dt><dd data-testid="lp-value">{formatAmount(pos.value, d.asset.decimals, { symbol: d.asset.symbol })}</dd></div>
          <div><dt>Wallet balance</dt><dd>{formatAmount(pos.balance, d.asset.decimals, { symbol: d.asset.symbol })}</dd></div>
        </dl>
      )}
      <form onSubmit={(e) => { e.preventDefault(); if (dep.v) send.mutate({ kind: "deposit", assets: dep.v }); }}>
        <label>Deposit ({d.asset.symbol})
          <input name="deposit" inputMode="decimal" value={depositText} onChange={(e) => setDepositText(e.target.value)} aria-invalid={dep.error !== null} />
        </label>
        {dep.error && <p className="error">{dep.error}</p>}
        <button type="submit" disabled={!account.ready || !dep.v || send.isPending}>Deposit</button>
      </form>
      <form onSubmit={(e) => { e.preventDefault(); if (wd.v) send.mutate({ kind: "request", shares: wd.v }); }}>
        <label>Request a withdrawal (shares)
          <input name="withdraw" inputMode="decimal" value={withdrawText} onChange={(e) => setWithdrawText(e.target.value)} aria-invalid={wd.error !== null} />
        </label>
        {wd.error && <p className="error">{wd.error}</p>}
        {wd.v !== null && <p className="hint">About {formatAmount((wd.v * BigInt(sharePrice.assets)) / BigInt(sharePrice.perShares), d.asset.decimals, { symbol: d.asset.symbol })} at today's price; claimable after {formatDuration(cooldownSeconds)}, valued then at the lower of today's and that day's price net of incidents.</p>}
        <button type="submit" disabled={!account.ready || !wd.v || send.isPending}>Request withdrawal</button>
      </form>
      {send.isPending && <p role="status" aria-live="polite">Waiting for your wallet and the chain…</p>}
      {send.error && <p role="alert" className="error" data-testid="lp-error">{inWords(send.error)}</p>}
      {send.data && <p role="status" className="success" data-testid="lp-done">Done: transaction <span className="mono">{shortHex(send.data)}</span></p>}
      {pos && pos.requests.length > 0 && (
        <table className="list" data-testid="requests">
          <caption>Your withdrawal requests</caption>
          <thead><tr><th scope="col">Request</th><th scope="col">Shares</th><th scope="col">Worth at request</th><th scope="col">Claimable</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {pos.requests.map((r) => {
              const left = r.claimableAt - (now + skew);
              const lapsed = now + skew > r.claimableAt + REDEEM_WINDOW_SECONDS;
              return (
                <tr key={r.id.toString()}>
                  <td>{r.id.toString()}</td>
                  <td>{formatAmount(r.shares, pos.shareDecimals, { maxFraction: 4 })}</td>
                  <td>{formatAmount(r.assets, d.asset.decimals, { symbol: d.asset.symbol })}</td>
                  <td data-testid="countdown">{lapsed ? "lapsed: cancel and request again" : left > 0 ? `in ${formatDuration(left)} (${formatTime(r.claimableAt)})` : "now"}</td>
                  <td>
                    <button type="button" disabled={!account.ready || left > 0 || lapsed || send.isPending} onClick={() => send.mutate({ kind: "complete", request: r })}>Complete</button>{" "}
                    <button type="button" className="secondary" disabled={!account.ready || send.isPending} onClick={() => send.mutate({ kind: "cancel", request: r })}>Cancel</button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
