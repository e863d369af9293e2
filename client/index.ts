/**
 * Tripwire's client for integrators: the typed HTTP API (`tripwireApi`) and viem helpers that turn
 * a quote into a purchase (`buyCover`) or a covered deposit (`depositWithCover`).
 */
export { tripwireApi, type AppType, type TripwireApi } from "./api";
export { buyCover, depositWithCover, ensureAllowance, quoteStruct, QuoteUnusableError, type BuyStep, type QuoteResponse, type Wallet } from "./chain";
