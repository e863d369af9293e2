import { Hono } from "hono";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { createPublicClient, http } from "viem";
import type { AppEnv } from "../env";

/** Routes are chained (each call adds its route to the type) so `hc<AppType>` knows every one. */
const routes0 = new Hono<AppEnv>();

type Check = { status: "ok" | "error" | "not_configured"; latencyMs?: number; blockNumber?: string; error?: string };

async function timed<T>(fn: () => Promise<T>): Promise<{ value?: T; latencyMs: number; error?: string }> {
  const started = Date.now();
  try {
    const value = await fn();
    return { value, latencyMs: Date.now() - started };
  } catch (err) {
    // Only the error's class name: messages can carry the RPC URL, which may embed a key.
    return { latencyMs: Date.now() - started, error: err instanceof Error ? err.name : "Error" };
  }
}

/** Readiness: D1 takes a query and, when configured, the chain RPC answers. 503 when either fails. */
export const healthRoutes = routes0.get("/health", async (c) => {
  const d1 = await timed(() => drizzle(c.env.DB).run(sql`select 1`));
  const checks: Record<string, Check> = {
    d1: d1.error ? { status: "error", latencyMs: d1.latencyMs, error: d1.error } : { status: "ok", latencyMs: d1.latencyMs },
  };
  if (c.env.RPC_URL) {
    const client = createPublicClient({ transport: http(c.env.RPC_URL, { retryCount: 0, timeout: 2_000 }) });
    const head = await timed(() => client.getBlockNumber());
    checks.chain = head.error
      ? { status: "error", latencyMs: head.latencyMs, error: head.error }
      : { status: "ok", latencyMs: head.latencyMs, blockNumber: String(head.value) };
  } else {
    checks.chain = { status: "not_configured" };
  }
  const ok = Object.values(checks).every((x) => x.status !== "error");
  return c.json({ status: ok ? "ok" : "degraded", chainId: Number(c.env.CHAIN_ID), checks }, ok ? 200 : 503);
});
