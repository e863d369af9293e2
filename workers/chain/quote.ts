import type { Address, Hex, TypedDataDomain } from "viem";

/**
 * The EIP-712 quote the CoverMarket verifies. Field order and types must match
 * `CoverMarket.QUOTE_TYPEHASH`; a test compares this digest with the contract's for random quotes.
 */
export const quoteTypes = {
  Quote: [
    { name: "productId", type: "uint256" },
    { name: "amount", type: "uint256" },
    { name: "premium", type: "uint256" },
    { name: "start", type: "uint64" },
    { name: "duration", type: "uint64" },
    { name: "buyer", type: "address" },
    { name: "deadline", type: "uint64" },
    { name: "quoteId", type: "uint256" },
    { name: "termsHash", type: "bytes32" },
    { name: "integrator", type: "address" },
    { name: "integratorFeeBps", type: "uint16" },
  ],
} as const;

/** A quote as signed: amounts in base units, times in unix seconds. */
export type Quote = {
  productId: bigint;
  amount: bigint;
  premium: bigint;
  start: bigint;
  duration: bigint;
  buyer: Address;
  deadline: bigint;
  quoteId: bigint;
  termsHash: Hex;
  integrator: Address;
  integratorFeeBps: number;
};

export const QUOTE_DOMAIN_NAME = "Tripwire CoverMarket";
export const QUOTE_DOMAIN_VERSION = "1";

export function quoteDomain(chainId: number, market: Address): TypedDataDomain {
  return { name: QUOTE_DOMAIN_NAME, version: QUOTE_DOMAIN_VERSION, chainId, verifyingContract: market };
}

/** Everything `signTypedData` / `hashTypedData` need for one quote. */
export function quoteTypedData(quote: Quote, chainId: number, market: Address) {
  return { domain: quoteDomain(chainId, market), types: quoteTypes, primaryType: "Quote" as const, message: quote };
}

/** What a buyer signs so a relayer can submit their purchase (CoverMarket.ACCEPTANCE_TYPEHASH). */
export const acceptanceTypes = {
  Acceptance: [
    { name: "quoteId", type: "uint256" },
    { name: "buyer", type: "address" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export function acceptanceTypedData(a: { quoteId: bigint; buyer: Address; deadline: bigint }, chainId: number, market: Address) {
  return { domain: quoteDomain(chainId, market), types: acceptanceTypes, primaryType: "Acceptance" as const, message: a };
}
