import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";

/**
 * `GET /openapi.json` from the same zod schemas the routes validate with, and `GET /docs`: an
 * interactive reference served by the Worker itself (no CDN, nothing fetched from elsewhere).
 */
export function mountDocs(app: OpenAPIHono<AppEnv>) {
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "API key `tw_…` (admin or integrator scope)",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Tripwire API",
      version: "1",
      description: "Parametric DeFi cover: catalog, quotes, purchases, policies, pools, incidents and payouts. Errors are application/problem+json.",
      license: { name: "Proprietary: all rights reserved", url: "https://tripwire.dev/license" },
    },
    servers: [
      { url: "https://api.tripwire.dev", description: "production" },
      { url: "http://127.0.0.1:8787", description: "local: `npm start`" },
    ],
  });
  app.get("/docs", (c) => c.html(DOCS_HTML));
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Tripwire API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#111827;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
main{max-width:980px;margin:0 auto;padding:16px 24px}
.op{background:#fff;border:1px solid #d8dde3;border-radius:8px;margin:12px 0;padding:12px 16px}
.m{display:inline-block;min-width:56px;font-weight:700;text-transform:uppercase;font-size:12px;padding:2px 6px;border-radius:4px;color:#fff;text-align:center}
.get{background:#2563eb}.post{background:#16a34a}.put{background:#d97706}.delete{background:#dc2626}
code,pre,textarea,input{font:13px ui-monospace,monospace}pre{background:#0b1020;color:#e5e7eb;padding:10px;border-radius:6px;overflow:auto;max-height:360px}
textarea{width:100%;min-height:90px}input{width:100%;box-sizing:border-box;padding:4px}label{display:block;margin-top:6px;font-size:13px;color:#4b5563}
button{margin-top:8px;padding:6px 14px;border:0;border-radius:6px;background:#111827;color:#fff;cursor:pointer}
details summary{cursor:pointer}.tag{font-size:12px;color:#6b7280;margin-left:8px}
</style></head><body>
<header><h1>Tripwire API reference</h1><div>From <a style="color:#93c5fd" href="/openapi.json">/openapi.json</a>. Amounts are decimal strings of base units; errors are application/problem+json.</div></header>
<main><label>API key (for admin and integrator routes)<input id="key" placeholder="tw_…"></label><div id="ops">Loading…</div></main>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (ch) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[ch]));
function example(schema, spec, depth = 0) {
  if (!schema || depth > 6) return null;
  if (schema.$ref) return example(spec.components.schemas[schema.$ref.split("/").pop()], spec, depth + 1);
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf || schema.oneOf) return example((schema.anyOf || schema.oneOf)[0], spec, depth + 1);
  const t = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (t === "object") { const o = {}; for (const [k, v] of Object.entries(schema.properties || {})) o[k] = example(v, spec, depth + 1); return o; }
  if (t === "array") return [example(schema.items, spec, depth + 1)];
  if (t === "integer" || t === "number") return 0;
  if (t === "boolean") return false;
  return "";
}
async function main() {
  const spec = await (await fetch("/openapi.json")).json();
  const ops = document.getElementById("ops"); ops.innerHTML = "";
  for (const [path, item] of Object.entries(spec.paths)) for (const [method, op] of Object.entries(item)) {
    const id = method + path.replace(/[^a-z0-9]/gi, "_");
    const params = (op.parameters || []).map((p) => '<label>' + esc(p.in) + ' ' + esc(p.name) + '<input data-in="' + esc(p.in) + '" data-name="' + esc(p.name) + '"></label>').join("");
    const body = op.requestBody ? '<label>JSON body<textarea>' + esc(JSON.stringify(example(op.requestBody.content["application/json"].schema, spec), null, 2)) + '</textarea></label>' : "";
    const el = document.createElement("div"); el.className = "op";
    el.innerHTML = '<details><summary><span class="m ' + method + '">' + method + '</span> <code>' + esc(path) + '</code> ' + esc(op.summary || "") + '<span class="tag">' + esc((op.tags || []).join(", ")) + '</span></summary>' +
      params + body + '<button>Send</button><pre hidden></pre><details><summary>responses</summary><pre>' + esc(JSON.stringify(op.responses, null, 2)) + '</pre></details></details>';
    el.querySelector("button").onclick = async () => {
      let url = path; const q = new URLSearchParams();
      for (const i of el.querySelectorAll("input[data-in]")) { if (!i.value) continue; if (i.dataset.in === "path") url = url.replace("{" + i.dataset.name + "}", encodeURIComponent(i.value)); else if (i.dataset.in === "query") q.set(i.dataset.name, i.value); }
      const headers = {}; const key = document.getElementById("key").value.trim(); if (key) headers.authorization = "Bearer " + key;
      const ta = el.querySelector("textarea"); if (ta) headers["content-type"] = "application/json";
      const res = await fetch(url + (q.size ? "?" + q : ""), { method: method.toUpperCase(), headers, body: ta ? ta.value : undefined });
      const out = el.querySelector("pre"); out.hidden = false; out.textContent = res.status + " " + res.statusText + "\\n" + (await res.text());
    };
    ops.appendChild(el);
  }
}
main().catch((e) => { document.getElementById("ops").textContent = "Could not load /openapi.json: " + e; });
</script></body></html>`;
