import { env, exports } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { incidents, policies } from "../../db/schema";
import { chain } from "./helpers/chain";

const api = (path: string) => exports.default.fetch(`http://tripwire.test${path}`);
const OWNER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";

describe("a policy's status knows its product generation", () => {
  it("a confirmed incident ends the cover not active at its time ('ended'); the cover active then stays owed until paid", async () => {
    const now = Math.floor(Date.now() / 1000);
    const base = {
      chainId: chain.chainId, productId: 77, owner: OWNER, payer: OWNER, coverAmount: "1000", premium: "10",
      integrator: "0x0000000000000000000000000000000000000000", status: "active" as const, txHash: "0xab",
    };
    const d = drizzle(env.DB);
    await d.insert(policies).values([
      // Active at the incident time (t = now − 100): owed its payout.
      { ...base, id: 910_001, startAt: now - 10_000, endAt: now + 10_000, blockNumber: 50 },
      // Scheduled to start after t, bought before the fire: its cover ended with the generation.
      { ...base, id: 910_002, startAt: now + 5_000, endAt: now + 50_000, blockNumber: 51 },
      // Bought after the fire (the reopened product's next generation): untouched.
      { ...base, id: 910_003, startAt: now + 5_000, endAt: now + 50_000, blockNumber: 90 },
    ]);
    await d.insert(incidents).values([
      { id: 9_101, chainId: chain.chainId, productId: 77, status: "confirmed", incidentTime: now - 100, firedAt: now - 50, confirmedAt: now - 40, liability: "1000", reserve: "1000", proofHex: "0x01", evidenceJson: "{}", fireTxHash: "0xaa", firedBlock: 60 },
      // A vetoed incident ends nothing.
      { id: 9_102, chainId: chain.chainId, productId: 77, status: "vetoed", incidentTime: now - 10, firedAt: now - 5, liability: "0", proofHex: "0x02", evidenceJson: "{}", fireTxHash: "0xbb", firedBlock: 95 },
    ]);
    const status = async (id: number) => ((await (await api(`/v1/policies/${id}`)).json()) as { status: string }).status;
    expect(await status(910_001)).toBe("active");
    expect(await status(910_002)).toBe("ended");
    expect(await status(910_003)).toBe("pending_start");
    const listed = (await (await api(`/v1/policies?owner=${OWNER}`)).json()) as { policies: { id: number; status: string }[] };
    expect(listed.policies.filter((p) => p.id >= 910_001).map((p) => p.status)).toEqual(["active", "ended", "pending_start"]);
  });
});
