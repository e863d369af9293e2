/**
 * Capital against correlated losses: risk groups and stress scenarios, computed from the live
 * book. Pure; amounts in base units (bigint).
 *
 * Risk groups. Every protocol X is a group: the products of X, and the products of every protocol
 * that depends on X (directly or through others: `dependsOn`). Its scenario is X failing: an
 * exploit of X, or a depeg when X is a stablecoin. Every chain C is a group: the products of the
 * protocols on C; its scenario is a halt of C. A scenario's loss is every product of its group
 * paying in full: the sum of their active cover.
 *
 * Capacity. The API signs cover only while every scenario's loss stays within its limit: the
 * pool's assets net of the liabilities already pending, or the share of them the operator set for
 * a protocol (`maxLossBps`). A product's scenario capacity is the least room of its groups. The contracts keep their own hard limits (per product cap, total
 * cover ≤ assets × leverage); this is what the Worker adds before it signs.
 */

/** `maxLossBps`: the operator's limit on the protocol's scenario, a share of the net assets (10,000: all of them). */
export type RiskProtocol = { id: string; name: string; category: string; chains: string[]; dependsOn: string[]; maxLossBps?: number };
export type BookEntry = { productId: number; protocolId: string; activeCover: bigint };
export type ScenarioKind = "exploit" | "depeg" | "chain-halt";
/** `limitBps`: the share of the net assets the scenario may lose (the operator's, for a protocol; all of them for a chain). */
export type Scenario = { id: string; kind: ScenarioKind; name: string; products: number[]; loss: bigint; limitBps: number };

/** What more a scenario may lose: its limit of the net assets, less its loss (never below 0). */
export function roomOf(s: Scenario, net: bigint): bigint {
  const limit = (net * BigInt(s.limitBps)) / 10_000n;
  return limit > s.loss ? limit - s.loss : 0n;
}

/** Every protocol X's dependents (X itself included), following `dependsOn` transitively. */
function dependents(protocols: RiskProtocol[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const p of protocols) out.set(p.id, new Set([p.id]));
  const byId = new Map(protocols.map((p) => [p.id, p]));
  for (const p of protocols) {
    // Everything p depends on, transitively: p is a dependent of each.
    const seen = new Set<string>();
    const stack = [...p.dependsOn];
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (seen.has(d) || d === p.id) continue;
      seen.add(d);
      out.get(d)?.add(p.id);
      stack.push(...(byId.get(d)?.dependsOn ?? []));
    }
  }
  return out;
}

/** The stress scenarios of a book: one per protocol (exploit or depeg) and one per chain (halt), worst first. */
export function scenarios(book: BookEntry[], protocols: RiskProtocol[]): Scenario[] {
  const deps = dependents(protocols);
  const byId = new Map(protocols.map((p) => [p.id, p]));
  const out: Scenario[] = [];
  const make = (id: string, kind: ScenarioKind, name: string, limitBps: number, member: (e: BookEntry) => boolean) => {
    const entries = book.filter(member);
    out.push({ id, kind, name, products: entries.map((e) => e.productId).sort((a, b) => a - b), loss: entries.reduce((s, e) => s + e.activeCover, 0n), limitBps });
  };
  for (const p of protocols) {
    const group = deps.get(p.id)!;
    const depeg = p.category === "stablecoin";
    make(`${depeg ? "depeg" : "exploit"}:${p.id}`, depeg ? "depeg" : "exploit", depeg ? `${p.name} depegs` : `${p.name} is exploited`, p.maxLossBps ?? 10_000, (e) => group.has(e.protocolId));
  }
  const chains = [...new Set(protocols.flatMap((p) => p.chains))].sort();
  for (const c of chains) make(`chain-halt:${c}`, "chain-halt", `${c} halts`, 10_000, (e) => byId.get(e.protocolId)?.chains.includes(c) ?? false);
  return out.sort((a, b) => (a.loss > b.loss ? -1 : a.loss < b.loss ? 1 : a.id < b.id ? -1 : 1));
}

/** The scenarios a product's loss belongs to. */
export const scenariosOf = (all: Scenario[], productId: number) => all.filter((s) => s.products.includes(productId));

/**
 * What more cover of `productId` the scenarios allow (`capacityLeft`), and how well the pool
 * would cover the worst of them with `amount` more (`solvencyBps`, ≤ 10,000), net of `pending`.
 * A product the book does not know yet is in its protocol's and chains' scenarios only through
 * `memberOf` (its own groups, which the caller passes for a product without cover).
 */
export function stressFor(all: Scenario[], memberOf: string[], amount: bigint, assets: bigint, pending: bigint) {
  const net = assets > pending ? assets - pending : 0n;
  const mine = all.filter((s) => memberOf.includes(s.id));
  let capacityLeft: bigint | null = null;
  let binding: Scenario | null = null;
  let solvencyBps = 10_000;
  let worst: Scenario | null = null;
  for (const s of mine) {
    const room = roomOf(s, net);
    if (capacityLeft === null || room < capacityLeft) {
      capacityLeft = room;
      binding = s;
    }
    const loss = s.loss + amount;
    const bps = loss === 0n || net >= loss ? 10_000 : Number((net * 10_000n) / loss);
    if (worst === null || bps < solvencyBps || (bps === solvencyBps && s.loss > worst.loss)) {
      solvencyBps = bps;
      worst = s;
    }
  }
  // `binding`: the scenario with the least room (what a refusal names); `worst`: the least covered.
  return { capacityLeft: capacityLeft ?? net, solvencyBps, worst, binding };
}

/** A product's scenario ids: its protocol's and its protocol's dependencies', and its chains'. */
export function groupsOf(protocolId: string, protocols: RiskProtocol[]): string[] {
  const deps = dependents(protocols);
  const byId = new Map(protocols.map((p) => [p.id, p]));
  const ids: string[] = [];
  for (const [x, members] of deps) {
    if (!members.has(protocolId)) continue;
    ids.push(`${byId.get(x)!.category === "stablecoin" ? "depeg" : "exploit"}:${x}`);
  }
  for (const c of byId.get(protocolId)?.chains ?? []) ids.push(`chain-halt:${c}`);
  return ids.sort();
}

/** The scenario table as `GET /v1/pools` reports it: each scenario's loss against the assets net of pending liabilities. */
export function scenarioTable(all: Scenario[], assets: bigint, pending: bigint) {
  const net = assets > pending ? assets - pending : 0n;
  return all.map((s) => ({
    id: s.id,
    kind: s.kind,
    name: s.name,
    products: s.products,
    loss: s.loss,
    assets: net,
    limitBps: s.limitBps,
    coverageBps: s.loss === 0n ? null : Number((net * 10_000n) / s.loss),
  }));
}
