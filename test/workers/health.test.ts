import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../workers/app";

type Health = { status: string; chainId: number; checks: Record<string, { status: string; error?: string; blockNumber?: string }> };

describe("GET /health", () => {
  it("answers ok with the chain id, a D1 round trip and the chain's head block", async () => {
    const res = await exports.default.fetch("http://tripwire.test/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as Health;
    expect(body.status).toBe("ok");
    expect(body.chainId).toBe(31337);
    expect(body.checks.d1!.status).toBe("ok");
    expect(body.checks.chain!.status).toBe("ok");
    expect(Number(body.checks.chain!.blockNumber)).toBeGreaterThan(10);
  });

  it("says the chain is not configured when no RPC is set", async () => {
    const res = await app.request("/health", {}, { ...env, RPC_URL: "" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Health).checks.chain!.status).toBe("not_configured");
  });

  it("answers 503 degraded when the RPC does not answer, without echoing the RPC URL", async () => {
    const rpc = "http://127.0.0.1:9/secret-key-in-path";
    const res = await app.request("/health", {}, { ...env, RPC_URL: rpc });
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain("secret-key-in-path");
    const body = JSON.parse(text) as Health;
    expect(body.status).toBe("degraded");
    expect(body.checks.chain!.status).toBe("error");
  });

  it("answers unknown routes with a problem+json 404", async () => {
    const res = await exports.default.fetch("http://tripwire.test/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { type: string; status: number };
    expect(body.type).toBe("https://tripwire.dev/problems/not-found");
    expect(body.status).toBe(404);
  });
});

describe("CORS", () => {
  it("allows only the configured origins", async () => {
    const allowed = await exports.default.fetch("http://tripwire.test/v1/protocols", { headers: { origin: "http://localhost:5173" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    const other = await exports.default.fetch("http://tripwire.test/v1/protocols", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await exports.default.fetch("http://tripwire.test/v1/quotes", {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
  });
});

describe("rate limiting", () => {
  it("answers 429 problem+json with Retry-After once an address passes its limit (120 a minute)", async () => {
    const hit = () => exports.default.fetch("http://tripwire.test/v1/protocols", { headers: { "cf-connecting-ip": "203.0.113.7" } });
    // The limiter counts per 60 s window: keep going until it answers 429 (at most two windows).
    let first429 = -1;
    let limited: Response | undefined;
    for (let i = 0; i < 300 && !limited; i++) {
      const res = await hit();
      if (res.status === 429) {
        first429 = i;
        limited = res;
      } else {
        expect(res.status).toBe(200);
        await res.body?.cancel();
      }
    }
    expect(first429).toBeGreaterThanOrEqual(120);
    expect(limited!.headers.get("retry-after")).toBe("60");
    expect(((await limited!.json()) as { type: string }).type).toBe("https://tripwire.dev/problems/rate-limited");
    // Another address is not affected.
    const other = await exports.default.fetch("http://tripwire.test/v1/protocols", { headers: { "cf-connecting-ip": "203.0.113.8" } });
    expect(other.status).toBe(200);
  });
});
