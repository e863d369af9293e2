import { DurableObject } from "cloudflare:workers";

/**
 * Hands out quote ids, one chain per instance. Ids are dense (1, 2, 3, …) because they become
 * policy ids on-chain, where dense ids keep the used-quote check in one storage word per 256
 * quotes and let keepers scan policies by range. A Durable Object is the single writer, so no id
 * is ever handed out twice, and quoting needs no D1 write before it answers.
 */
export class QuoteSequencer extends DurableObject {
  /** Reserves `count` consecutive ids and returns the first. */
  async next(count = 1): Promise<number> {
    const last = (await this.ctx.storage.get<number>("last")) ?? 0;
    await this.ctx.storage.put("last", last + count);
    return last + 1;
  }
}
