import { decodeFunctionData, erc20Abi, getAddress, parseAbi, parseEventLogs, parseSignature, type Account, type Address, type Chain, type Hash, type Hex, type PublicClient, type Transport, type WalletClient } from "viem";
import { abi as vaultAbi } from "../contracts/out/CoveredVault";
import { abi as marketAbi } from "../contracts/out/CoverMarket";
import { parseQuote, type Quote, type QuoteWire } from "../workers/chain/quote";

/** A quote as `POST /v1/quotes` answers it (the fields these helpers use). */
export type QuoteResponse = {
  quoteId: string;
  premium: string;
  eip712: { message: QuoteWire };
  signature: string;
  transaction: { to: string; data: string; approval: { token: string; spender: string; amount: string } };
};

export type Wallet = WalletClient<Transport, Chain | undefined, Account>;

/** The EIP-712 quote from an API response, typed for contract calls (uint fields as bigint). */
export function quoteStruct(q: QuoteResponse): Quote {
  return parseQuote(q.eip712.message);
}

/** Approves `spender` for `amount` of `token` unless the allowance already covers it; waits for the receipt. */
export async function ensureAllowance(publicClient: PublicClient, wallet: Wallet, token: Address, spender: Address, amount: bigint): Promise<Hash | null> {
  const owner = wallet.account.address;
  const allowance = await publicClient.readContract({ address: token, abi: erc20Abi, functionName: "allowance", args: [owner, spender] });
  if (allowance >= amount) return null;
  const hash = await wallet.writeContract({ address: token, abi: erc20Abi, functionName: "approve", args: [spender, amount], account: wallet.account, chain: wallet.chain });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`approve reverted: ${hash}`);
  return hash;
}

/** EIP-2612 (permit) and EIP-5267 (the token's EIP-712 domain), as OpenZeppelin's ERC20Permit has them. */
const permitAbi = parseAbi([
  "function nonces(address owner) view returns (uint256)",
  "function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)",
]);

/**
 * Signs an EIP-2612 permit for `spender` to take `value` of `token` until `deadline`, or returns
 * null when the token has no permit (no `nonces` or no EIP-5267 domain): the caller approves
 * instead. A rejected signature throws (the wallet's UserRejectedRequestError), nothing is sent.
 */
export async function signPermit(publicClient: PublicClient, wallet: Wallet, token: Address, spender: Address, value: bigint, deadline: bigint): Promise<{ v: number; r: Hex; s: Hex } | null> {
  const owner = wallet.account.address;
  let nonce: bigint;
  let domain: { name: string; version: string; chainId: bigint; verifyingContract: Address };
  try {
    const [n, d] = await Promise.all([
      publicClient.readContract({ address: token, abi: permitAbi, functionName: "nonces", args: [owner] }),
      publicClient.readContract({ address: token, abi: permitAbi, functionName: "eip712Domain" }),
    ]);
    nonce = n;
    domain = { name: d[1], version: d[2], chainId: d[3], verifyingContract: d[4] };
  } catch {
    return null;
  }
  const signature = await wallet.signTypedData({
    account: wallet.account,
    domain: { name: domain.name, version: domain.version, chainId: Number(domain.chainId), verifyingContract: getAddress(domain.verifyingContract) },
    types: { Permit: [{ name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" }] },
    primaryType: "Permit",
    message: { owner, spender, value, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { v: v !== undefined ? Number(v) : yParity + 27, r, s };
}

/** A quote that can no longer buy anything: already used, or past its deadline. Nothing was sent. */
export class QuoteUnusableError extends Error {
  constructor(
    readonly quoteId: bigint,
    readonly reason: "used" | "expired",
  ) {
    super(reason === "used" ? `quote ${quoteId} was already used` : `quote ${quoteId} expired`);
    this.name = "QuoteUnusableError";
  }
}

/** Refuses, before any approval is sent, a quote the market would refuse as used or expired. */
async function checkUsable(publicClient: PublicClient, market: Address, q: Quote): Promise<void> {
  const [used, block] = await Promise.all([
    publicClient.readContract({ address: market, abi: marketAbi, functionName: "quoteUsed", args: [q.quoteId] }),
    publicClient.getBlock(),
  ]);
  if (used) throw new QuoteUnusableError(q.quoteId, "used");
  if (block.timestamp > q.deadline) throw new QuoteUnusableError(q.quoteId, "expired");
}

/** Every custom error the market and the vault raise, so a refused call names its reason. */
/**
 * The standard ERC-20 errors (OpenZeppelin's IERC20Errors, ERC-6093): a premium the payer cannot
 * cover reverts inside the token, and is named rather than shown as raw data.
 */
const tokenErrors = parseAbi([
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error ERC20InvalidSender(address sender)",
  "error ERC20InvalidReceiver(address receiver)",
]);
const errors = [...marketAbi, ...vaultAbi, ...tokenErrors].filter((x) => x.type === "error");
const marketWithErrors = [...marketAbi, ...tokenErrors];

/**
 * Buys cover with a quote from `POST /v1/quotes`. When the allowance does not cover the premium it
 * signs an EIP-2612 permit (one signature, no approval transaction) and buys with
 * `buyCoverWithPermit` for the same holder; a token without permit, or `payWith: "approve"`,
 * approves first and sends the quote's ready calldata (`buyCover`, or `buyCoverFor` when quoted
 * with a beneficiary); a permit the token refuses on-chain falls back to approving. What is paid
 * and to whom is taken from the market and the signed quote (its asset, the market, the quote's
 * premium): an API approval hint that disagrees is refused before anything is signed. The
 * purchase is simulated first, so a refused quote throws viem's ContractFunctionRevertedError
 * naming the market's error (`MarketQuoteExpired`, `MarketQuoteAlreadyUsed`, …); on the permit
 * path nothing is spent before that, on the approve path the approval may already be sent.
 * @returns the policy id (the quote's id), the purchase transaction, the approval's if one was
 *   sent, and whether a permit paid the premium
 */
export async function buyCover(
  publicClient: PublicClient,
  wallet: Wallet,
  quote: QuoteResponse,
  opts: { onStep?: (step: BuyStep) => void; payWith?: "permit" | "approve" } = {},
): Promise<{ policyId: bigint; txHash: Hash; approvalTxHash: Hash | null; permitted: boolean }> {
  const step = opts.onStep ?? (() => {});
  const { approval } = quote.transaction;
  const q = quoteStruct(quote);
  const to = getAddress(quote.transaction.to);
  step("checking");
  await checkUsable(publicClient, to, q);
  // Decode the ready calldata so the call is simulated with the market's ABI: a refusal is named.
  const decoded = decodeFunctionData({ abi: marketAbi, data: quote.transaction.data as Hash });
  if (decoded.functionName !== "buyCover" && decoded.functionName !== "buyCoverFor") throw new Error(`not a purchase: ${decoded.functionName}`);
  // What is paid, and to whom, comes from the market and the signed quote, not from the API's
  // approval hint: the spender is the market the calldata calls, the token its asset, the amount
  // the quote's premium (a hint that disagrees is refused before anything is signed or sent).
  const spender = to;
  const premium = q.premium;
  const token = getAddress(await publicClient.readContract({ address: to, abi: marketAbi, functionName: "asset" }));
  if (getAddress(approval.spender) !== spender || getAddress(approval.token) !== token || BigInt(approval.amount) !== premium) {
    throw new Error(`the quote's approval (${approval.amount} of ${approval.token} to ${approval.spender}) is not its premium to the market (${premium} of ${token} to ${spender})`);
  }
  const allowance = await publicClient.readContract({ address: token, abi: erc20Abi, functionName: "allowance", args: [wallet.account.address, spender] });
  // The premium's allowance: already there, a permit signed off-chain (no transaction; the market
  // uses it inside the purchase), or an approval transaction when the token has no permit.
  let permit: { v: number; r: Hex; s: Hex } | null = null;
  let approvalTxHash: Hash | null = null;
  if (allowance < premium) {
    if ((opts.payWith ?? "permit") === "permit") {
      step("permitting");
      permit = await signPermit(publicClient, wallet, token, spender, premium, q.deadline);
    }
    if (!permit) {
      step("approving");
      approvalTxHash = await ensureAllowance(publicClient, wallet, token, spender, premium);
    }
  }
  step("buying");
  let txHash: Hash | null = null;
  if (permit) {
    const beneficiary = decoded.functionName === "buyCoverFor" ? (decoded.args[2] as Address) : wallet.account.address;
    try {
      const { request } = await publicClient.simulateContract({
        address: to, abi: marketWithErrors, functionName: "buyCoverWithPermit",
        args: [decoded.args[0], decoded.args[1], beneficiary, q.deadline, permit.v, permit.r, permit.s] as never,
        account: wallet.account, chain: wallet.chain,
      });
      txHash = await wallet.writeContract(request);
    } catch (err) {
      // A permit the token would not take (a domain with a salt, a contract wallet's signature):
      // the market's `try permit` leaves no allowance and the transfer fails. Approve instead.
      if (!/ERC20InsufficientAllowance/.test(String((err as { message?: string }).message ?? err))) throw err;
      permit = null;
      step("approving");
      approvalTxHash = await ensureAllowance(publicClient, wallet, token, spender, premium);
      step("buying");
    }
  }
  if (txHash === null) {
    // No permit (or one the token refused): the quote's ready calldata, the allowance approved.
    if (decoded.functionName === "buyCover") {
      const { request } = await publicClient.simulateContract({ address: to, abi: marketWithErrors, functionName: "buyCover", args: decoded.args, account: wallet.account, chain: wallet.chain });
      txHash = await wallet.writeContract(request);
    } else {
      const { request } = await publicClient.simulateContract({ address: to, abi: marketWithErrors, functionName: "buyCoverFor", args: decoded.args, account: wallet.account, chain: wallet.chain });
      txHash = await wallet.writeContract(request);
    }
  }
  step("confirming");
  const policyId = await purchasedIn(publicClient, txHash);
  return { policyId, txHash, approvalTxHash, permitted: permit !== null };
}

/**
 * Where `buyCover` is: checking the quote, signing a permit for the premium or (a token without
 * permit, or `payWith: "approve"`) approving it — neither when the allowance covers it — sending
 * the purchase, waiting for it.
 */
export type BuyStep = "checking" | "permitting" | "approving" | "buying" | "confirming";

/**
 * Deposits into a `CoveredVault` and buys the quoted cover for the receiver in one transaction.
 * Quote with `beneficiary` = the receiver (who gets the vault shares and the policy) and an
 * `amount` no larger than the deposit. Approves the vault once for deposit plus premium if needed.
 * The call is simulated first: a refusal throws viem's ContractFunctionRevertedError naming the
 * vault's or the market's error (`CoveredVaultWrongBeneficiary`, `MarketQuoteExpired`, …).
 * @param args.vault the CoveredVault's address
 * @param args.assets the deposit, in the asset's base units
 * @param args.receiver who the deposit and the cover are for (default: the wallet's account)
 * @param args.minShares fewest vault shares accepted (default: the vault's previewDeposit less 1%);
 *   below it the vault reverts with `CoveredVaultSharesBelowMinimum`
 * @returns the vault shares minted, the policy id, and the transaction
 */
export async function depositWithCover(
  publicClient: PublicClient,
  wallet: Wallet,
  args: { vault: Address; assets: bigint; quote: QuoteResponse; receiver?: Address; minShares?: bigint },
): Promise<{ shares: bigint; policyId: bigint; txHash: Hash; approvalTxHash: Hash | null }> {
  const q = quoteStruct(args.quote);
  const receiver = args.receiver ?? wallet.account.address;
  const market = await publicClient.readContract({ address: args.vault, abi: vaultAbi, functionName: "coverMarket" });
  await checkUsable(publicClient, market, q);
  const token = getAddress(args.quote.transaction.approval.token);
  const approvalTxHash = await ensureAllowance(publicClient, wallet, token, args.vault, args.assets + q.premium);
  // Default floor: the vault's preview less 1% (interest accrues between preview and inclusion;
  // a donation that moves the price further makes the deposit revert instead of minting less).
  const minShares = args.minShares ?? ((await publicClient.readContract({ address: args.vault, abi: vaultAbi, functionName: "previewDeposit", args: [args.assets] })) * 99n) / 100n;
  const { request, result } = await publicClient.simulateContract({
    address: args.vault, abi: [...vaultAbi, ...errors], functionName: "depositWithCover", args: [args.assets, receiver, minShares, q, args.quote.signature as Hash], account: wallet.account, chain: wallet.chain,
  });
  const txHash = await wallet.writeContract(request);
  const policyId = await purchasedIn(publicClient, txHash);
  return { shares: result[0], policyId, txHash, approvalTxHash };
}

async function purchasedIn(publicClient: PublicClient, txHash: Hash): Promise<bigint> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== "success") throw new Error(`transaction reverted: ${txHash}`);
  const [bought] = parseEventLogs({ abi: marketAbi, logs: receipt.logs, eventName: "CoverPurchased" });
  if (!bought) throw new Error(`no CoverPurchased in ${txHash}`);
  return bought.args.policyId;
}
