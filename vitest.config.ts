import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

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
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              // RPC_URL is blanked so a local .dev.vars (written by `npm start`) never points the
              // suites at a chain; tests that need one set it themselves.
              miniflare: { bindings: { TEST_MIGRATIONS: migrations, RPC_URL: "" } },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/workers/**/*.test.ts"],
            setupFiles: ["test/workers/apply-migrations.ts"],
          },
        },
      ],
    },
  };
});
