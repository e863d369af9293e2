import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Same migrations wrangler applies (db/migrations); idempotent, so every test file can run it.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
