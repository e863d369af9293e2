import { and, desc, eq, lt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { webhookDeliveries, webhooks } from "../schema";

/** webhooks: the endpoints an API key registered (delivery rows: webhookDeliveries.ts). */

export type WebhookRow = typeof webhooks.$inferSelect;

export async function insertWebhook(db: D1Database, w: { apiKeyId: number; url: string; secret: string; events: string }): Promise<WebhookRow> {
  const [row] = await drizzle(db).insert(webhooks).values(w).returning();
  return row!;
}

export async function webhooksOf(db: D1Database, apiKeyId: number): Promise<WebhookRow[]> {
  return drizzle(db).select().from(webhooks).where(eq(webhooks.apiKeyId, apiKeyId)).orderBy(webhooks.id);
}

/** The hook `id` when `apiKeyId` registered it; undefined otherwise (someone else's is not found). */
export async function webhookOf(db: D1Database, apiKeyId: number, id: number): Promise<WebhookRow | undefined> {
  const [row] = await drizzle(db).select().from(webhooks).where(and(eq(webhooks.id, id), eq(webhooks.apiKeyId, apiKeyId))).limit(1);
  return row;
}

export async function deactivateWebhook(db: D1Database, id: number): Promise<void> {
  await drizzle(db).update(webhooks).set({ active: false }).where(eq(webhooks.id, id));
}

/** A hook's delivery attempts, newest first, ids below `before` when given. */
export async function deliveriesOf(db: D1Database, webhookId: number, before: number | undefined, limit: number) {
  const where = before === undefined ? eq(webhookDeliveries.webhookId, webhookId) : and(eq(webhookDeliveries.webhookId, webhookId), lt(webhookDeliveries.id, before));
  return drizzle(db)
    .select({
      id: webhookDeliveries.id, eventType: webhookDeliveries.eventType, eventId: webhookDeliveries.eventId, attempt: webhookDeliveries.attempt,
      status: webhookDeliveries.status, responseStatus: webhookDeliveries.responseStatus, nextAttemptAt: webhookDeliveries.nextAttemptAt, createdAt: webhookDeliveries.createdAt,
    })
    .from(webhookDeliveries)
    .where(where)
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
}
