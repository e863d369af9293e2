// The Worker's bindings (wrangler.toml; secrets from `.dev.vars` / wrangler secrets), declared on
// the `Cloudflare` namespace the runtime types use, so `env` from "cloudflare:workers" and
// `exports.default` in tests are typed too.
declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    CHAIN_ID: string;
    /** JSON-RPC endpoint (a secret in production: provider URLs embed keys). */
    RPC_URL?: string;
  }
  interface GlobalProps {
    mainModule: typeof import("./index");
  }
}
