import type { z } from "@hono/zod-openapi";
import { getAddress, keccak256, toHex, type Hex, type PublicClient } from "viem";
import { getProductWithProtocol, listProductsWithProtocols, upsertProduct, type ProductRow, type ProtocolRow } from "../../db/queries/products";
import { getProtocol } from "../../db/queries/protocols";
import { readProductState, readProductStates, type ProductState } from "../chain/actions/readProductState";
import { deploymentOf } from "../chain/deployment";
import { notFound, problem } from "../errors";
import { abi as poolAbi } from "../../contracts/out/CoverPool";
import { onChain } from "../chain/client";
import type { OwnHistory } from "../pricing/frequency";
import { annualRateE18 } from "../pricing/premium";
import { riskRate } from "../pricing/risk";
import { salesMarginBps, salesRefusal } from "../pricing/salesMargin";
import type { Product, ProductInput } from "../schemas/product";
import { kindLookup, kindNamed } from "../triggers/index";
import { productFrequency, riskInputsOf } from "./protocols";

/** The term the indicative rate is shown for (the app's default duration). */
export const INDICATIVE_TERM_DAYS = 30;

/** The pool's leverage, read live (one call): the capital charge of every rate depends on it. */
async function poolLeverageBps(client: PublicClient, pool: `0x${string}`): Promise<number> {
  return Number(await onChain(() => client.readContract({ address: pool, abi: poolAbi, functionName: "leverageBps" })));
}

type ChainProduct = { status: number; salesPaused: boolean; activeCover: bigint; capacityLeft: bigint };
const chainProductOf = (s: ProductState): ChainProduct => ({ status: s.product.status, salesPaused: s.product.salesPaused, activeCover: s.activeCover, capacityLeft: s.capacityLeft });
const STATUS = ["none", "active", "incident", "closed"] as const;

function statusOf(p: Pick<ChainProduct, "status" | "salesPaused">): z.infer<typeof Product>["status"] {
  const s = STATUS[p.status] ?? "closed";
  if (s === "active" && p.salesPaused) return "paused";
  return s === "none" ? "closed" : s;
}

function view(row: ProductRow, protocol: ProtocolRow, chain: ChainProduct, now: number, distanceBps: number | null, leverageBps: number, history: OwnHistory | null): z.infer<typeof Product> {
  const risk = riskRate(riskInputsOf(protocol), now);
  const priced = productFrequency(row, protocol, now, history);
  const indicative = priced.ok && leverageBps > 0
    ? annualRateE18(priced.frequency.perYearE18, BigInt(INDICATIVE_TERM_DAYS * 86_400), row.rateMultiplierBps, leverageBps).beforeDemandE18
    : null;
  return {
    id: row.id,
    chainId: row.chainId,
    protocolId: row.protocolId,
    name: row.name,
    status: statusOf(chain),
    trigger: { kind: row.triggerKind, address: row.triggerAddress, params: JSON.parse(row.paramsJson), paramsHex: row.paramsHex },
    terms: { text: row.termsText, hash: row.termsHash },
    capAmount: row.capAmount,
    activeCover: chain.activeCover.toString(),
    capacityLeft: chain.capacityLeft.toString(),
    coverageLagSeconds: row.coverageLagSeconds,
    vetoWindowSeconds: row.vetoWindowSeconds,
    rateMultiplierBps: row.rateMultiplierBps,
    salesMarginBps: salesMarginBps(row.triggerKind, row.salesMarginBps),
    indicativeAnnualRateBps: indicative === null ? null : Number((indicative + 10n ** 14n - 1n) / 10n ** 14n),
    // The same decisions POST /v1/quotes makes, in its order: the protocol's risk, then the reading.
    refusal: !risk.ok
      ? { code: risk.code, reason: risk.reason }
      : !priced.ok
        ? { code: "unpriced", reason: priced.detail }
        : salesRefusal(row.triggerKind, row.salesMarginBps, distanceBps),
    listedAt: row.listedAt,
  };
}

export async function listProductViews(db: D1Database, client: PublicClient, chainId: number, now: number) {
  const rows = await listProductsWithProtocols(db);
  if (rows.length === 0) return [];
  const dep = await deploymentOf(db, chainId);
  const [chain, leverage] = await Promise.all([readProductStates(client, dep, rows.map((r) => r.product.id)), poolLeverageBps(client, dep.pool)]);
  return rows.map((r) => view(r.product, r.protocol, chainProductOf(chain.get(r.product.id)!), now, r.distanceBps, leverage, r.history));
}

export async function productViewById(db: D1Database, client: PublicClient, chainId: number, id: number, now: number) {
  const row = await getProductWithProtocol(db, id);
  if (!row) throw notFound(`Product ${id}`);
  const dep = await deploymentOf(db, chainId);
  const [chain, leverage] = await Promise.all([readProductState(client, dep, id), poolLeverageBps(client, dep.pool)]);
  return view(row.product, row.protocol, chainProductOf(chain), now, row.distanceBps, leverage, row.history);
}


/**
 * Registers a product the owner has listed on-chain. Everything about money and triggers is read
 * from the market, never taken from the request: the request adds the protocol, a name and the
 * terms in words, whose hash must be the one the market holds.
 */
export async function registerProduct(db: D1Database, client: PublicClient, chainId: number, id: number, input: z.infer<typeof ProductInput>, now: number) {
  const protocol = await getProtocol(db, input.protocolId);
  if (!protocol) throw problem("unknown-protocol", `Protocol ${input.protocolId} is not in the catalog.`);
  const dep = await deploymentOf(db, chainId);
  const state = await readProductState(client, dep, id, { params: true });
  const { product: onchain } = state;
  const paramsHex = state.params!;
  if (onchain.status === 0) throw problem("product-not-listed", `The market has no product ${id}.`);
  const termsHash = keccak256(toHex(input.termsText));
  if (termsHash !== onchain.termsHash) {
    throw problem("terms-mismatch", `keccak256(termsText) is ${termsHash}; the market holds ${onchain.termsHash}.`);
  }
  const kind = dep.triggerKinds.get(getAddress(onchain.trigger));
  if (!kind) throw problem("unknown-trigger", `Trigger ${onchain.trigger} is not a recorded trigger contract.`);
  const { row, created } = await upsertProduct(db, {
    id,
    chainId,
    protocolId: input.protocolId,
    name: input.name,
    triggerKind: kind,
    triggerAddress: getAddress(onchain.trigger),
    paramsJson: JSON.stringify(kindNamed(kind).describeParams(paramsHex as Hex, kindLookup(dep.triggerKinds))),
    paramsHex,
    termsText: input.termsText,
    termsHash,
    capAmount: onchain.capAmount.toString(),
    coverageLagSeconds: onchain.coverageLagSeconds,
    vetoWindowSeconds: onchain.vetoWindowSeconds,
    rateMultiplierBps: input.rateMultiplierBps,
    salesMarginBps: input.salesMarginBps,
    status: statusOf(chainProductOf(state)),
    listedAt: onchain.activeSince,
  });
  return { product: view(row, protocol, chainProductOf(state), now, null, await poolLeverageBps(client, dep.pool), null), created };
}
