import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /health", () => {
  it("answers ok with the chain id and a D1 round trip", async () => {
    const res = await exports.default.fetch("http://tripwire.test/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; chainId: number; checks: { d1: { status: string } } };
    expect(body.status).toBe("ok");
    expect(body.chainId).toBe(31337);
    expect(body.checks.d1.status).toBe("ok");
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
