import { getAddress, type Address, type Hex, type TypedDataDomain } from "viem";
import { z } from "zod";

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

// ─── the one quote codec: wire (decimal strings) ⇄ typed Quote ────────────────────────────────

/** Largest cover amount the market holds (a uint96), in base units. */
export const MAX_COVER_AMOUNT = 2n ** 96n - 1n;
/** Largest quote id the market accepts (CoverMarket.MAX_QUOTE_ID). */
export const MAX_QUOTE_ID = 2n ** 48n - 1n;
const MAX_UINT64 = 2n ** 64n - 1n;
export const SECONDS_PER_DAY = 86_400;
/** Days of cover (what the API takes) as the seconds a quote carries. The one place days become seconds. */
export const daysToSeconds = (days: number): bigint => BigInt(days) * BigInt(SECONDS_PER_DAY);

const decimal = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "an unsigned integer as a decimal string");
/** An unsigned integer as a decimal string within [min, max] (kept a string: parse with BigInt). */
export const uintString = (min: bigint, max: bigint) =>
  // zod runs every check, so the bound re-tests the shape before BigInt (which throws on "1.5").
  decimal.refine((v) => /^[0-9]{1,78}$/.test(v) && BigInt(v) >= min && BigInt(v) <= max, `an integer from ${min} to ${max}`);
/** A cover amount in base units as a decimal string: 1 … 2^96−1. The one place the bound is enforced. */
export const CoverAmount = uintString(1n, MAX_COVER_AMOUNT);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "a 20-byte address in hex");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "32 bytes of hex");

/**
 * The signed quote on the wire (`eip712.message` of `POST /v1/quotes`; the `quote` of a relayed
 * purchase): uint fields as decimal strings. Bounds are the market's own (amount and premium fit
 * a uint96, times a uint64, the id at most 2^48−1).
 */
export const QuoteWire = z.strictObject({
  productId: uintString(1n, 2n ** 32n - 1n),
  amount: CoverAmount,
  premium: uintString(1n, MAX_COVER_AMOUNT),
  start: uintString(0n, MAX_UINT64),
  duration: uintString(1n, MAX_UINT64),
  buyer: address,
  deadline: uintString(0n, MAX_UINT64),
  quoteId: uintString(1n, MAX_QUOTE_ID),
  termsHash: bytes32,
  integrator: address,
  integratorFeeBps: z.int().min(0).max(65_535),
});
export type QuoteWire = z.infer<typeof QuoteWire>;

/** The wire message parsed into the typed `Quote` the contract takes. */
export const QuoteMessage = QuoteWire.transform(
  (m): Quote => ({
    productId: BigInt(m.productId), amount: BigInt(m.amount), premium: BigInt(m.premium), start: BigInt(m.start), duration: BigInt(m.duration),
    buyer: getAddress(m.buyer), deadline: BigInt(m.deadline), quoteId: BigInt(m.quoteId), termsHash: m.termsHash as Hex,
    integrator: getAddress(m.integrator), integratorFeeBps: m.integratorFeeBps,
  }),
);

/** The typed quote as its wire message (uint fields as decimal strings). */
export function quoteMessage(q: Quote): QuoteWire {
  return {
    productId: q.productId.toString(), amount: q.amount.toString(), premium: q.premium.toString(), start: q.start.toString(),
    duration: q.duration.toString(), buyer: q.buyer, deadline: q.deadline.toString(), quoteId: q.quoteId.toString(),
    termsHash: q.termsHash, integrator: q.integrator, integratorFeeBps: q.integratorFeeBps,
  };
}

/** Parses a quote's wire message (throws a ZodError naming the bad field). */
export const parseQuote = (message: unknown): Quote => QuoteMessage.parse(message);

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
