import { encodeFunctionData, type Hex } from "viem";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { deploymentOf } from "../chain/deployment";
import type { Env } from "../env";
import { keeperClients, keeperConfig, senderName, type Subrequests } from "./config";
import type { SettleMessage } from "./tick";
import { multicallAt } from "./watch";

/**
 * The settlement queue's consumer. Each message is one batch of policies of one confirmed
 * incident. The batch is re-checked on-chain (policies paid meanwhile are dropped), then sent as
 * one `settle` transaction through the keeper's TxSender under the message's intent id, so a
 * redelivered message resumes the same transaction instead of sending another. A batch that is
 * not final yet is retried later; one that failed is acknowledged and left to the next tick,
 * which enqueues whatever is still unpaid.
 */
export async function settleBatch(batch: MessageBatch<SettleMessage>, env: Env): Promise<void> {
  const cfg = keeperConfig(env);
  const sub: Subrequests = { rpc: 0, durableObject: 0, queue: 0, webhook: 0 };
  const { client } = keeperClients(env, sub);
  const dep = await deploymentOf(env.DB, cfg.chainId);
  const sender = env.TX_SENDER.get(env.TX_SENDER.idFromName(senderName(cfg.chainId, cfg.keeper)));
  for (const msg of batch.messages) {
    const m = msg.body;
    try {
      if (m.chainId !== cfg.chainId) {
        msg.ack(); // another chain's message: not ours to send
        continue;
      }
      const known = await sender.status(m.intentId);
      let ids = m.policyIds;
      if (!known || known.status === "failed" || known.status === "reverted") {
        const head = await client.getBlockNumber();
        const paid = await multicallAt(client, dep.multicall, head, ids.map((id) => ({ address: dep.market, abi: marketAbi, functionName: "policyPaid", args: [BigInt(id)] })));
        ids = ids.filter((_, k) => !(paid[k]!.status === "success" && paid[k]!.result === true));
        if (ids.length === 0) {
          msg.ack();
          continue;
        }
      }
      const data: Hex = encodeFunctionData({ abi: marketAbi, functionName: "settle", args: [BigInt(m.incidentId), ids.map(BigInt)] });
      const result = await sender.send("KEEPER_KEY", { intentId: m.intentId, kind: "settle", to: dep.market, data, confirmations: cfg.confirmations, waitMs: 20_000 });
      if (result.status === "mined" || result.status === "failed" || result.status === "reverted") {
        if (result.status !== "mined") console.warn(JSON.stringify({ at: "keeper.settle", intentId: m.intentId, status: result.status, error: result.error }));
        msg.ack();
      } else {
        msg.retry({ delaySeconds: 2 });
      }
    } catch (err) {
      console.error(JSON.stringify({ at: "keeper.settle", intentId: m.intentId, error: err instanceof Error ? err.message.slice(0, 200) : String(err) }));
      msg.retry({ delaySeconds: 5 });
    }
  }
}
