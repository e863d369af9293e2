import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * Builds the browser app (app/, Vite) into app/dist, which the Worker serves as static assets.
 * It imports the generated ABI modules (contracts/out), so the contracts are built first.
 */
export async function buildApp(opts: { quiet?: boolean } = {}): Promise<string> {
  if (!existsSync("contracts/out/CoverMarket.ts")) throw new Error("contracts/out is missing: build the contracts first (npm run build:contracts)");
  const { build } = await import("vite");
  await build({ configFile: join("app", "vite.config.ts"), logLevel: opts.quiet ? "warn" : "info" });
  return join("app", "dist");
}
