import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError } from "viem";

/** What a contract refusal means to the person who pressed the button. */
const WORDS: Record<string, string> = {
  MarketConditionHolds: "This product's trigger condition holds right now, so no cover is sold until it clears.",
  MarketQuoteExpired: "The quote expired before the purchase was sent. Get a new price and try again.",
  MarketQuoteAlreadyUsed: "This quote was already used. Get a new price and try again.",
  MarketQuoteWrongBuyer: "This quote was made for another account. Get a new price with the connected account.",
  MarketProductNotActive: "This product is not on sale (it has an open incident or was closed).",
  MarketProductSalesPaused: "Sales of this product are paused by its curator.",
  MarketNewCoverPaused: "New cover is paused on the whole market.",
  MarketProductCapacityExceeded: "There is not enough capacity left on this product for that amount.",
  MarketQuoteSignatureInvalid: "The quote's signature is not valid. Get a new price.",
  PoolCapacityExceeded: "The pool has not enough free capital for that much cover.",
  ERC20InsufficientBalance: "Your balance is too small for this.",
  ERC20InsufficientAllowance: "The allowance is too small: approve the amount first.",
  PoolWithdrawalCoolingDown: "The withdrawal is still cooling down.",
  PoolWithdrawalLapsed: "The withdrawal request lapsed: cancel it and request again.",
  PoolExitsFrozen: "Withdrawals are frozen while an incident is open or a product's condition holds.",
  PoolWithdrawalExceedsFreeCapital: "The pool's free capital cannot pay this withdrawal now.",
  PoolZeroAmount: "Enter an amount above zero.",
  PoolWithdrawalNotOwner: "This withdrawal request belongs to another account.",
  PoolWithdrawalExceedsRequest: "That is more shares than the request holds.",
  QuoteUnusableError: "This quote can no longer be used. Get a new price.",
};

/** An error in words: a rejected signature, a named contract error, an API problem, or the message. */
export function inWords(err: unknown): string {
  if (err instanceof BaseError) {
    if (err.walk((e) => e instanceof UserRejectedRequestError)) return "You rejected the request in your wallet.";
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const name = reverted.data?.errorName;
      if (name) return WORDS[name] ?? `The contract refused: ${name}.`;
      if (reverted.reason) return `The contract refused: ${reverted.reason}.`;
      return "The contract refused the transaction.";
    }
    if (/insufficient funds/i.test(err.message)) return "Your wallet has not enough native currency to pay for gas.";
    return err.shortMessage;
  }
  if (err instanceof ProblemError) return err.detail;
  if (err instanceof Error) return WORDS[err.name] ?? err.message;
  return String(err);
}

/** An API answer that was a problem (application/problem+json). */
export class ProblemError extends Error {
  override name = "ProblemError";
  constructor(
    readonly status: number,
    readonly type: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}
