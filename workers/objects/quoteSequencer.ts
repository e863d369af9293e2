import { DurableObject } from "cloudflare:workers";

/**
 * Hands out quote ids, one chain per instance. Ids are dense (1, 2, 3, …) because they become
 * policy ids on-chain, where dense ids keep the used-quote check in one storage word per 256
 * quotes and let keepers scan policies by range. A Durable Object is the single writer, so no id
 * is ever handed out twice, and quoting needs no D1 write before it answers.
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
}
