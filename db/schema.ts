import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Where each contract of a deployment lives, per chain. The local setup and production deploy
 * scripts write it; the Worker reads addresses from here rather than from code.
 */
export const deployments = sqliteTable(
  "deployments",
  {
    chainId: integer("chain_id").notNull(),
    contract: text("contract").notNull(),
    address: text("address").notNull(),
    deployedBlock: integer("deployed_block").notNull(),
    deployedAt: integer("deployed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.chainId, t.contract] })],
);
