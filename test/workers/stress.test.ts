import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { groupsOf, roomOf, scenarios, scenarioTable, stressFor, type BookEntry, type RiskProtocol } from "../../workers/pricing/stress";

const opts = { seed: 20261203, numRuns: 300 };
const ids = ["a", "b", "c", "d", "e", "f"];

/** Random catalogs: up to 6 protocols, any dependencies (cycles included), chains from 3; a book over them. */
const world = fc
  .integer({ min: 1, max: 6 })
  .chain((n) =>
    fc.record({
      protocols: fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          fc.record({
            category: fc.constantFrom("lending", "dex", "stablecoin", "other"),
            chains: fc.subarray(["ethereum", "base", "arbitrum"]),
            dependsOn: fc.subarray(ids.slice(0, n)),
            maxLossBps: fc.integer({ min: 1, max: 10_000 }),
          }).map((p) => ({ id: ids[i]!, name: ids[i]!.toUpperCase(), ...p }) as RiskProtocol),
        ),
      ),
      book: fc.array(fc.record({ protocol: fc.integer({ min: 0, max: n - 1 }), cover: fc.bigInt({ min: 0n, max: 10n ** 12n }) }), { maxLength: 12 }),
      assets: fc.bigInt({ min: 0n, max: 10n ** 13n }),
      pending: fc.bigInt({ min: 0n, max: 10n ** 12n }),
    }),
  )
  .map((w) => ({ ...w, book: w.book.map((b, k): BookEntry => ({ productId: k + 1, protocolId: ids[b.protocol]!, activeCover: b.cover })) }));

/** Brute force: does protocol `p` depend on `x`, following dependsOn from p? */
function dependsOn(protocols: RiskProtocol[], p: string, x: string): boolean {
  if (p === x) return true;
  const seen = new Set<string>();
  const stack = [...(protocols.find((q) => q.id === p)?.dependsOn ?? [])];
  while (stack.length) {
    const d = stack.pop()!;
    if (d === x) return true;
    if (seen.has(d)) continue;
    seen.add(d);
    stack.push(...(protocols.find((q) => q.id === d)?.dependsOn ?? []));
  }
  return false;
}

describe("stress scenarios", () => {
  it("each scenario's loss is the brute-force sum of the cover of every product that would pay in it", () => {
    fc.assert(fc.property(world, ({ protocols, book }) => {
      const all = scenarios(book, protocols);
      expect(all).toHaveLength(protocols.length + new Set(protocols.flatMap((p) => p.chains)).size);
      for (const s of all) {
        const [kind, key] = s.id.split(":") as [string, string];
        const members = book.filter((e) => (kind === "chain-halt" ? protocols.find((p) => p.id === e.protocolId)!.chains.includes(key) : dependsOn(protocols, e.protocolId, key)));
        expect(s.products).toEqual(members.map((e) => e.productId).sort((x, y) => x - y));
        expect(s.loss).toBe(members.reduce((t, e) => t + e.activeCover, 0n));
        if (kind !== "chain-halt") expect(kind).toBe(protocols.find((p) => p.id === key)!.category === "stablecoin" ? "depeg" : "exploit");
      }
      // Worst first.
      for (let i = 1; i < all.length; i++) expect(all[i - 1]!.loss >= all[i]!.loss).toBe(true);
    }), opts);
  });

  it("a product's groups are exactly the scenarios its products appear in", () => {
    fc.assert(fc.property(world, ({ protocols, book }) => {
      const all = scenarios(book, protocols);
      for (const e of book) {
        expect(groupsOf(e.protocolId, protocols)).toEqual(all.filter((s) => s.products.includes(e.productId)).map((s) => s.id).sort());
      }
    }), opts);
  });

  it("scenario capacity: selling it keeps every scenario of the product within its limit of the assets net of pending, one unit more breaks one", () => {
    fc.assert(fc.property(world, fc.integer({ min: 0, max: 5 }), ({ protocols, book, assets, pending }, pick) => {
      const protocolId = protocols[pick % protocols.length]!.id;
      const groups = groupsOf(protocolId, protocols);
      const all = scenarios(book, protocols);
      const { capacityLeft } = stressFor(all, groups, 0n, assets, pending);
      const net = assets > pending ? assets - pending : 0n;
      const mine = all.filter((s) => groups.includes(s.id));
      const limit = (s: (typeof mine)[number]) => (net * BigInt(s.limitBps)) / 10_000n;
      // Each protocol scenario carries its protocol's limit; a chain's is all of the net assets.
      for (const s of mine) expect(s.limitBps).toBe(s.kind === "chain-halt" ? 10_000 : protocols.find((p) => s.id.endsWith(`:${p.id}`))!.maxLossBps);
      // One new product of that protocol selling capacityLeft: every scenario it joins stays within its limit (or was already over).
      for (const s of mine) if (s.loss <= limit(s)) expect(s.loss + capacityLeft <= limit(s)).toBe(true);
      expect(capacityLeft).toBe(mine.reduce((m, s) => (roomOf(s, net) < m ? roomOf(s, net) : m), net));
      // And capacityLeft is the most: one more unit takes some scenario past its limit.
      expect(mine.some((s) => s.loss + capacityLeft + 1n > limit(s))).toBe(true);
      // Solvency with that cover: paid in full; with one unit more, not.
      // Solvency is coverage against the whole net assets (a limit below them keeps it at 10,000).
      const solvency = stressFor(all, groups, capacityLeft, assets, pending).solvencyBps;
      if (mine.every((s) => s.loss + capacityLeft <= net)) expect(solvency).toBe(10_000);
      else expect(solvency).toBeLessThan(10_000);
    }), opts);
  });

  it("the table reports each scenario's loss against assets net of pending liabilities", () => {
    const protocols: RiskProtocol[] = [
      { id: "steadyusd", name: "SteadyUSD", category: "stablecoin", chains: ["ethereum"], dependsOn: [] },
      { id: "lendwise-v2", name: "Lendwise v2", category: "lending", chains: ["ethereum"], dependsOn: ["steadyusd"] },
      { id: "swapper-v3", name: "Swapper v3", category: "dex", chains: ["base"], dependsOn: [] },
    ];
    const book: BookEntry[] = [
      { productId: 1, protocolId: "lendwise-v2", activeCover: 300n },
      { productId: 2, protocolId: "swapper-v3", activeCover: 200n },
      { productId: 5, protocolId: "steadyusd", activeCover: 400n },
    ];
    const t = scenarioTable(scenarios(book, protocols), 1_000n, 100n);
    expect(t.map((r) => [r.id, r.products, r.loss, r.coverageBps])).toEqual([
      ["chain-halt:ethereum", [1, 5], 700n, 12_857],
      ["depeg:steadyusd", [1, 5], 700n, 12_857], // a depeg of SteadyUSD also hits Lendwise, which holds it
      ["exploit:lendwise-v2", [1], 300n, 30_000],
      ["chain-halt:base", [2], 200n, 45_000],
      ["exploit:swapper-v3", [2], 200n, 45_000],
    ]);
    expect(t[0]!.assets).toBe(900n);
    // A SteadyUSD product may sell 200 more: the depeg (and the Ethereum halt) would then lose all 900.
    expect(stressFor(scenarios(book, protocols), groupsOf("steadyusd", protocols), 0n, 1_000n, 100n).capacityLeft).toBe(200n);
  });
});
