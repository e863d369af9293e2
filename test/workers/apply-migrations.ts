import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { saveDeployments } from "../../db/queries/deployments";

// Same migrations wrangler applies (db/migrations); idempotent, so every test file can run it.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Where the global setup deployed the contracts, as a deploy script records it.
const chain = JSON.parse(env.TEST_CHAIN) as { chainId: number; contracts: Record<string, string> };
await saveDeployments(
  env.DB,
  Object.entries(chain.contracts).map(([contract, address]) => ({ chainId: chain.chainId, contract, address, deployedBlock: 0, deployedAt: 0 })),
);
