import { hc } from "hono/client";
import type { AppType } from "../workers/app";

export type { AppType };

/**
 * The Tripwire HTTP API, typed end to end from the Worker's own routes (Hono RPC): paths, bodies,
 * query strings and responses are checked by TypeScript.
 *
 * @param baseUrl where the API is served, e.g. `https://api.tripwire.example` or `http://127.0.0.1:8787`
 * @param opts.apiKey an integrator or admin key (`tw_…`): quotes are attributed to it and name its
 *   integrator address, which is paid its fee on-chain at purchase
 * @param opts.fetch a fetch to use instead of the global one (tests pass the Worker's own)
 *
 * @example
 * const api = tripwireApi("http://127.0.0.1:8787", { apiKey: process.env.TRIPWIRE_KEY });
 * const res = await api.v1.quotes.$post({ json: { product: 1, amount: "10000000000", duration: 30 } });
 * if (res.status === 201) console.log((await res.json()).premium);
 */
export function tripwireApi(baseUrl: string, opts: { apiKey?: string; fetch?: typeof fetch } = {}) {
  return hc<AppType>(baseUrl, {
    headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
}

export type TripwireApi = ReturnType<typeof tripwireApi>;
