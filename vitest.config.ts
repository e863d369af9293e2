import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import type { TestChain } from "./test/workers/test-chain";

// One `npm test`, two runtimes: contract suites run in Node against anvil; Worker suites run in
// workerd through the Cloudflare pool, with the D1 migrations applied in their setup file.
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "db/migrations"));
  return {
    test: {
      // Each contract file starts its own anvil; two files at a time fits a two-core machine.
      maxWorkers: 2,
      projects: [
        {
          // Plain Node, no chain: checks of what the Worker publishes (the OpenAPI document's lint).
          test: { name: "node", environment: "node", include: ["test/node/**/*.test.ts"], testTimeout: 60_000 },
        },
        {
          // A real browser (Debian's Chromium via playwright-core) against the stack npm start runs.
          test: { name: "browser", environment: "node", include: ["test/browser/**/*.test.ts"], testTimeout: 180_000, hookTimeout: 300_000 },
        },
        {
          test: {
            name: "contracts",
            environment: "node",
            include: ["test/contracts/**/*.test.ts"],
            globalSetup: ["test/contracts/global-setup.ts"],
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
        {
          plugins: [
            // The global setup starts anvil and deploys; its RPC URL and addresses become the
            // Worker's bindings here, overriding any local .dev.vars written by `npm start`.
            cloudflareTest(({ inject }) => {
              const chain = (inject as (key: string) => unknown)("chain") as TestChain;
              return {
                wrangler: { configPath: "./wrangler.toml" },
                miniflare: {
                  bindings: {
                    TEST_MIGRATIONS: migrations,
                    TEST_CHAIN: JSON.stringify(chain),
                    RPC_URL: chain.proxyUrl,
                    CHAIN_ID: String(chain.chainId),
                    QUOTE_SIGNER_KEY: chain.keys.quoteSigner,
                    RELAYER_KEY: chain.keys.relayer,
                    KEEPER_KEY: chain.keys.keeper,
                  },
                },
              };
            }),
          ],
          test: {
            name: "workers",
            include: ["test/workers/**/*.test.ts"],
            // Files share one chain but each has its own storage (so its own quote sequencer):
            // one file at a time keeps their purchases from racing for the same quote id.
            fileParallelism: false,
            testTimeout: 60_000,
            globalSetup: ["test/workers/global-setup.ts"],
            setupFiles: ["test/workers/apply-migrations.ts"],
          },
        },
      ],
    },
  };
});
