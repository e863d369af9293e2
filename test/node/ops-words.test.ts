import fc from "fast-check";
import { decodeFunctionData, getAddress, zeroAddress, type Address } from "viem";
import { describe, expect, it } from "vitest";
import { abi as marketAbi } from "../../contracts/out/CoverMarket";
import { productTerms, triggerFromFlags } from "../../scripts/lib/kindWords";
import { DeploymentRecord, deploymentSql, loadNetwork, NetworkConfigError } from "../../scripts/lib/network";
import { batchChecksum, batchTransaction, safeBatch, type SafeBatch } from "../../scripts/lib/safe";
import { formatDecimal, formatDuration, formatPercent, parseAmount, parseDecimal, parseDuration, parsePercentBps, parsePriceE18, WordsError } from "../../scripts/lib/words";
import { decodeAllOfParams } from "../../workers/triggers/allOf";
import { decodeDepegParams } from "../../workers/triggers/depeg";
import { decodeOracleDeviationParams } from "../../workers/triggers/oracleDeviation";
import { decodePausedParams } from "../../workers/triggers/paused";
import { decodeSharePriceParams } from "../../workers/triggers/sharePrice";
import { decodeTvlDropParams } from "../../workers/triggers/tvlDrop";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FEED = getAddress("0x68b1d87f95878fe05b998f19b66f4baba5de1aed");
const TARGET = getAddress("0x4ed7c70f96b99c776995fb64377f0d4ab3b0e1c1");
const triggers: Record<string, Address> = {
  tvl_drop: getAddress("0x00000000000000000000000000000000000000a1"),
  depeg: getAddress("0x00000000000000000000000000000000000000a2"),
  paused: getAddress("0x00000000000000000000000000000000000000a3"),
  all_of: getAddress("0x00000000000000000000000000000000000000a4"),
};
const triggerOf = (k: string) => triggers[k]!;

describe("terms in words → integers", () => {
  it("reads durations, percentages, prices and amounts exactly, and refuses what it cannot read exactly", () => {
    expect([parseDuration("45s"), parseDuration("10m"), parseDuration("6h"), parseDuration("2d"), parseDuration("1w"), parseDuration("1h30m")]).toEqual([45, 600, 21_600, 172_800, 604_800, 5_400]);
    for (const bad of ["", "1.5h", "h", "1y", "-1h", "1h 30m", "90 minutes"]) expect(() => parseDuration(bad), bad).toThrow(WordsError);
    // a bare number has no unit: 24 hours to whoever typed it, 24 seconds to the chain
    expect(() => parseDuration("24", "--lag")).toThrow(/--lag: "24" has no unit \(write 24s, 24m, 24h or 24d\)/);
    expect([parsePercentBps("50%"), parsePercentBps("0.25%"), parsePercentBps("100%")]).toEqual([5_000, 25, 10_000]);
    for (const bad of ["50", "0.125%", "101%", "-5%", "five%"]) expect(() => parsePercentBps(bad), bad).toThrow(WordsError);
    expect(parsePriceE18("0.98")).toBe(98n * 10n ** 16n);
    expect(parsePriceE18("$0.995")).toBe(995n * 10n ** 15n);
    expect(parseAmount("1,000,000", 6)).toBe(1_000_000_000_000n);
    expect(parseAmount("1_000_000.5", 6)).toBe(1_000_000_500_000n);
    // "," separates thousands, in groups of three, and nothing else: a decimal comma is refused, never read as 5 or 25
    for (const bad of ["0,05", "2,5", "1,0000", "12,34,567", "1,000_000", ",5"]) expect(() => parseAmount(bad, 6), bad).toThrow(/is not a decimal number/);
    expect(() => parsePercentBps("0,05%")).toThrow(/the decimal point is "\."/);
    expect(() => parsePriceE18("0,98")).toThrow(WordsError);
    expect(parseAmount("2500.5", 18)).toBe(2_500_500_000_000_000_000_000n);
    // a 6-decimal asset has no seventh decimal: refused, never rounded
    expect(() => parseAmount("0.0000001", 6)).toThrow(/more than 6 decimal places/);
    expect(() => parseAmount("1e6", 6)).toThrow(WordsError);
  });

  it("writes integers back as the words terms use", () => {
    expect([formatDuration(86_400), formatDuration(5_400), formatDuration(604_800), formatDuration(45), formatDuration(3_600), formatDuration(0)]).toEqual(["24 hours", "1 hour 30 minutes", "7 days", "45 seconds", "1 hour", "0 seconds"]);
    expect([formatPercent(5_000), formatPercent(25), formatPercent(1)]).toEqual(["50%", "0.25%", "0.01%"]);
    expect(formatDecimal(1_234_567_890_000n, 6, { grouping: true })).toBe("1,234,567.89");
  });

  it("round-trips any amount through words and back (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 96n - 1n }), fc.integer({ min: 0, max: 18 }), (v, d) => {
        expect(parseDecimal(formatDecimal(v, d, { grouping: true }), d)).toBe(v);
      }),
    );
    fc.assert(fc.property(fc.integer({ min: 0, max: 365 * 86_400 }), (s) => {
      expect(parseDuration(`${s}s`)).toBe(s);
    }));
  });
});

describe("trigger kinds from operator flags", () => {
  it("builds each kind's parameters from its flags, encodes them as the contract takes them, and writes its terms from the same values", () => {
    const tvl = triggerFromFlags(["--kind", "tvl-drop", "--feed", FEED.toLowerCase(), "--drop", "50%", "--within", "24h"]);
    const t1 = productTerms(tvl, triggerOf);
    expect(t1.trigger).toBe(triggers.tvl_drop);
    expect(decodeTvlDropParams(t1.params)).toMatchObject({ feed: FEED, dropBps: 5000, windowSeconds: 86_400, maxAgeSeconds: 172_800 });
    expect(t1.termsText).toBe(`Pays the cover amount if the TVL reported by feed ${FEED} in US dollars (a fall in the price of the assets it holds counts) falls by 50% or more within 24 hours (a reading older than 2 days does not count).`);
    // TVL in the protocol's own units: the same contract parameters, terms that say a price move is not a fall
    const inEth = productTerms(triggerFromFlags(["--kind", "tvl_drop", "--feed", FEED, "--drop", "50%", "--within", "24h", "--units", "ETH"]), triggerOf);
    expect(inEth.params).toBe(t1.params);
    expect(inEth.termsText).toContain(`feed ${FEED} in ETH, the protocol's own asset (a move in that asset's price is not a fall) falls by 50%`);
    expect(() => triggerFromFlags(["--kind", "tvl_drop", "--feed", FEED, "--drop", "50%", "--within", "24h", "--units", "ETH; DROP"])).toThrow(/--units: .* is not an asset symbol/);

    const depeg = productTerms(triggerFromFlags(["--kind", "depeg", "--feed", FEED, "--below", "0.98", "--for", "1h", "--max-age", "26h"]), triggerOf);
    expect(depeg.trigger).toBe(triggers.depeg);
    expect(decodeDepegParams(depeg.params)).toMatchObject({ feed: FEED, thresholdE18: 98n * 10n ** 16n, durationSeconds: 3_600, maxAgeSeconds: 93_600 });
    expect(depeg.termsText).toContain("stays below $0.98 for 1 hour or more");
    expect(depeg.termsText).toContain("older than 26 hours");

    const paused = productTerms(triggerFromFlags(["--kind", "paused", "--target", TARGET, "--for", "6h"]), triggerOf);
    expect(decodePausedParams(paused.params)).toEqual({ target: TARGET, durationSeconds: 21_600, maxGapSeconds: 600 });
    expect(paused.termsText).toContain("stays paused for 6 hours or more");

    const share = productTerms(triggerFromFlags(["--kind", "share-price", "--vault", TARGET, "--drop", "10%", "--for", "1h"]), (k) => (k === "share_price" ? triggers.tvl_drop! : triggerOf(k)));
    expect(decodeSharePriceParams(share.params)).toEqual({ vault: TARGET, dropBps: 1_000, durationSeconds: 3_600, maxGapSeconds: 600, maxGrowthBpsPerYear: 5_000 });
    expect(share.termsText).toContain(`the share price of vault ${TARGET} (its convertToAssets of one share) stays 10% or more below its high-water mark for 1 hour or more`);
    expect(share.termsText).toContain("raised by later observations by at most 50% a year");

    const deviation = productTerms(triggerFromFlags(["--kind", "oracle-deviation", "--feed", FEED, "--reference", TARGET, "--deviation", "10%", "--for", "30m"]), (k) => (k === "oracle_deviation" ? triggers.tvl_drop! : triggerOf(k)));
    expect(decodeOracleDeviationParams(deviation.params)).toEqual({ feed: FEED, referenceFeed: TARGET, deviationBps: 1_000, durationSeconds: 1_800, maxGapSeconds: 600, maxAgeSeconds: 7_200, sequencerFeed: zeroAddress, sequencerGraceSeconds: 0 });
    expect(deviation.termsText).toContain(`the price reported by feed ${FEED} (the price the protocol uses) stays 10% or more away from the price reported by the reference feed ${TARGET} for 30 minutes or more`);

    const allOf = productTerms(
      triggerFromFlags(["--kind", "all_of", "--leg", `tvl_drop --feed ${FEED} --drop 40% --within 12h`, "--leg", `paused --target ${TARGET} --for 2h --gap 5m`, "--spread", "1d"]),
      triggerOf,
    );
    const legs = decodeAllOfParams(allOf.params);
    expect(allOf.trigger).toBe(triggers.all_of);
    expect(legs.triggers).toEqual([triggers.tvl_drop, triggers.paused]);
    expect(legs.maxSpreadSeconds).toBe(86_400);
    expect(decodeTvlDropParams(legs.params[0]!)).toMatchObject({ dropBps: 4000, windowSeconds: 43_200 });
    expect(decodePausedParams(legs.params[1]!)).toEqual({ target: TARGET, durationSeconds: 7_200, maxGapSeconds: 300 });
    expect(allOf.termsText).toMatch(/^Pays the cover amount only if all of the following happen, their incident times at most 24 hours apart: \(1\) the TVL .* falls by 40% .*; \(2\) the contract .* stays paused for 2 hours or more.*5 minutes apart\.$/);
  });

  it("names the flag that is missing, unknown or malformed", () => {
    expect(() => triggerFromFlags(["--feed", FEED])).toThrow(/--kind is required/);
    expect(() => triggerFromFlags(["--kind", "rugpull"])).toThrow(/"rugpull" is not a trigger kind \(tvl_drop, depeg, paused, share_price, oracle_deviation, all_of\)/);
    expect(() => triggerFromFlags(["--kind", "depeg", "--feed", FEED, "--for", "1h"])).toThrow(/--below is required/);
    expect(() => triggerFromFlags(["--kind", "depeg", "--feed", FEED, "--below", "0.98", "--for", "1h", "--drop", "5%"])).toThrow(/depeg: .*--drop.*takes --feed/);
    expect(() => triggerFromFlags(["--kind", "depeg", "--feed", "0x0000000000000000000000000000000000000000", "--below", "0.98", "--for", "1h"])).toThrow(/--feed: .* is not a contract address/);
    expect(() => triggerFromFlags(["--kind", "all_of", "--leg", `paused --target ${TARGET} --for 1h`, "--spread", "1h"])).toThrow(/2 to 4 --leg flags, got 1/);
    expect(() => triggerFromFlags(["--kind", "all_of", "--leg", `all_of --spread 1h`, "--leg", `paused --target ${TARGET} --for 1h`, "--spread", "1h"])).toThrow(WordsError);
  });
});

describe("Safe Transaction Builder batches", () => {
  it("computes the checksum the Transaction Builder app writes (a batch it exported, version 1.18.2)", () => {
    // A batch exported by Safe{Wallet}'s Transaction Builder (published in safe-global's safe-cli-nodejs
    // docs, TRANSACTION_BUILDER_FORMAT_ANALYSIS.md), with the checksum the app computed for it.
    const exported = {
      version: "1.0", chainId: "1", createdAt: 1761326849944,
      meta: { name: "Transactions Batch", description: "", txBuilderVersion: "1.18.2", createdFromSafeAddress: "0xA77DE01e157f9f57C7c4A326eeE9C4874D0598b6", createdFromOwnerAddress: "", checksum: "0x8b5032f716845c8b08bab3d63dbd9ba92e056f3557793cd041e59b84e16aa989" },
      transactions: [{
        to: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", value: "0", data: null,
        contractMethod: { inputs: [{ internalType: "address", name: "spender", type: "address" }, { internalType: "uint256", name: "value", type: "uint256" }], name: "approve", payable: false },
        contractInputsValues: { spender: "0x474e5Ded6b5D078163BFB8F6dBa355C3aA5478C8", value: "100000000000" },
      }],
    } as unknown as SafeBatch;
    expect(batchChecksum(exported)).toBe(exported.meta.checksum);
    // any change to a transaction changes it
    const edited = { ...exported, transactions: [{ ...exported.transactions[0]!, contractInputsValues: { spender: "0x474e5Ded6b5D078163BFB8F6dBa355C3aA5478C8", value: "100000000001" } }] };
    expect(batchChecksum(edited)).not.toBe(exported.meta.checksum);
  });

  it("writes each call with its calldata and its arguments in words", () => {
    const market = getAddress("0x00000000000000000000000000000000000000b1");
    const batch = safeBatch({
      chainId: 84532, safe: getAddress("0x5afe000000000000000000000000000000005afe"), name: "n", description: "d", createdAt: 1,
      calls: [{ to: market, abi: marketAbi, functionName: "setProductCap", args: [3n, 2_000_000_000_000n], description: "cap" }],
    });
    expect(batch.chainId).toBe("84532");
    expect(batch.meta.checksum).toBe(batchChecksum(batch));
    const [tx] = batch.transactions;
    expect(tx!.contractMethod.name).toBe("setProductCap");
    expect(tx!.contractInputsValues).toEqual({ productId: "3", capAmount: "2000000000000" });
    expect(decodeFunctionData({ abi: marketAbi, data: tx!.data })).toEqual({ functionName: "setProductCap", args: [3n, 2_000_000_000_000n] });
    expect(() => batchTransaction({ to: market, abi: marketAbi, functionName: "noSuchFunction", args: [], description: "" })).toThrow(/not in the ABI/);
  });
});

describe("network configs", () => {
  const dir = mkdtempSync(join(tmpdir(), "tripwire-net-"));
  const base = {
    name: "test", chainId: 84532, rpcUrlEnv: "TEST_RPC_URL",
    asset: { address: "0x036CbD53842c5426634e7929541eC2318f3dCF7e", symbol: "USDC", decimals: 6 },
    owner: "0x5afe000000000000000000000000000000005afe", quoteSigner: "0x1111111111111111111111111111111111111111",
    guardian: "0x2222222222222222222222222222222222222222", pauser: "0x3333333333333333333333333333333333333333",
    pool: { name: "Tripwire LP USDC", symbol: "twLP", leverageBps: 20000, cooldown: "7d" },
  };
  const file = (name: string, body: unknown) => {
    const p = join(dir, `${name}.json`);
    writeFileSync(p, JSON.stringify(body));
    return p;
  };

  it("parses a network with its defaults and durations in words", () => {
    const cfg = loadNetwork(file("ok", base));
    expect(cfg.pool.cooldown).toBe(604_800);
    expect(cfg.market.termGrid).toBe(3_600);
    expect(cfg.multicall3).toBe("0xcA11bde05977b3631167028862bE2a173976CA11");
    expect(cfg.owner).toBe("0x5Afe000000000000000000000000000000005afe");
  });

  it("refuses a key in the file, an unknown field, a development account on a public chain, a provider URL written in, and names the field", () => {
    expect(() => loadNetwork(file("key", { ...base, deployerKey: "0x" + "ab".repeat(32) }))).toThrow(/deployerKey looks like a private key; keys never go in files/);
    expect(() => loadNetwork(file("extra", { ...base, gasPrice: 5 }))).toThrow(NetworkConfigError);
    expect(() => loadNetwork(file("dev", { ...base, guardian: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" }))).toThrow(/guardian .* is one of anvil's public development accounts; on chain 84532 anyone could act as it/);
    expect(() => loadNetwork(file("url", { ...base, rpcUrl: "https://base-sepolia.example/v2/SECRET" }))).toThrow(/rpcUrl: only a loopback URL/);
    expect(() => loadNetwork(file("zero", { ...base, owner: "0x0000000000000000000000000000000000000000" }))).toThrow(/owner: not a non-zero address/);
    expect(() => loadNetwork(file("cooldown", { ...base, pool: { ...base.pool, cooldown: "a week" } }))).toThrow(/pool.cooldown: .*not a duration/);
    expect(() => loadNetwork(file("unitless", { ...base, pool: { ...base.pool, cooldown: 7 } }))).toThrow(/pool.cooldown/);
    expect(() => loadNetwork(file("unitless2", { ...base, pool: { ...base.pool, cooldown: "7" } }))).toThrow(/pool.cooldown: .*"7" has no unit/);
  });

  it("refuses a role anyone could act as: Multicall3, the asset, and the quote signer (a hot key) doubling as another role", () => {
    expect(() => loadNetwork(file("mc", { ...base, owner: "0xcA11bde05977b3631167028862bE2a173976CA11" }))).toThrow(/owner is Multicall3 .*: through it anyone could act as the owner/);
    expect(() => loadNetwork(file("mc2", { ...base, guardian: "0xcA11bde05977b3631167028862bE2a173976CA11" }))).toThrow(/guardian is Multicall3/);
    expect(() => loadNetwork(file("asset", { ...base, pauser: base.asset.address }))).toThrow(/pauser is the asset's contract/);
    expect(() => loadNetwork(file("signer", { ...base, guardian: base.quoteSigner }))).toThrow(/quoteSigner is also the guardian: the quote signer is a hot key in the Worker/);
  });

  it("keeps a deployment record's names identifiers, so its SQL cannot be broken out of", () => {
    const record = {
      network: "n", chainId: 84532, dryRun: false, deployer: "0x00000000000000000000000000000000000000de", deployedAt: 1, compiler: { solc: "x", settings: {} },
      roles: { owner: base.owner, quoteSigner: base.quoteSigner, guardian: base.guardian, pauser: base.pauser }, handoffBlock: 2, pendingOwnerBatch: null,
      contracts: { CoverMarket: { address: "0x0000000000000000000000000000000000000012", block: 1, tx: null, args: [], artifact: null, libraries: {}, codeSize: 1 } },
    };
    expect(deploymentSql(record as DeploymentRecord)).toContain("VALUES (84532, 'CoverMarket', '0x0000000000000000000000000000000000000012', 1, 1)");
    const injected = { ...record, contracts: { ...record.contracts, ["X', '0x00', 0, 0); INSERT INTO api_keys VALUES ('h', 'p', 'n', 'admin'); --"]: record.contracts.CoverMarket } };
    expect(() => deploymentSql(injected as unknown as DeploymentRecord)).toThrow(/a contract name/);
    expect(DeploymentRecord.safeParse({ ...record, contracts: { CoverMarket: { ...record.contracts.CoverMarket, artifact: "../../etc/passwd" } } }).success).toBe(false);
  });

  it("keeps the committed template undeployable until its roles are filled in, naming each", () => {
    expect(() => loadNetwork("base-sepolia")).toThrow(/owner: not a non-zero address; quoteSigner: not a non-zero address; guardian: not a non-zero address; pauser: not a non-zero address/);
    expect(loadNetwork("local").chainId).toBe(31337);
  });
});
