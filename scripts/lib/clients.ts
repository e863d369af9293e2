import { createPublicClient, createTestClient, createWalletClient, http, toHex, type Account, type Chain, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { foundry } from "viem/chains";

/**
 * LOCAL ONLY: anvil's public development mnemonic. These keys are known to everyone and hold
 * value only on the embedded local chain; production keys come from wrangler secrets.
 */
export const LOCAL_DEV_MNEMONIC = "test test test test test test test test test test test junk";

export function localAccount(index: number): Account {
  return mnemonicToAccount(LOCAL_DEV_MNEMONIC, { addressIndex: index });
}

/** LOCAL ONLY: the private key of anvil's development account `index` (for .dev.vars and local bindings). */
export function localKey(index: number): Hex {
  return toHex(mnemonicToAccount(LOCAL_DEV_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!);
}

/**
 * Clients of one chain. The defaults suit the embedded chain (poll every 50 ms, no retries); a
 * public chain's (`npm run deploy`, `npm run ops`) poll every 2 s and retry transport errors.
 */
export function localClients(rpcUrl: string, chain: Chain = foundry, opts: { pollingInterval?: number; retryCount?: number } = {}) {
  const pollingInterval = opts.pollingInterval ?? 50;
  const transport = http(rpcUrl, { batch: false, retryCount: opts.retryCount ?? 0 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval });
  const testClient = createTestClient({ chain, transport, mode: "anvil", pollingInterval });
  const wallet = (account: Account) => createWalletClient({ chain, transport, account, pollingInterval });
  return { publicClient, testClient, wallet };
}

export type LocalClients = ReturnType<typeof localClients>;
export type Wallet = ReturnType<LocalClients["wallet"]>;
