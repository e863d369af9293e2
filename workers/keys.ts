/** API key material: generation, hashing and comparison. Web Crypto only (Workers and Node alike). */

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** SHA-256 of a key, hex: what the api_keys table stores. */
export async function hashApiKey(key: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key))));
}

/** Constant-time equality of two equal-length strings. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** A new random API key: `tw_` and 32 random bytes in hex. */
export function newApiKey(): string {
  return `tw_${hex(crypto.getRandomValues(new Uint8Array(32)))}`;
}
