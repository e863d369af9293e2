/**
 * A test-only EIP-1193 provider, injected into the page before the app loads (LOCAL ONLY: it
 * forwards everything to anvil, whose development accounts are unlocked, so "signing" is anvil's).
 * It answers what a browser wallet answers itself (accounts, chain, permission and chain-switch
 * requests) and sends every other request to the chain as JSON-RPC: the app cannot tell it from
 * an injected wallet, and every transaction it sends is a real one on the local chain.
 */
export type TestWallet = { rpcUrl: string; account: `0x${string}`; chainId: number };

/** The provider's source, for `page.addInitScript(installTestWallet, wallet)`. */
export function installTestWallet(w: TestWallet): void {
  const listeners: Record<string, ((...args: unknown[]) => void)[]> = {};
  const emit = (event: string, ...args: unknown[]) => (listeners[event] ?? []).forEach((f) => f(...args));
  const chainHex = `0x${w.chainId.toString(16)}`;
  // A wallet remembers that the site may see the account: across reloads, for the tab's life.
  let connected = sessionStorage.getItem("tripwire-test-wallet") === "connected";
  const remember = (on: boolean) => {
    connected = on;
    sessionStorage.setItem("tripwire-test-wallet", on ? "connected" : "");
  };
  let id = 0;
  const rpc = async (method: string, params: unknown) => {
    const res = await fetch(w.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params: params ?? [] }) });
    const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
    if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.code, data: body.error.data });
    return body.result;
  };
  const provider = {
    isTripwireTestWallet: true,
    async request({ method, params }: { method: string; params?: unknown }) {
      switch (method) {
        case "eth_requestAccounts":
          remember(true);
          setTimeout(() => emit("accountsChanged", [w.account]), 0);
          return [w.account];
        case "eth_accounts":
          return connected ? [w.account] : [];
        case "eth_chainId":
          return chainHex;
        case "net_version":
          return String(w.chainId);
        case "wallet_requestPermissions":
          remember(true);
          return [{ parentCapability: "eth_accounts" }];
        case "wallet_getPermissions":
          return connected ? [{ parentCapability: "eth_accounts" }] : [];
        case "wallet_revokePermissions":
          remember(false);
          return null;
        case "wallet_switchEthereumChain":
          return null;
        default:
          return rpc(method, params);
      }
    },
    on(event: string, f: (...args: unknown[]) => void) {
      (listeners[event] ??= []).push(f);
      return provider;
    },
    removeListener(event: string, f: (...args: unknown[]) => void) {
      listeners[event] = (listeners[event] ?? []).filter((g) => g !== f);
      return provider;
    },
  };
  (window as unknown as { ethereum: unknown }).ethereum = provider;
}
