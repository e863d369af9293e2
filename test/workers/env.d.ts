declare namespace Cloudflare {
  interface Env {
    /** Test-only binding: the migrations in db/migrations, applied by apply-migrations.ts. */
    TEST_MIGRATIONS: import("@cloudflare/vitest-pool-workers").D1Migration[];
    /** Test-only binding: the local chain the global setup deployed (JSON). */
    TEST_CHAIN: string;
  }
}
