import { createConfig, lintFromString } from "@redocly/openapi-core";
import { describe, expect, it } from "vitest";
import { app } from "../../workers/app";

// The OpenAPI document a client generator gets (GET /openapi.json), linted with Redocly's
// recommended rules: any error fails. Warnings are printed, not failed.
describe("GET /openapi.json", () => {
  it("passes Redocly's recommended rules with no error", async () => {
    const res = await app.request("/openapi.json", {}, {}); // no bindings: the document needs none
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>> };
    const config = await createConfig({ extends: ["recommended"] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: "openapi.json", config });
    const describe = (p: (typeof problems)[number]) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer ?? "?"}`;
    for (const p of problems.filter((x) => x.severity !== "error")) console.log(describe(p));
    expect(problems.filter((p) => p.severity === "error").map(describe)).toEqual([]);
    // Every operation is named and says how it is authorised.
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
    expect(ops.length).toBeGreaterThanOrEqual(22);
    for (const op of ops) {
      expect(op.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.security).toBeDefined();
    }
  });
});
