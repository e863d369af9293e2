import { env } from "cloudflare:workers";
import { createPublicClient, createWalletClient, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { abi as tokenAbi } from "../../../contracts/out/MockStablecoin";
import type { TestChain } from "../test-chain";

export const chain = JSON.parse(env.TEST_CHAIN) as TestChain;
const transport = http(chain.rpcUrl);
export const publicClient = createPublicClient({ chain: foundry, transport });

export type QuoteTransaction = { to: Hex; data: Hex; approval: { token: Hex; spender: Hex; amount: string } };

/**
 * Does what a buyer's wallet does with an API quote: mints the local stablecoin for the premium
 * (local faucet), approves the market, sends the quote's calldata. Returns every tx hash.
 */
export async function buyWithQuote(key: Hex, tx: QuoteTransaction) {
  const account = privateKeyToAccount(key);
  const wallet = createWalletClient({ chain: foundry, transport, account });
  const premium = BigInt(tx.approval.amount);
  const wait = async (hash: Hex) => {
    const r = await publicClient.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error(`reverted: ${hash}`);
    return hash;
  };
  const mint = await wait(await wallet.writeContract({ address: tx.approval.token, abi: tokenAbi, functionName: "mint", args: [account.address, premium] }));
  const approve = await wait(await wallet.writeContract({ address: tx.approval.token, abi: tokenAbi, functionName: "approve", args: [tx.approval.spender, premium] }));
  const buy = await wait(await wallet.sendTransaction({ to: tx.to, data: tx.data }));
  return { mint, approve, buy, buyer: account.address };
}
