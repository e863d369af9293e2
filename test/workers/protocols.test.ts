import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createKey, json } from "./helpers/keys";

const NOW = Math.floor(Date.now() / 1000);
const MONTH = 30 * 86_400;
const api = (path: string, init?: RequestInit) => exports.default.fetch(`http://tripwire.test${path}`, init);
const lendwise = {
  name: "Lendwise v2",
  category: "lending",
  website: "https://lendwise.example",
  auditCount: 3,
  lastAuditAt: NOW - 6 * MONTH,
  launchedAt: NOW - 40 * MONTH,
  tvlUsd: "1200000000",
  incidentCount: 0,
  lastIncidentAt: null,
  adminKey: "timelock_multisig",
  upgradeable: true,
  oracleDependence: "chainlink",
};

let admin: string;
let integrator: string;
beforeAll(async () => {
  admin = await createKey(["admin"]);
  integrator = await createKey(["integrator"]);
});

type Problem = { type: string; status: number; errors?: { path: string; code: string }[] };
const problem = async (res: Response) => {
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return (await res.json()) as Problem;
};

describe("protocol catalog", () => {
  it("an admin creates a protocol (201), replaces it (200), and the list prices it from its risk inputs", async () => {
    const created = await api("/v1/admin/protocols/lendwise-v2", json("PUT", lendwise, admin));
    expect(created.status).toBe(201);
    const replaced = await api("/v1/admin/protocols/lendwise-v2", json("PUT", { ...lendwise, incidentCount: 1, lastIncidentAt: NOW - 30 * MONTH }, admin));
    expect(replaced.status).toBe(200);
    const list = (await (await api("/v1/protocols")).json()) as { protocols: { id: string; incidentCount: number; pricing: { status: string; annualRateBps: number } }[] };
    const p = list.protocols.find((x) => x.id === "lendwise-v2")!;
    expect(p.incidentCount).toBe(1);
    // 200 base + 150 incident + 25 timelock+multisig + 50 upgradeable + 25 chainlink
    expect(p.pricing).toMatchObject({ status: "priced", annualRateBps: 450 });
    const one = (await (await api("/v1/protocols/lendwise-v2")).json()) as { tvlUsd: string };
    expect(one.tvlUsd).toBe("1200000000");
  });

  it("shows an unaudited protocol as refused, with the reason", async () => {
    await api("/v1/admin/protocols/fresh-dex", json("PUT", { ...lendwise, name: "Fresh DEX", auditCount: 0, lastAuditAt: null }, admin));
    const p = (await (await api("/v1/protocols/fresh-dex")).json()) as { pricing: { status: string; code: string } };
    expect(p.pricing).toMatchObject({ status: "refused", code: "unaudited" });
  });

  it("401 without a key, 401 with an unknown key, 403 with an integrator key", async () => {
    const none = await api("/v1/admin/protocols/x-1", json("PUT", lendwise));
    expect(none.status).toBe(401);
    expect((await problem(none)).type).toBe("https://tripwire.dev/problems/unauthorized");
    const unknown = await api("/v1/admin/protocols/x-1", json("PUT", lendwise, `tw_${"0".repeat(64)}`));
    expect(unknown.status).toBe(401);
    const wrongScope = await api("/v1/admin/protocols/x-1", json("PUT", lendwise, integrator));
    expect(wrongScope.status).toBe(403);
    expect((await problem(wrongScope)).type).toBe("https://tripwire.dev/problems/forbidden");
  });

  it("identifies the caller once for every route: a key that is sent must be valid even where none is needed", async () => {
    const anonymous = await api("/v1/protocols");
    expect(anonymous.status).toBe(200);
    const revokedOrUnknown = await api("/v1/protocols", { headers: { authorization: `Bearer tw_${"0".repeat(64)}` } });
    expect(revokedOrUnknown.status).toBe(401);
    expect((await problem(revokedOrUnknown)).type).toBe("https://tripwire.dev/problems/unauthorized");
    const keyed = await api("/v1/protocols", { headers: { authorization: `Bearer ${integrator}` } });
    expect(keyed.status).toBe(200);
  });

  it("bad input is a 4xx problem with the field, never a 500", async () => {
    const extra = await api("/v1/admin/protocols/x-2", json("PUT", { ...lendwise, surprise: 1 }, admin));
    expect(extra.status).toBe(400);
    expect((await problem(extra)).errors?.[0]?.code).toBe("unrecognized_keys");
    const negative = await api("/v1/admin/protocols/x-2", json("PUT", { ...lendwise, auditCount: -1 }, admin));
    expect((await problem(negative)).errors?.[0]?.path).toBe("auditCount");
    const float = await api("/v1/admin/protocols/x-2", json("PUT", { ...lendwise, tvlUsd: "1.5e9" }, admin));
    expect((await problem(float)).errors?.[0]?.path).toBe("tvlUsd");
    const badId = await api("/v1/admin/protocols/Not_A_Slug", json("PUT", lendwise, admin));
    expect(badId.status).toBe(400);
    const missing = await api("/v1/protocols/nope-nope");
    expect(missing.status).toBe(404);
  });

  it("415 for a non-JSON body, 400 for malformed JSON", async () => {
    const text = await api("/v1/admin/protocols/x-3", { method: "PUT", headers: { "content-type": "text/plain", authorization: `Bearer ${admin}` }, body: "hi" });
    expect(text.status).toBe(415);
    expect((await problem(text)).type).toBe("https://tripwire.dev/problems/unsupported-media-type");
    const broken = await api("/v1/admin/protocols/x-3", { method: "PUT", headers: { "content-type": "application/json", authorization: `Bearer ${admin}` }, body: "{nope" });
    expect(broken.status).toBe(400);
    expect((await problem(broken)).type).toBe("https://tripwire.dev/problems/malformed-request");
  });
});

describe("OpenAPI and docs", () => {
  it("/openapi.json describes the routes from the same schemas", async () => {
    const spec = (await (await api("/openapi.json")).json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    expect(spec.openapi).toBe("3.1.0");
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(["/v1/protocols", "/v1/protocols/{id}", "/v1/admin/protocols/{id}"]));
    expect(spec.paths["/v1/admin/protocols/{id}"]!.put).toMatchObject({ security: [{ apiKey: [] }] });
    expect(Object.keys(spec.components.schemas)).toEqual(expect.arrayContaining(["Protocol", "ProtocolInput", "Problem"]));
  });

  it("/docs serves the interactive reference from the Worker itself", async () => {
    const res = await api("/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("/openapi.json");
    expect(html).not.toMatch(/<script[^>]+src=/); // nothing loaded from elsewhere
  });
});
