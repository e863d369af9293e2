import { getAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import type { Env } from "./env";

/**
 * The Worker's configuration: every variable and secret it reads, parsed once into typed values.
 * Values come from `wrangler.toml` `[vars]` (what differs per environment), wrangler secrets in
 * production and `.dev.vars` locally (keys, the RPC URL); the defaults below are the only place a
 * default lives. Nothing else reads `env.SOME_VAR`.
 */

const intVar = (min: number, fallback?: number) => {
  const n = z
    .string()
    .trim()
    .regex(/^\d+$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `expected a whole number ≥ ${min}`).max(Number.MAX_SAFE_INTEGER));
  return fallback === undefined ? n : n.optional().transform((v) => v ?? fallback);
};
const privateKey = z
  .string()
  .trim()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte private key: 0x and 64 hex digits")
  .transform((v) => v as Hex);
/** Unset and empty are the same: a key or URL left blank is not configured. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional()).transform((v) => (v ?? null) as z.output<T> | null);

export const configSchema = z.object({
  /** The chain the Worker serves (EIP-155 id). Required: there is no safe default. */
  CHAIN_ID: intVar(1),
  /** JSON-RPC endpoint (a secret in production: provider URLs embed keys). */
  RPC_URL: optional(z.url({ protocol: /^https?$/, error: "expected an http(s) URL" })),
  /** Signs quotes (secret). Unset: the Worker serves reads, quotes answer 503 quote-signer-missing. */
  QUOTE_SIGNER_KEY: optional(privateKey),
  /** Submits relayed purchases (secret). Unset: relayed purchases answer 503 relayer-missing. */
  RELAYER_KEY: optional(privateKey),
  /** Sends the keeper's observe/fire/confirm/settle (secret). Unset: the keeper does not run. */
  KEEPER_KEY: optional(privateKey),
  /** Seconds a signed quote stays usable. */
  QUOTE_TTL_SECONDS: intVar(1, 600),
  /** The smallest premium, in the stablecoin's base units. Required: it depends on the asset's decimals. */
  MIN_PREMIUM: z
    .string()
    .trim()
    .regex(/^\d+$/, "expected a whole number of base units")
    .transform((v) => BigInt(v)),
  /** The RPC the app in the browser reads the chain through when no wallet is connected (public: never a keyed URL). Unset: the app reads through the wallet only. */
  BROWSER_RPC_URL: optional(z.url({ protocol: /^https?$/, error: "expected an http(s) URL" })),
  /** Browser origins allowed by CORS, comma-separated. */
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  /** Blocks on top of a block before the keeper indexes its events or counts a transaction as final. Required: 0 locally, 3–12 in production. */
  KEEPER_CONFIRMATIONS: intVar(0),
  /** Seconds one keeper run holds its lease. */
  KEEPER_LEASE_SECONDS: intVar(1, 120),
  /** Most blocks the indexer reads per run; the cursor resumes from there. */
  KEEPER_INDEX_MAX_BLOCKS: intVar(1, 2_000),
  /** Most logs the indexer takes per run (whole blocks; keeps each run's D1 batch small). */
  KEEPER_INDEX_MAX_LOGS: intVar(1, 2_000),
  /** Policies per settlement transaction (about 35k gas each: 100 stay far inside a block). */
  SETTLE_BATCH_SIZE: intVar(1, 100),
  /** Webhook deliveries attempted per run. */
  WEBHOOK_BATCH: intVar(1, 20),
});

/** The names the schema reads: every variable and secret of the Worker. */
export type ConfigVar = keyof z.input<typeof configSchema>;

export type Config = {
  chainId: number;
  rpcUrl: string | null;
  quoteSignerKey: Hex | null;
  relayerKey: Hex | null;
  keeperKey: Hex | null;
  /** The relayer's address, when a relayer key is configured. */
  relayer: Address | null;
  quoteTtlSeconds: number;
  minimumPremium: bigint;
  corsOrigins: string[];
  browserRpcUrl: string | null;
  keeper: {
    /** Blocks on top of a block before its events are indexed and a transaction counts as final. */
    confirmations: number;
    leaseSeconds: number;
    /** Most blocks the indexer reads per run; the cursor resumes from there. */
    indexMaxBlocks: number;
    /** Most logs the indexer takes per run (whole blocks; keeps each run's D1 batch small). */
    indexMaxLogs: number;
    /** Policies per settlement transaction (about 35k gas each: 100 stay far inside a block). */
    settleBatchSize: number;
    /** Webhook deliveries attempted per run. */
    webhookBatch: number;
  };
};

/** A variable or secret that is missing or malformed: names each one and what was expected. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Worker configuration is invalid: ${problems.map((p) => `${p.variable}: ${p.message}`).join("; ")}`);
  }
}

/** Parses the Worker's variables and secrets (throws ConfigError naming every bad one). */
export function parseConfig(given: Record<string, unknown> | undefined): Config {
  const vars = given ?? {};
  const r = configSchema.safeParse(vars);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => {
        const variable = String(i.path[0] ?? "?");
        // Never echo a secret's value back.
        const missing = vars[variable] === undefined;
        return { variable, message: missing ? "is not set" : i.message };
      }),
    );
  }
  const v = r.data;
  return {
    chainId: v.CHAIN_ID,
    rpcUrl: v.RPC_URL,
    quoteSignerKey: v.QUOTE_SIGNER_KEY,
    relayerKey: v.RELAYER_KEY,
    keeperKey: v.KEEPER_KEY,
    relayer: v.RELAYER_KEY ? getAddress(privateKeyToAccount(v.RELAYER_KEY).address) : null,
    quoteTtlSeconds: v.QUOTE_TTL_SECONDS,
    minimumPremium: v.MIN_PREMIUM,
    corsOrigins: v.CORS_ORIGINS,
    browserRpcUrl: v.BROWSER_RPC_URL,
    keeper: {
      confirmations: v.KEEPER_CONFIRMATIONS,
      leaseSeconds: v.KEEPER_LEASE_SECONDS,
      indexMaxBlocks: v.KEEPER_INDEX_MAX_BLOCKS,
      indexMaxLogs: v.KEEPER_INDEX_MAX_LOGS,
      settleBatchSize: v.SETTLE_BATCH_SIZE,
      webhookBatch: v.WEBHOOK_BATCH,
    },
  };
}

const parsed = new WeakMap<object, Config>();

/**
 * The configuration of this `env`: parsed on first use and kept for that env object (one parse
 * per isolate in production; a test that passes a changed env gets its own parse).
 */
export function config(env: Env): Config {
  if (typeof env !== "object" || env === null) return parseConfig(undefined); // throws: nothing is set
  let c = parsed.get(env);
  if (!c) {
    c = parseConfig(env as unknown as Record<string, unknown>);
    parsed.set(env, c);
  }
  return c;
}
