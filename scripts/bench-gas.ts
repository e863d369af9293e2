/**
 * Gas benchmark: deploys on a fresh anvil and measures the hot paths.
 * Writes bench-results/gas.json (gas units) and prints the same as a table.
 *
 *   buyCover / buyCoverFor     a purchase by a buyer who already holds a policy, on a day whose
 *                              expiry bucket exists (the steady state); first purchases are
 *                              printed beside it
 *   fire.{tvlDrop,paused,depeg} the fire transaction (a pause's observe is printed beside it)
 *   settlePerPolicy.{1,10,100}  one settlement transaction ÷ policies paid, each to a fresh holder
 *   erc20BatchPerRecipient.100  a minimal batch ERC-20 transfer to 100 fresh recipients ÷ 100
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { getContract, keccak256, toHex, zeroAddress, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { buildContracts } from "../contracts/build";
import { startAnvil } from "./lib/anvil";
import { localAccount, localClients } from "./lib/clients";
import { quoteTypedData, type Quote } from "../workers/chain/quote";
import { encodeDepegParams, encodeDepegProof } from "../workers/triggers/depeg";
import { encodePausedParams } from "../workers/triggers/paused";
import { encodeTvlDropParams, encodeTvlDropProof } from "../workers/triggers/tvlDrop";

buildContracts({ quiet: true });
// Generated ABI modules exist only after the build.
const { deploy, deployCore, send } = await import("./lib/deploy");
const BatchTransfer = await import("../contracts/out/BatchTransfer");
const MockV3Aggregator = await import("../contracts/out/MockV3Aggregator");
const MockPausableProtocol = await import("../contracts/out/MockPausableProtocol");
const MockFeed = await import("../contracts/out/MockFeed");

const USD = 1_000_000n;
const E8 = 10n ** 8n;
const anvil = await startAnvil();
try {
  const clients = localClients(anvil.rpcUrl);
  await clients.testClient.setBlockTimestampInterval({ interval: 1 });
  const [owner, signer, buyer, buyer2, lp] = [0, 1, 4, 5, 3].map((i) => clients.wallet(localAccount(i)));
  const core = await deployCore(clients, {
    owner: owner!,
    quoteSigner: signer!.account!.address,
    guardian: owner!.account!.address,
    pauser: owner!.account!.address,
    leverageBps: 20_000,
  });
  const chainId = await clients.publicClient.getChainId();
  const now = async () => (await clients.publicClient.getBlock()).timestamp;
  const advance = async (s: bigint) => {
    await clients.testClient.setNextBlockTimestamp({ timestamp: (await now()) + s });
    await clients.testClient.mine({ blocks: 1 });
  };
  const feed = async (decimals: number, answer: bigint) => {
    const { address } = await deploy(clients, owner!, MockV3Aggregator, [decimals, answer]);
    return getContract({ address, abi: MockV3Aggregator.abi, client: { public: clients.publicClient, wallet: owner! } });
  };
  const list = async (trigger: Address, params: Hex) => {
    const termsHash = keccak256(toHex(params));
    await send(clients, core.market.write.listProduct([{ trigger, params, termsHash, capAmount: 10_000_000n * USD, coverageLagSeconds: 60, vetoWindowSeconds: 0 }]));
    const [, products] = await core.market.read.counts();
    return { productId: products, termsHash };
  };

  for (const w of [buyer!, buyer2!, lp!]) {
    await send(clients, core.asset.write.mint([w.account!.address, 10_000_000n * USD]));
    const token = getContract({ address: core.asset.address, abi: core.asset.abi, client: { public: clients.publicClient, wallet: w } });
    await send(clients, token.write.approve([core.market.address, 2n ** 255n]));
    await send(clients, token.write.approve([core.pool.address, 2n ** 255n]));
  }
  const pool = getContract({ address: core.pool.address, abi: core.pool.abi, client: { public: clients.publicClient, wallet: lp! } });
  await send(clients, pool.write.deposit([5_000_000n * USD, lp!.account!.address]));

  let quoteId = 1n;
  const quote = async (productId: bigint, termsHash: Hex, amount = 1_000n * USD, buyerAddr: Address = zeroAddress): Promise<Quote> => {
    const t = await now();
    return { productId, amount, premium: amount / 100n, start: t, duration: 30n * 86_400n, buyer: buyerAddr, deadline: t + 600n, quoteId: quoteId++, termsHash, integrator: zeroAddress, integratorFeeBps: 0 };
  };
  const sign = (q: Quote) => signer!.signTypedData({ account: signer!.account!, ...quoteTypedData(q, chainId, core.market.address) });
  const market = (w: typeof owner) => getContract({ address: core.market.address, abi: core.market.abi, client: { public: clients.publicClient, wallet: w! } });
  const buy = async (w: typeof owner, productId: bigint, termsHash: Hex, beneficiary?: Address, amount?: bigint) => {
    const q = await quote(productId, termsHash, amount);
    const sig = await sign(q);
    const r = await send(clients, beneficiary ? market(w).write.buyCoverFor([q, sig, beneficiary]) : market(w).write.buyCover([q, sig]));
    return r.gasUsed;
  };

  // ── purchases ──
  const tvlFeed = await feed(8, 1_000_000n * E8);
  const tvl = await list(core.tvlDrop.address, encodeTvlDropParams({ feed: tvlFeed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 86_400 }));
  const firstBuy = await buy(buyer, tvl.productId, tvl.termsHash);
  const buyCover = await buy(buyer, tvl.productId, tvl.termsHash);
  const firstBuyFor = await buy(buyer2, tvl.productId, tvl.termsHash, privateKeyToAddress(keccak256(toHex("fresh-holder"))));
  const buyCoverFor = await buy(buyer2, tvl.productId, tvl.termsHash, buyer!.account!.address);

  // ── fire, per trigger kind ──
  await advance(7200n); // past the start: lag, rounded up to the term grid (1 h)
  await send(clients, tvlFeed.write.updateAnswer([1_000_000n * E8]));
  const r0 = await tvlFeed.read.latestRound();
  await advance(60n);
  await send(clients, tvlFeed.write.updateAnswer([500_000n * E8]));
  const fireTvl = (await send(clients, core.market.write.fire([tvl.productId, encodeTvlDropProof(1n, r0, r0 + 1n)]))).gasUsed;

  const { address: protocolAddress } = await deploy(clients, owner!, MockPausableProtocol, [owner!.account!.address]);
  const protocol = getContract({ address: protocolAddress, abi: MockPausableProtocol.abi, client: { public: clients.publicClient, wallet: owner! } });
  const paused = await list(core.paused.address, encodePausedParams({ target: protocolAddress, durationSeconds: 3600, maxGapSeconds: 3600 }));
  await buy(buyer, paused.productId, paused.termsHash);
  await advance(7200n); // past the start: lag, rounded up to the term grid (1 h)
  await send(clients, protocol.write.pause());
  const observe = (await send(clients, core.market.write.observe([paused.productId]))).gasUsed;
  await advance(1800n);
  await send(clients, core.market.write.observe([paused.productId])); // keeps the pause continuous (max gap 3,600 s)
  await advance(1800n);
  const firePaused = (await send(clients, core.market.write.fire([paused.productId, "0x"]))).gasUsed;

  const priceFeed = await feed(8, E8);
  const depeg = await list(core.depeg.address, encodeDepegParams({ feed: priceFeed.address, thresholdE18: 97n * 10n ** 16n, durationSeconds: 3600, maxAgeSeconds: 86_400 }));
  await buy(buyer, depeg.productId, depeg.termsHash);
  await advance(7200n); // past the start: lag, rounded up to the term grid (1 h)
  await send(clients, priceFeed.write.updateAnswer([95n * E8 / 100n]));
  const onset = await priceFeed.read.latestRound();
  await advance(1800n);
  await send(clients, priceFeed.write.updateAnswer([94n * E8 / 100n]));
  await advance(1800n);
  const fireDepeg = (await send(clients, core.market.write.fire([depeg.productId, encodeDepegProof(onset)]))).gasUsed;

  // ── a long, dense depeg: 1,440 rounds (24 h, one a minute) through a phased proxy feed ──
  // Everything needed to fire it: the advance segments, then fire (which walks what is left).
  const { address: longFeedAddress } = await deploy(clients, owner!, MockFeed, [8, E8]);
  const longFeed = getContract({ address: longFeedAddress, abi: MockFeed.abi, client: { public: clients.publicClient, wallet: owner! } });
  const longParams = encodeDepegParams({ feed: longFeedAddress, thresholdE18: 995n * 10n ** 15n, durationSeconds: 86_400, maxAgeSeconds: 86_400 });
  const longDepeg = await list(core.depeg.address, longParams);
  const longStart = (await clients.publicClient.getBlock()).timestamp + 60n;
  await advance(120n + 1440n * 60n);
  for (let s = 0; s < 1440; s += 720) {
    await send(clients, longFeed.write.postRounds([Array.from({ length: 720 }, () => 99n * E8 / 100n), Array.from({ length: 720 }, (_, i) => longStart + BigInt(s + i) * 60n)]));
  }
  const longProof = encodeDepegProof((1n << 64n) + 2n); // round 1 is the listing-time $1.00
  // One advance of 900 rounds leaves fire the rest (at most 1,000 rounds per check).
  const depegLongAdvance = (await send(clients, core.depeg.write.advance([longParams, longProof, 900n]))).gasUsed;
  const depegLongFire = (await send(clients, core.market.write.fire([longDepeg.productId, longProof]))).gasUsed;
  const depegLong = depegLongAdvance + depegLongFire;

  // ── settlement per policy, each to a fresh holder ──
  const settlePerPolicy: Record<string, number> = {};
  let settle100Amounts: bigint[] = [];
  for (const n of [1, 10, 100]) {
    const f = await feed(8, 1_000_000n * E8);
    const p = await list(core.tvlDrop.address, encodeTvlDropParams({ feed: f.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: 86_400 }));
    const ids: bigint[] = [];
    for (let i = 0; i < n; i++) {
      const holder = privateKeyToAddress(keccak256(toHex(`holder-${n}-${i}`)));
      ids.push(quoteId); // the next quote's id becomes the policy id
      await buy(buyer2, p.productId, p.termsHash, holder, BigInt(500 + i) * USD);
    }
    await advance(7200n); // past the start: lag, rounded up to the term grid (1 h)
    await send(clients, f.write.updateAnswer([1_000_000n * E8]));
    await advance(60n);
    await send(clients, f.write.updateAnswer([100_000n * E8]));
    await send(clients, core.market.write.fire([p.productId, encodeTvlDropProof(1n, 2n, 3n)]));
    const [, , incidents] = await core.market.read.counts();
    await send(clients, core.market.write.confirmIncident([incidents]));
    const receipt = await send(clients, core.market.write.settle([incidents, ids]));
    settlePerPolicy[String(n)] = Math.round(Number(receipt.gasUsed) / n);
    if (n === 100) settle100Amounts = ids.map((_, i) => BigInt(500 + i) * USD);
  }

  // ── the floor: a minimal batch ERC-20 transfer to the same number of fresh recipients ──
  const batch = await deploy(clients, owner!, BatchTransfer);
  await send(clients, core.asset.write.mint([batch.address, 1_000_000n * USD]));
  const batchC = getContract({ address: batch.address, abi: BatchTransfer.abi, client: { public: clients.publicClient, wallet: owner! } });
  const recipients = settle100Amounts.map((_, i) => privateKeyToAddress(keccak256(toHex(`floor-${i}`))));
  const floor = await send(clients, batchC.write.send([core.asset.address, recipients, settle100Amounts]));
  const erc20BatchPerRecipient = { "100": Math.round(Number(floor.gasUsed) / 100) };

  const result = {
    buyCover: Number(buyCover),
    buyCoverFor: Number(buyCoverFor),
    fire: { tvlDrop: Number(fireTvl), paused: Number(firePaused), depeg: Number(fireDepeg), depegLong: Number(depegLong) },
    settlePerPolicy,
    erc20BatchPerRecipient,
  };
  mkdirSync("bench-results", { recursive: true });
  writeFileSync("bench-results/gas.json", JSON.stringify(result, null, 2) + "\n");

  const ratio = settlePerPolicy["100"]! / erc20BatchPerRecipient["100"];
  const rows: [string, string, string][] = [
    ["buyCover (steady state)", String(result.buyCover), "target ≤ 150,000"],
    ["buyCover (first purchase of a product)", String(firstBuy), "new buckets and holder balance"],
    ["buyCoverFor (steady state)", String(result.buyCoverFor), ""],
    ["buyCoverFor (fresh holder)", String(firstBuyFor), ""],
    ["fire tvlDrop", String(result.fire.tvlDrop), ""],
    ["fire paused", String(result.fire.paused), `after observe: ${observe}`],
    ["fire depeg", String(result.fire.depeg), ""],
    ["fire depegLong (1,440 rounds)", String(result.fire.depegLong), `advance ${depegLongAdvance} + fire ${depegLongFire}; target ≤ 5,000,000`],
    ["settle per policy ×1", String(settlePerPolicy["1"]), ""],
    ["settle per policy ×10", String(settlePerPolicy["10"]), ""],
    ["settle per policy ×100", String(settlePerPolicy["100"]), `${ratio.toFixed(3)} × floor (target ≤ 1.3)`],
    ["ERC-20 batch floor ×100", String(erc20BatchPerRecipient["100"]), "per recipient"],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`${"measure".padEnd(w0)}  ${"gas".padStart(w1)}  note`);
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
  console.log("wrote bench-results/gas.json");
} finally {
  await anvil.stop();
}
