import { app } from "./app";
import type { Env } from "./env";

export { QuoteSequencer } from "./services/quoteSequencer";
export { TxSender } from "./services/txSender";

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
