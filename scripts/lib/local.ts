import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Address } from "viem";

/**
 * Where `npm start` keeps its local state (git-ignored): `.wrangler`, or TRIPWIRE_STATE_DIR for a
 * second instance beside a running one (the browser tests start their own there).
 */
export const STATE_DIR = process.env.TRIPWIRE_STATE_DIR || ".wrangler";
/** Where `npm start` writes what it started. */
export const LOCAL_CONFIG_PATH = join(STATE_DIR, "tripwire-local.json");

/** LOCAL ONLY: what a running `npm start` serves, for `npm run demo` and anyone scripting against it. */
export type LocalConfig = {
  api: string;
  rpcUrl: string;
  chainId: number;
  keeperIntervalSeconds: number;
  adminKey: string;
  integratorKey: string;
  integrator: Address;
  contracts: Record<string, Address>;
  protocols: Record<string, string>;
  products: { id: number; name: string }[];
  startedAt: number;
};

/** The running `npm start`'s configuration, or a clear error when there is none. */
export function readLocalConfig(): LocalConfig {
  if (!existsSync(LOCAL_CONFIG_PATH)) throw new Error(`${LOCAL_CONFIG_PATH} not found: start the platform first with \`npm start\` (in another terminal).`);
  return JSON.parse(readFileSync(LOCAL_CONFIG_PATH, "utf8")) as LocalConfig;
}
