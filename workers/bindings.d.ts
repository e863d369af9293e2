// The Worker's bindings (wrangler.toml; secrets from `.dev.vars` / wrangler secrets), declared on
// the `Cloudflare` namespace the runtime types use, so `env` from "cloudflare:workers" and
// `exports.default` in tests are typed too.
declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    CHAIN_ID: string;
    /** JSON-RPC endpoint (a secret in production: provider URLs embed keys). */
    RPC_URL?: string;
    /** Private key of the quote signer (secret: `wrangler secret put QUOTE_SIGNER_KEY`, `.dev.vars` locally). */
    QUOTE_SIGNER_KEY?: string;
    QUOTE_TTL_SECONDS: string;
    MIN_PREMIUM: string;
    RATE_LIMIT_ANON: RateLimit;
    RATE_LIMIT_KEYED: RateLimit;
    /** Browser origins allowed by CORS, comma-separated. */
    CORS_ORIGINS?: string;
    QUOTE_SEQUENCER: DurableObjectNamespace<import("./services/quoteSequencer").QuoteSequencer>;
    TX_SENDER: DurableObjectNamespace<import("./services/txSender").TxSender>;
    /** Private key that submits relayed purchases (secret; `.dev.vars` locally). */
    RELAYER_KEY?: string;
    /** Private key the keeper sends observe/fire/confirm/settle with (secret; `.dev.vars` locally). */
    KEEPER_KEY?: string;
    /** Blocks on top before the keeper indexes an event or counts a transaction as final. */
    KEEPER_CONFIRMATIONS?: string;
    KEEPER_LEASE_SECONDS?: string;
    KEEPER_INDEX_MAX_BLOCKS?: string;
    KEEPER_INDEX_MAX_LOGS?: string;
    SETTLE_BATCH_SIZE?: string;
    WEBHOOK_BATCH?: string;
    /** Settlement batches from the keeper's runs to the queue consumer. */
    SETTLEMENTS: Queue<import("./keeper/tick").SettleMessage>;
  }
  interface GlobalProps {
    mainModule: typeof import("./index");
  }
}
