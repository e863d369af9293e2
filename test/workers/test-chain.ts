/** What the workers global setup deploys and hands to the Worker's bindings as TEST_CHAIN. */
export type TestChain = {
  /** anvil itself: what tests use to arrange the chain. */
  rpcUrl: string;
  /** The fault-injecting proxy in front of anvil: what the Worker uses (RPC_URL). */
  proxyUrl: string;
  /** A webhook receiver on loopback (see hook-sink.ts). */
  hookSinkUrl: string;
  chainId: number;
  contracts: Record<string, `0x${string}`>;
  /** LOCAL ONLY: anvil's development keys (the public mnemonic), by role. */
  keys: { owner: `0x${string}`; quoteSigner: `0x${string}`; buyer: `0x${string}`; beneficiary: `0x${string}`; relayer: `0x${string}`; keeper: `0x${string}` };
  products: { id: number; name: string; terms: string }[];
};
