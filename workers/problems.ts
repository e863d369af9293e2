/**
 * Every problem type the API answers with: the one list. Each entry is a stable `type`
 * (`https://tripwire.dev/problems/<slug>`), its HTTP status, its title and what it means. Throw
 * sites name a slug (`problem("capacity-exceeded", detail)`), OpenAPI's error responses list the
 * slugs per status from here, and the README's error table is generated from it
 * (`npm run docs:errors`; a test fails when the README is out of date).
 */
/** Base of every problem `type`: one stable URI per error. */
export const PROBLEM_BASE = "https://tripwire.dev/problems/";

export const PROBLEMS = {
  "validation-failed": { status: 400, title: "Request validation failed", means: "The body, query or path does not match the schema; `errors` lists each failing field's path and code (extra fields are refused)." },
  "malformed-request": { status: 400, title: "Malformed request", means: "The request could not be read: the body is not JSON, or the framework refused it before validation." },
  "idempotency-key-invalid": { status: 400, title: "Invalid Idempotency-Key", means: "The Idempotency-Key header is not 1 to 255 visible ASCII characters." },
  unauthorized: { status: 401, title: "Unauthorized", means: "The route needs an API key, or the key sent (on any route) is malformed, unknown or revoked." },
  forbidden: { status: 403, title: "Forbidden", means: "The API key lacks the scope the route needs (admin keys pass every scope)." },
  "not-found": { status: 404, title: "Not Found", means: "No such route, or no such product, protocol, policy, webhook or key." },
  "product-unavailable": { status: 409, title: "Product not on sale", means: "The product has an open incident, is closed after one, is not listed on-chain, or its sales are paused." },
  "idempotency-key-in-flight": { status: 409, title: "Request in flight", means: "A request with this Idempotency-Key is still being processed; retry later." },
  "unsupported-media-type": { status: 415, title: "Unsupported Media Type", means: "A request with a body must send it as application/json." },
  "amount-invalid": { status: 422, title: "Amount out of range", means: "The premium model refuses the amount or the duration (the request schema already bounds the amount to 1 … 2^96−1 base units and the duration to 1–365 days)." },
  "capacity-exceeded": { status: 422, title: "Not enough capacity", means: "The product's cap, the pool's capacity or a stress scenario's room (with the quotes still outstanding) cannot take this cover; `capacityLeft` says how much can, `scenario` which scenario binds." },
  "product-unpriced": { status: 422, title: "Product not priced", means: "The premium model cannot price the product's trigger (a composite with no leg of a kind the Worker knows, or parameters its kind cannot read): no quote is signed." },
  "protocol-refused": { status: 422, title: "Protocol not covered", means: "The underwriting rules refuse the protocol (`code` says which: unaudited, too young, too small, too many incidents, rate too high)." },
  "condition-near-trigger": { status: 422, title: "Condition close to tripping", means: "The keeper's last reading puts the product within its sales margin of the trigger: no cover is sold this close to a loss." },
  "terms-mismatch": { status: 422, title: "Terms do not match", means: "The product's terms text does not hash to the terms hash listed on-chain." },
  "product-not-listed": { status: 422, title: "Product not listed", means: "No product with this id is listed on-chain." },
  "unknown-protocol": { status: 422, title: "Unknown protocol", means: "The protocol id names no registered protocol." },
  "unknown-trigger": { status: 422, title: "Unknown trigger", means: "The product's trigger contract is not one of the deployment's trigger kinds." },
  "transaction-not-found": { status: 422, title: "Transaction not found", means: "The chain has no receipt for this transaction hash (not mined, or dropped)." },
  "transaction-reverted": { status: 422, title: "Transaction reverted", means: "The transaction was mined and reverted: nothing was bought." },
  "not-a-purchase": { status: 422, title: "Not a purchase", means: "The transaction emitted no CoverPurchased event of this market." },
  "purchase-would-revert": { status: 422, title: "Purchase would revert", means: "The relayed purchase fails when simulated; `detail` names the market's error in words." },
  "idempotency-key-reused": { status: 422, title: "Idempotency-Key reused", means: "The key was used before with a different request body." },
  "rate-limited": { status: 429, title: "Too Many Requests", means: "The caller's rate limit is reached (per API key, else per client address); see Retry-After." },
  internal: { status: 500, title: "Internal Server Error", means: "An unexpected fault; it is logged. Nothing was changed by a refused request." },
  "chain-unavailable": { status: 503, title: "Chain unavailable", means: "The chain RPC is not configured or did not answer (the URL is never echoed)." },
  "deployment-missing": { status: 503, title: "Deployment missing", means: "No contract deployment is recorded for the configured chain." },
  "quote-signer-missing": { status: 503, title: "Quote signer not configured", means: "QUOTE_SIGNER_KEY is not set: the Worker serves reads but signs no quotes." },
  "relayer-missing": { status: 503, title: "Relayer not configured", means: "RELAYER_KEY is not set: relayed purchases are off (buyers can still buy directly)." },
  "worker-misconfigured": { status: 503, title: "Worker misconfigured", means: "A variable or secret is missing or malformed; `detail` names it (never its value)." },
} as const satisfies Record<string, { status: 400 | 401 | 403 | 404 | 409 | 415 | 422 | 429 | 500 | 503; title: string; means: string }>;

export type ProblemSlug = keyof typeof PROBLEMS;
export type ProblemStatus = (typeof PROBLEMS)[ProblemSlug]["status"];

/** The slugs answered with `status`, in catalogue order. */
export const slugsWithStatus = (status: number): ProblemSlug[] =>
  (Object.keys(PROBLEMS) as ProblemSlug[]).filter((s) => PROBLEMS[s].status === status);

/** The README's error table (generated: `npm run docs:errors`). */
export function problemTableMarkdown(): string {
  const rows = (Object.keys(PROBLEMS) as ProblemSlug[]).map((s) => `| \`${s}\` | ${PROBLEMS[s].status} | ${PROBLEMS[s].title} | ${PROBLEMS[s].means.replace(/\|/g, "\\|")} |`);
  return ["| type (`https://tripwire.dev/problems/…`) | status | title | what it means |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
