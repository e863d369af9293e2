import { app } from "./app";
import type { Env } from "./env";
import { settleBatch } from "./keeper/settle";
import { runTick, type SettleMessage } from "./keeper/tick";

export { QuoteSequencer } from "./objects/quoteSequencer";
export { TxSender } from "./objects/txSender";

export default {
  fetch: app.fetch,
  /** The keeper: every minute (wrangler.toml `triggers.crons`). */
  async scheduled(controller, env) {
    const summary = await runTick(env, controller.scheduledTime);
    if (summary.error) throw new Error(`keeper run failed: ${summary.error}`);
  },
  /** Settlement batches the keeper enqueued. */
  async queue(batch, env) {
    await settleBatch(batch as MessageBatch<SettleMessage>, env);
  },
} satisfies ExportedHandler<Env, SettleMessage>;
