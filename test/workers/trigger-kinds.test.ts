import { env, exports } from "cloudflare:workers";
import { getAddress, type Address, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { products } from "../../db/schema";
import { deploymentOf } from "../../workers/chain/deployment";
import { salesMarginBps } from "../../workers/pricing/salesMargin";
import { Product } from "../../workers/schemas/product";
import { encodeAllOfParams } from "../../workers/triggers/allOf";
import { encodeDepegParams } from "../../workers/triggers/depeg";
import { kindLookup, kindNamed, kindNames, kindOfContract, kinds, type TriggerKind } from "../../workers/triggers/index";
import type { AnyTriggerKind } from "../../workers/triggers/kind";
import { encodePausedParams, observationKey } from "../../workers/triggers/paused";
import { abi as pausedAbi } from "../../contracts/out/PausedTrigger";
import { abi as oracleDeviationAbi } from "../../contracts/out/OracleDeviationTrigger";
import { deviationBpsOf, oracleDeviationRecordKey } from "../../workers/triggers/oracleDeviation";
import { encodeTvlDropParams } from "../../workers/triggers/tvlDrop";
import { chain, publicClient } from "./helpers/chain";

const api = (path: string) => exports.default.fetch(`http://tripwire.test${path}`);
const names = kinds.map((k) => k.name);
const FEED = getAddress("0x1111111111111111111111111111111111111111");
const TARGET = getAddress("0x2222222222222222222222222222222222222222");
const SEQUENCER = getAddress("0x3333333333333333333333333333333333333333");

/**
 * One sample per kind: parameters with every field set (so a decode gives them back whole) and a
 * proof. Keyed by the table's names: a new kind does not typecheck here until it has its sample.
 */
const samples = {
  tvl_drop: {
    params: { feed: FEED, dropBps: 5_000, windowSeconds: 86_400, maxAgeSeconds: 172_800, sequencerFeed: SEQUENCER, sequencerGraceSeconds: 3_600 },
    proof: { startRoundId: (1n << 64n) | 7n, prevRoundId: (2n << 64n) | 1n, tripRoundId: (2n << 64n) | 2n },
  },
  depeg: {
    params: { feed: FEED, thresholdE18: 995n * 10n ** 15n, durationSeconds: 86_400, maxAgeSeconds: 7_200, sequencerFeed: SEQUENCER, sequencerGraceSeconds: 600 },
    proof: { onsetRoundId: (3n << 64n) | 4_320n },
  },
  paused: {
    params: { target: TARGET, durationSeconds: 6 * 3_600, maxGapSeconds: 600 },
    proof: null,
  },
  all_of: {
    params: {
      triggers: [FEED, TARGET],
      params: [
        encodeTvlDropParams({ feed: FEED, dropBps: 5_000, windowSeconds: 86_400, maxAgeSeconds: 172_800 }),
        encodePausedParams({ target: TARGET, durationSeconds: 3_600, maxGapSeconds: 600 }),
      ],
      maxSpreadSeconds: 86_400,
    },
    proof: ["0x000000000000000000000000000000000000000000000000000000000000002a", "0x"],
  },
  share_price: {
    params: { vault: TARGET, dropBps: 1_000, durationSeconds: 3_600, maxGapSeconds: 600, maxGrowthBpsPerYear: 5_000 },
    proof: null,
  },
  oracle_deviation: {
    params: { feed: FEED, referenceFeed: TARGET, deviationBps: 1_000, durationSeconds: 1_800, maxGapSeconds: 600, maxAgeSeconds: 3_600, sequencerFeed: SEQUENCER, sequencerGraceSeconds: 600 },
    proof: null,
  },
} satisfies Record<TriggerKind, { params: unknown; proof: unknown }>;

// The composite's legs, by address, for its parameters in words.
const legKinds = kindLookup(new Map<Address, TriggerKind>([[FEED, "tvl_drop"], [TARGET, "paused"]]));

describe("the trigger-kind table is the one source of every kind list", () => {
  it("names, contracts and deploy keys are unique, and each name finds its module", () => {
    for (const field of ["name", "contract", "deployKey"] as const) expect(new Set(kinds.map((k) => k[field])).size).toBe(kinds.length);
    expect([...kindNames]).toEqual(names);
    for (const k of kinds) {
      expect(kindNamed(k.name)).toBe(k);
      expect(kindOfContract(k.contract)).toBe(k);
    }
  });

  it("the API's zod enum, the drizzle column's enum and the OpenAPI spec list exactly the table's names", async () => {
    expect(Product.shape.trigger.shape.kind.options).toEqual(names);
    expect(products.triggerKind.enumValues).toEqual(names);
    const spec = (await (await api("/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties: Record<string, { properties: Record<string, { enum?: string[]; anyOf?: unknown[] }> }> }> };
    };
    const trigger = spec.components.schemas.Product!.properties.trigger!.properties;
    expect(trigger.kind!.enum).toEqual(names);
    // trigger.params: one schema per kind.
    expect(trigger.params!.anyOf).toHaveLength(kinds.length);
  });

  it("each kind's default sales margin is the one the pricing applies", () => {
    for (const k of kinds) {
      expect(salesMarginBps(k.name, null)).toBe(k.defaultSalesMarginBps);
      expect(salesMarginBps(k.name, 123)).toBe(123);
    }
  });

  it("the deployment maps every kind's recorded contract back to its kind", async () => {
    const dep = await deploymentOf(env.DB, chain.chainId);
    for (const k of kinds) {
      const address = chain.contracts[k.contract];
      expect(address, `${k.contract} deployed by the global setup`).toBeDefined();
      expect(dep.triggerKinds.get(getAddress(address!))).toBe(k.name);
    }
    expect(dep.triggerKinds.size).toBe(kinds.length);
  });
});

describe("each kind module round-trips its encodings", () => {
  for (const k of kinds) {
    const sample = samples[k.name];
    // The table's modules are typed per kind; here each is driven through the common interface.
    const kind = k as unknown as AnyTriggerKind;

    it(`${k.name}: parameters encode and decode back, and in words they match the kind's schema`, () => {
      const hex = kind.encodeParams(sample.params);
      expect(kind.decodeParams(hex)).toEqual(sample.params);
      const words = kind.describeParams(hex, legKinds);
      expect(kind.paramsSchema.safeParse(words).success).toBe(true);
      expect(JSON.parse(JSON.stringify(words))).toEqual(words);
    });

    it(`${k.name}: the proof encodes and decodes back`, () => {
      const hex = kind.encodeProof(sample.proof);
      expect(hex).toMatch(/^0x([0-9a-f]{2})*$/);
      expect(kind.decodeProof(hex)).toEqual(sample.proof);
    });
  }

  it("the oracle-deviation record key is computed as the contract computes it (every parameter but the duration)", async () => {
    const p = samples.oracle_deviation.params;
    const onChain = await publicClient.readContract({ address: chain.contracts.OracleDeviationTrigger as Address, abi: oracleDeviationAbi, functionName: "recordKey", args: [p] });
    expect(oracleDeviationRecordKey(p)).toBe(onChain);
    expect(oracleDeviationRecordKey({ ...p, durationSeconds: 99 })).toBe(onChain);
    expect(oracleDeviationRecordKey({ ...p, deviationBps: 999 })).not.toBe(onChain);
    expect(deviationBpsOf(1_700n * 10n ** 8n, 8, 2_000n * 10n ** 18n, 18)).toBe(1_500n);
    expect(deviationBpsOf(2_300n * 10n ** 8n, 8, 2_000n * 10n ** 8n, 8)).toBe(1_500n);
  });

  it("the paused evidence reads the trigger's own observation record (its key computed as the contract does)", async () => {
    const onChain = await publicClient.readContract({ address: chain.contracts.PausedTrigger as Address, abi: pausedAbi, functionName: "observationKey", args: [TARGET, 600] });
    expect(observationKey(TARGET, 600)).toBe(onChain);
    const [read] = kindNamed("paused").evidence(encodePausedParams(samples.paused.params), "0x", chain.contracts.PausedTrigger as Address, legKinds);
    expect(read!.calls[0]).toMatchObject({ functionName: "observations", args: [onChain] });
    // Never observed: no pause on record rather than a time of 0.
    expect(read!.describe([{ status: "success", result: [0, 0] }] as never)).toEqual({ kind: "paused", target: TARGET, pausedSince: null, lastSeenPaused: null });
    expect(read!.describe([{ status: "success", result: [1_700_000_000, 1_700_003_600] }] as never)).toMatchObject({ pausedSince: 1_700_000_000, lastSeenPaused: 1_700_003_600 });
  });

  it("defaults of the optional sequencer fields are filled in by the encoders", () => {
    const tvl = encodeTvlDropParams({ feed: FEED, dropBps: 5_000, windowSeconds: 86_400, maxAgeSeconds: 172_800 });
    expect(kindNamed("tvl_drop").decodeParams(tvl)).toMatchObject({ sequencerFeed: "0x0000000000000000000000000000000000000000", sequencerGraceSeconds: 0 });
    const depeg = encodeDepegParams({ feed: FEED, thresholdE18: 97n * 10n ** 16n, durationSeconds: 3_600, maxAgeSeconds: 7_200 });
    expect(kindNamed("depeg").decodeParams(depeg)).toMatchObject({ sequencerGraceSeconds: 0 });
  });

  it("an all-of leg whose trigger is not a recorded kind is shown as unknown with its bytes", () => {
    const stranger = getAddress("0x4444444444444444444444444444444444444444");
    const params = encodeAllOfParams({ triggers: [FEED, stranger], params: [samples.all_of.params.params[0]!, "0xdead"], maxSpreadSeconds: 60 });
    const words = kindNamed("all_of").describeParams(params, legKinds) as { triggers: { kind: string; params: unknown }[] };
    expect(words.triggers.map((t) => t.kind)).toEqual(["tvl_drop", "unknown"]);
    expect(words.triggers[1]!.params).toBe("0xdead");
  });

  it("every sample product listed on the local market decodes through its kind and re-encodes to the bytes the market stores", async () => {
    const dep = await deploymentOf(env.DB, chain.chainId);
    const lookup = kindLookup(dep.triggerKinds);
    for (const p of chain.products) {
      const [product, params] = await Promise.all([
        publicClient.readContract({ address: chain.contracts.CoverMarket as Address, abi: marketAbi, functionName: "product", args: [BigInt(p.id)] }),
        publicClient.readContract({ address: chain.contracts.CoverMarket as Address, abi: marketAbi, functionName: "productParams", args: [BigInt(p.id)] }),
      ]);
      const kind = lookup.byAddress(product.trigger)!;
      expect(kind, `product ${p.id}'s trigger is a recorded kind`).toBeDefined();
      expect(kind.encodeParams(kind.decodeParams(params as Hex))).toBe(params);
      expect(kind.paramsSchema.safeParse(kind.describeParams(params as Hex, lookup)).success).toBe(true);
    }
  });
  it("an observed leg of an all-of offers its (empty) proof only while there is something on record to prove", async () => {
    // Before: a paused leg always "found" a proof, so an all-of whose TVL leg had tripped was
    // offered to fire (and refused on-chain, MarketTriggerNotTripped) on every keeper run.
    const target = getAddress("0x5555555555555555555555555555555555555555");
    const [leg] = kindNamed("paused").keeper.watch({ target, durationSeconds: 3_600, maxGapSeconds: 600 }, FEED, legKinds).legs;
    const rounds = null as never;
    expect(await leg!.findProof([{ status: "success", result: false }], rounds, 0n)).toBeNull();
    expect(await leg!.findProof([{ status: "failure", error: new Error("unreadable") }], rounds, 0n)).toBeNull();
    expect(await leg!.findProof([{ status: "success", result: true }], rounds, 0n)).toMatchObject({ proof: "0x" });
  });
});
