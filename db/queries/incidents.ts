import { and, asc, eq, gt, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { incidents, payouts } from "../schema";

export async function listIncidents(db: D1Database, product: number | undefined, after: number, limit: number) {
  const where: SQL[] = [gt(incidents.id, after)];
  if (product !== undefined) where.push(eq(incidents.productId, product));
  return drizzle(db).select().from(incidents).where(and(...where)).orderBy(asc(incidents.id)).limit(limit);
}

export async function listPayouts(db: D1Database, incident: number | undefined, after: number, limit: number) {
  const where: SQL[] = [gt(payouts.policyId, after)];
  if (incident !== undefined) where.push(eq(payouts.incidentId, incident));
  return drizzle(db).select().from(payouts).where(and(...where)).orderBy(asc(payouts.policyId)).limit(limit);
}
