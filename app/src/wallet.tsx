import { createContext, useContext, type ReactNode } from "react";
import { defineChain, type Address, type Chain } from "viem";
import { createConfig, http, injected, useAccount, useConnect, useDisconnect, useSwitchChain, WagmiProvider } from "wagmi";
import { inWords } from "./errors";

/** What the Worker serves (GET /v1/deployment): the chain and the contracts the app talks to. */
export type Deployment = {
  chainId: number;
  market: Address;
  pool: Address;
  asset: { address: Address; symbol: string; decimals: number };
  multicall: Address;
  browserRpcUrl: string | null;
};

const DeploymentContext = createContext<Deployment | null>(null);

/** The deployment the page was built for: every component below `WalletProvider` may read it. */
export function useDeployment(): Deployment {
  const d = useContext(DeploymentContext);
  if (!d) throw new Error("useDeployment outside WalletProvider");
  return d;
}

/** The chain as viem describes it: its id, and the public RPC the Worker names for reads. */
export function chainOf(d: Deployment): Chain {
  return defineChain({
    id: d.chainId,
    name: d.chainId === 31337 ? "Local chain (anvil)" : `Chain ${d.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: d.browserRpcUrl ? [d.browserRpcUrl] : [] } },
    contracts: { multicall3: { address: d.multicall } },
  });
}

/** wagmi over one chain, with the injected (EIP-1193) wallet; reads go through the Worker's public RPC, or the wallet's. */
export function wagmiConfigFor(d: Deployment) {
  const chain = chainOf(d);
  return createConfig({
    chains: [chain],
    connectors: [injected()],
    transports: { [chain.id]: http(d.browserRpcUrl ?? undefined) },
  });
}

export function WalletProvider({ deployment, config, children }: { deployment: Deployment; config: ReturnType<typeof wagmiConfigFor>; children: ReactNode }) {
  return (
    <WagmiProvider config={config}>
      <DeploymentContext.Provider value={deployment}>{children}</DeploymentContext.Provider>
    </WagmiProvider>
  );
}

/** Connect, show the account, switch to the deployment's chain when the wallet is elsewhere. */
export function WalletButton() {
  const d = useDeployment();
  const { address, chainId, isConnected } = useAccount();
  const { connect, connectors, isPending, error } = useConnect();
  const { disconnect } = useDisconnect();
  const { switchChain, isPending: switching, error: switchError } = useSwitchChain();
  if (!isConnected) {
    const connector = connectors[0];
    return (
      <div className="wallet">
        <button type="button" disabled={!connector || isPending} onClick={() => connector && connect({ connector })}>
          {isPending ? "Connecting…" : "Connect wallet"}
        </button>
        {!connector && <span className="hint">No browser wallet found: everything that only reads works without one.</span>}
        {error && <span role="alert" className="error">{inWords(error)}</span>}
      </div>
    );
  }
  return (
    <div className="wallet">
      <span className="account" title={address}>{address?.slice(0, 6)}…{address?.slice(-4)}</span>
      {chainId !== d.chainId && (
        <button type="button" disabled={switching} onClick={() => switchChain({ chainId: d.chainId })}>
          {switching ? "Switching…" : `Switch to ${chainOf(d).name}`}
        </button>
      )}
      {switchError && <span role="alert" className="error">{inWords(switchError)}</span>}
      <button type="button" className="secondary" onClick={() => disconnect()}>Disconnect</button>
    </div>
  );
}

/** The connected account when it is on the deployment's chain, with what is missing otherwise. */
export function useReadyAccount(): { address: Address | undefined; ready: boolean; why: string | null } {
  const d = useDeployment();
  const { address, chainId, isConnected } = useAccount();
  if (!isConnected || !address) return { address: undefined, ready: false, why: "Connect a wallet to do this." };
  if (chainId !== d.chainId) return { address, ready: false, why: `Switch your wallet to ${chainOf(d).name}.` };
  return { address, ready: true, why: null };
}
