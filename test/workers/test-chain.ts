/** What the workers global setup deploys and hands to the Worker's bindings as TEST_CHAIN. */
export type TestChain = {
  rpcUrl: string;
  chainId: number;
  contracts: Record<string, `0x${string}`>;
  /** LOCAL ONLY: anvil's development keys (the public mnemonic), by role. */
  keys: { quoteSigner: `0x${string}`; buyer: `0x${string}`; beneficiary: `0x${string}`; relayer: `0x${string}` };
  products: { id: number; name: string; terms: string }[];
};
