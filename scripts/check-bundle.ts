/**
 * `npm run check:bundle` (part of `npm test`, so CI runs it): builds the Worker exactly as
 * `wrangler deploy` would (`--dry-run --outdir`, nothing uploaded) and reports its size against
 * the Workers limit on the compressed script (3 MiB on the Free plan, 10 MiB on Paid; this
 * project holds itself to the Free plan's). Fails over the limit.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const LIMIT_GZIP_BYTES = 3 * 1024 * 1024;
const out = mkdtempSync(join(tmpdir(), "tripwire-bundle-"));
try {
  const r = spawnSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", out], { encoding: "utf8", env: { ...process.env, CI: "true" } });
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    throw new Error("wrangler deploy --dry-run failed");
  }
  const files = readdirSync(out).filter((f) => f.endsWith(".js"));
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const body = readFileSync(join(out, f));
    raw += statSync(join(out, f)).size;
    gzip += gzipSync(body, { level: 9 }).length;
  }
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`worker bundle: ${kib(raw)} raw, ${kib(gzip)} gzip of ${kib(LIMIT_GZIP_BYTES)} allowed (${((gzip * 100) / LIMIT_GZIP_BYTES).toFixed(1)}%)`);
  if (gzip > LIMIT_GZIP_BYTES) {
    console.error("the Worker's compressed bundle is over the Workers Free plan limit");
    process.exit(1);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
