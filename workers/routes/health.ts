import { Hono } from "hono";
import { pingDatabase } from "../../db/queries/health";
import { createPublicClient, http } from "viem";
import { ConfigError, config } from "../config";
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
  const d1 = await timed(() => pingDatabase(c.env.DB));
  const checks: Record<string, Check> = {
    d1: d1.error ? { status: "error", latencyMs: d1.latencyMs, error: d1.error } : { status: "ok", latencyMs: d1.latencyMs },
  };
  // Health reads the configuration itself (not c.var.config) so a bad variable shows here by name.
  let cfg: ReturnType<typeof config> | null = null;
  try {
    cfg = config(c.env);
    checks.config = { status: "ok" };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    checks.config = { status: "error", error: err.message };
  }
  if (cfg?.rpcUrl) {
    const client = createPublicClient({ transport: http(cfg.rpcUrl, { retryCount: 0, timeout: 2_000 }) });
    const head = await timed(() => client.getBlockNumber());
    checks.chain = head.error
      ? { status: "error", latencyMs: head.latencyMs, error: head.error }
      : { status: "ok", latencyMs: head.latencyMs, blockNumber: String(head.value) };
  } else {
    checks.chain = { status: "not_configured" };
  }
  const ok = Object.values(checks).every((x) => x.status !== "error");
  return c.json({ status: ok ? "ok" : "degraded", chainId: cfg?.chainId ?? null, checks }, ok ? 200 : 503);
});
