import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../workers/app";
import { ConfigError, config, parseConfig } from "../../workers/config";

const vars = env as unknown as Record<string, unknown>;
const problemsOf = (v: Record<string, unknown>) => {
  try {
    parseConfig(v);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe("the Worker's configuration (workers/config.ts)", () => {
  it("parses the test Worker's variables into typed values, with the tunables' defaults", () => {
    const c = parseConfig(vars);
    expect(c.chainId).toBe(31337);
    expect(c.minimumPremium).toBe(1_000_000n);
    expect(c.keeper).toEqual({ confirmations: 0, leaseSeconds: 120, indexMaxBlocks: 2_000, indexMaxLogs: 2_000, settleBatchSize: 100, webhookBatch: 20 });
    expect(c.quoteTtlSeconds).toBe(600);
    expect(c.corsOrigins).toEqual(["http://localhost:5173", "http://127.0.0.1:5173"]);
    expect(c.relayer).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(c.quoteSignerKey).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("takes a tunable when set, and treats an empty key or URL as not configured", () => {
    const c = parseConfig({ ...vars, KEEPER_INDEX_MAX_LOGS: " 7 ", SETTLE_BATCH_SIZE: "25", RELAYER_KEY: "", RPC_URL: "" });
    expect(c.keeper.indexMaxLogs).toBe(7);
    expect(c.keeper.settleBatchSize).toBe(25);
    expect(c.relayerKey).toBeNull();
    expect(c.relayer).toBeNull();
    expect(c.rpcUrl).toBeNull();
  });

  it("names every missing or malformed variable, and never echoes a secret's value", () => {
    const badKey = "0x1234deadbeef";
    const { CHAIN_ID: _chain, ...noChain } = vars;
    const problems = problemsOf({ ...noChain, KEEPER_KEY: badKey, KEEPER_INDEX_MAX_LOGS: "0", MIN_PREMIUM: "1.5", RPC_URL: "ftp://x" });
    expect(problems.map((p) => p.variable).sort()).toEqual(["CHAIN_ID", "KEEPER_INDEX_MAX_LOGS", "KEEPER_KEY", "MIN_PREMIUM", "RPC_URL"]);
    expect(problems.find((p) => p.variable === "CHAIN_ID")!.message).toBe("is not set");
    expect(problems.find((p) => p.variable === "KEEPER_KEY")!.message).toContain("32-byte private key");
    expect(problems.find((p) => p.variable === "KEEPER_INDEX_MAX_LOGS")!.message).toContain("≥ 1");
    expect(JSON.stringify(problems)).not.toContain(badKey);
  });

  it("parses once per env object: the same Config for the same env, a new one for a changed env", () => {
    expect(config(env)).toBe(config(env));
    const changed = { ...env, SETTLE_BATCH_SIZE: "3" };
    expect(config(changed).keeper.settleBatchSize).toBe(3);
    expect(config(env).keeper.settleBatchSize).toBe(100);
  });

  it("answers a request on a misconfigured Worker with a 503 problem naming the variable", async () => {
    const res = await app.request("/v1/products", {}, { ...env, CHAIN_ID: "mainnet" });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { type: string; detail: string };
    expect(body.type).toBe("https://tripwire.dev/problems/worker-misconfigured");
    expect(body.detail).toContain("CHAIN_ID");
  });

  it("reports a bad variable in /health as a failed config check", async () => {
    const res = await app.request("/health", {}, { ...env, KEEPER_CONFIRMATIONS: "-1" });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; chainId: number | null; checks: Record<string, { status: string; error?: string }> };
    expect(body.status).toBe("degraded");
    expect(body.chainId).toBeNull();
    expect(body.checks.config!.status).toBe("error");
    expect(body.checks.config!.error).toContain("KEEPER_CONFIRMATIONS");
  });
});
