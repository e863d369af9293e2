import { tripwireApi } from "../../client/api";
import { ProblemError } from "./errors";

/** The Worker that serves this page also serves the API: same origin, typed from its routes. */
export const api = tripwireApi(typeof window === "undefined" ? "http://127.0.0.1:8787" : window.location.origin);

/** The JSON of a 2xx answer; a problem+json answer (or any other) throws ProblemError with its words. */
export async function ok<T>(res: Promise<{ ok: boolean; status: number; json(): Promise<T> }> | { ok: boolean; status: number; json(): Promise<T> }): Promise<T> {
  const r = await res;
  if (r.ok) return r.json();
  let type = "about:blank";
  let detail = `The API answered ${r.status}.`;
  try {
    const body = (await r.json()) as unknown as { type?: string; detail?: string; title?: string };
    type = body.type ?? type;
    detail = body.detail ?? body.title ?? detail;
  } catch {
    // not JSON: keep the status
  }
  throw new ProblemError(r.status, type, detail);
}

export type Products = Awaited<ReturnType<typeof listProducts>>;
export type ProductView = Products[number];

export async function listProducts() {
  return (await ok(api.v1.products.$get())).products;
}
export async function getProduct(id: number) {
  return ok(api.v1.products[":id"].$get({ param: { id: String(id) } }));
}
/** Every page of a keyset-paged list (`next` is the cursor of the following page), up to 20 pages. */
async function allPages<T>(page: (after: number) => Promise<{ next: number | null; items: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for (let after = 0, i = 0; i < 20; i++) {
    const p = await page(after);
    out.push(...p.items);
    if (p.next === null) break;
    after = p.next;
  }
  return out;
}
/** The keeper's readings of a product since `since`, the whole window (what the chart draws). */
export async function listReadings(id: number, since: number) {
  return allPages(async (after) => {
    const r = await ok(api.v1.products[":id"].readings.$get({ param: { id: String(id) }, query: { since: String(since), after: String(after), limit: "500" } }));
    return { next: r.next, items: r.readings };
  });
}
export async function getDeployment() {
  return ok(api.v1.deployment.$get());
}
export async function getPool() {
  const { pools } = await ok(api.v1.pools.$get());
  return pools[0]!;
}
export async function listIncidents() {
  return (await ok(api.v1.incidents.$get({ query: { limit: "100" } }))).incidents;
}
export async function listPayouts(incident: number) {
  return (await ok(api.v1.payouts.$get({ query: { incident: String(incident), limit: "100" } }))).payouts;
}
export async function listPolicies(owner: string) {
  return (await ok(api.v1.policies.$get({ query: { owner, limit: "100" } }))).policies;
}
export async function quoteOptions(product: number, amount: bigint, durations: number[]) {
  return ok(api.v1.quotes.batch.$post({ json: { product, amounts: [amount.toString()], durations } }));
}
export async function quote(product: number, amount: bigint, duration: number, buyer: string) {
  return ok(api.v1.quotes.$post({ json: { product, amount: amount.toString(), duration, buyer } }));
}
export async function indexPurchase(txHash: string) {
  return ok(api.v1.purchases.$post({ json: { txHash }, header: {} }));
}
export async function poolHistory(since: number) {
  return allPages(async (after) => {
    const r = await ok(api.v1.pools.history.$get({ query: { since: String(since), after: String(after), limit: "500" } }));
    return { next: r.next, items: r.snapshots };
  });
}
