import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { deployments } from "../schema";

export type DeploymentRow = typeof deployments.$inferSelect;

export async function loadDeployments(db: D1Database, chainId: number): Promise<DeploymentRow[]> {
  return drizzle(db).select().from(deployments).where(eq(deployments.chainId, chainId));
}

/** Records where each contract lives; re-deploys replace the addresses. */
export async function saveDeployments(db: D1Database, rows: DeploymentRow[]): Promise<void> {
  if (rows.length === 0) return;
  const d = drizzle(db);
  const upsert = (r: DeploymentRow) =>
    d.insert(deployments).values(r).onConflictDoUpdate({
      target: [deployments.chainId, deployments.contract],
      set: { address: r.address, deployedBlock: r.deployedBlock, deployedAt: r.deployedAt },
    });
  const [first, ...rest] = rows;
  await d.batch([upsert(first!), ...rest.map(upsert)]);
}
