import { DurableObject } from "cloudflare:workers";

/** What a signed quote holds of the stress scenarios' room until it expires (amounts as decimal strings). */
export type Hold = {
  /** Each scenario the product belongs to, with the room its live loss leaves (net assets − loss). */
  groups: { id: string; room: string }[];
  amount: string;
  /** The quote's deadline (unix seconds): the hold lapses then, bought or not. */
  until: number;
  now: number;
};
export type Allocation = { ok: true; id: number } | { ok: false; group: string; room: string; held: string };
type Stored = { id: number; groups: string[]; amount: string; until: number };

/**
 * Hands out quote ids, one chain per instance. Ids are dense (1, 2, 3, …) because they become
 * policy ids on-chain, where dense ids keep the used-quote check in one storage word per 256
 * quotes and let keepers scan policies by range. A Durable Object is the single writer, so no id
 * is ever handed out twice, and quoting needs no D1 write before it answers.
 *
 * It also holds each signed quote's cover against the stress scenarios until the quote expires:
 * the live book does not show quotes signed and not yet bought, so without the hold two quotes
 * each inside a scenario's room could both be bought and take it past the pool's assets. A hold
 * is kept until its deadline even once bought (the book then counts the cover too): room is
 * understated for at most a quote's lifetime, never overstated.
 */
export class QuoteSequencer extends DurableObject {
  /**
   * Reserves the next id and returns it. `floor` is the highest policy id the market has seen:
   * ids never go back below it, so a sequencer whose storage was lost cannot hand out an id a
   * policy already holds.
   */
  async next(floor = 0): Promise<number> {
    const stored = (await this.ctx.storage.get<number>("last")) ?? 0;
    const id = Math.max(stored, floor) + 1;
    await this.ctx.storage.put("last", id);
    return id;
  }

  /**
   * As `next`, and holds `hold.amount` in every scenario of `hold.groups` until `hold.until`:
   * refused (no id) when the holds of unexpired quotes plus this one exceed a scenario's room.
   * One writer, so the check and the hold are atomic across concurrent quotes.
   */
  async allocate(floor: number, hold: Hold): Promise<Allocation> {
    const holds = ((await this.ctx.storage.get<Stored[]>("holds")) ?? []).filter((h) => h.until >= hold.now);
    const amount = BigInt(hold.amount);
    for (const g of hold.groups) {
      const held = holds.filter((h) => h.groups.includes(g.id)).reduce((s, h) => s + BigInt(h.amount), 0n);
      if (held + amount > BigInt(g.room)) return { ok: false, group: g.id, room: g.room, held: held.toString() };
    }
    const id = await this.next(floor);
    holds.push({ id, groups: hold.groups.map((g) => g.id), amount: hold.amount, until: hold.until });
    await this.ctx.storage.put("holds", holds);
    return { ok: true, id };
  }
}
