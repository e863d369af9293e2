import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createKey } from "./helpers/keys";

/**
 * Throws random bodies, parameters, content types and headers at every route (paths taken from
 * /openapi.json) and requires a non-5xx answer, problem+json for every 4xx.
 */
let admin: string;
let routes: { method: string; path: string }[];
beforeAll(async () => {
  admin = await createKey(["admin"]);
  const spec = (await (await exports.default.fetch("http://tripwire.test/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
  routes = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
  expect(routes.length).toBeGreaterThanOrEqual(12);
});

const junk = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constantFrom("-1", "0", "1e9", "99999999999999999999999999999999", "0x", `0x${"f".repeat(64)}`, "NaN", "", " ", "../", "%00", "null"),
);
const body = fc.oneof(
  fc.jsonValue(),
  fc.dictionary(fc.constantFrom("product", "amount", "duration", "buyer", "beneficiary", "txHash", "name", "category", "protocolId", "termsText", "tvlUsd", "auditCount", "x"), junk),
  fc.string(),
);

describe("fuzz: no route answers 5xx", () => {
  it("random inputs get a 2xx or a 4xx problem", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        body,
        junk,
        fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8", ""),
        fc.boolean(),
        fc.boolean(),
        async (pick, payload, param, contentType, raw, auth) => {
          const r = routes[pick % routes.length]!;
          const path = r.path.replace(/\{[^}]+\}/g, encodeURIComponent(String(param))) + (pick % 3 === 0 ? `?owner=${encodeURIComponent(String(param))}&limit=${encodeURIComponent(String(param))}&product=${encodeURIComponent(String(param))}` : "");
          const headers: Record<string, string> = {};
          if (contentType) headers["content-type"] = contentType;
          if (auth) headers.authorization = `Bearer ${admin}`;
          const hasBody = r.method === "POST" || r.method === "PUT";
          const res = await exports.default.fetch(`http://tripwire.test${path}`, {
            method: r.method,
            headers,
            body: hasBody ? (raw && typeof payload === "string" ? payload : JSON.stringify(payload)) : undefined,
          });
          const text = await res.text();
          expect(res.status, `${r.method} ${path} ${text.slice(0, 200)}`).toBeLessThan(500);
          if (res.status >= 400) expect(res.headers.get("content-type")).toContain("application/problem+json");
        },
      ),
      { seed: 424242, numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
  });
});
