import { deliveryStatements, dueDeliveries, type DeliveryOutcome } from "../../db/queries/webhookDeliveries";
import type { Subrequests } from "./config";

/** Attempts per event before a delivery is given up (the first plus retries). */
export const WEBHOOK_MAX_ATTEMPTS = 8;
/** Backoff before attempt n+1: 30 s, 1 min, 2 min, … capped at 1 h. */
export const webhookBackoffSeconds = (attempt: number) => Math.min(3_600, 30 * 2 ** (attempt - 1));

/**
 * The signature header value for a delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
 * keyed by the hook's secret. Receivers recompute it and reject old timestamps (replays).
 */
export async function signWebhook(secret: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${timestamp}.${body}`));
  return `t=${timestamp},v1=${[...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Delivers due webhook events (at most `limit` per run): POSTs the JSON payload signed with the
 * hook's secret; a 2xx is delivered, anything else (or no answer in 5 s) is recorded as failed
 * and, while attempts remain, queued again with backoff. Every attempt is its own row.
 */
export async function deliverWebhooks(db: D1Database, now: number, limit: number, sub: Subrequests): Promise<{ delivered: number; failed: number }> {
  const due = await dueDeliveries(db, now, limit);
  if (due.length === 0) return { delivered: 0, failed: 0 };
  const outcomes = await Promise.all(
    due.map(async (d): Promise<DeliveryOutcome> => {
      sub.webhook++;
      let status: number | null = null;
      try {
        const res = await fetch(d.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": "Tripwire-Webhooks/1",
            "tripwire-event": d.eventType,
            "tripwire-delivery": `${d.eventId}#${d.attempt}`,
            "tripwire-signature": await signWebhook(d.secret, now, d.payload),
          },
          body: d.payload,
          signal: AbortSignal.timeout(5_000),
          redirect: "manual",
        });
        status = res.status;
        await res.body?.cancel();
      } catch {
        status = null;
      }
      const ok = status !== null && status >= 200 && status < 300;
      const retryAt = !ok && d.attempt < WEBHOOK_MAX_ATTEMPTS ? now + webhookBackoffSeconds(d.attempt) : null;
      return { id: d.id, ok, responseStatus: status, retryAt, d };
    }),
  );
  await db.batch(deliveryStatements(db, outcomes));
  return { delivered: outcomes.filter((o) => o.ok).length, failed: outcomes.filter((o) => !o.ok).length };
}
