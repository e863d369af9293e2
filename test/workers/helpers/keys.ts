import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { apiKeys } from "../../../db/schema";
import type { Scope } from "../../../workers/env";
import { hashApiKey, newApiKey } from "../../../workers/keys";

/** Creates an API key the way operators do (only its hash is stored) and returns the key. */
export async function createKey(scopes: Scope[], name = "test"): Promise<string> {
  const key = newApiKey();
  await drizzle(env.DB).insert(apiKeys).values({ keyHash: await hashApiKey(key), prefix: key.slice(0, 10), name, scopes: scopes.join(",") });
  return key;
}

export const json = (method: string, body: unknown, key?: string): RequestInit => ({
  method,
  headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
  body: JSON.stringify(body),
});
