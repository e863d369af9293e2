import {
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  getContract,
  keccak256,
  parseEventLogs,
  toHex,
  zeroAddress,
  type Abi,
  type Address,
  type Hex,
} from "viem";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import * as AllOfTrigger from "../../../contracts/out/AllOfTrigger";
import * as CoverMarket from "../../../contracts/out/CoverMarket";
import * as CoverPool from "../../../contracts/out/CoverPool";
import * as CoveredVault from "../../../contracts/out/CoveredVault";
import * as DepegTrigger from "../../../contracts/out/DepegTrigger";
import * as FeedHistory from "../../../contracts/out/FeedHistory";
import * as MockFeed from "../../../contracts/out/MockFeed";
import * as IOracleErrors from "../../../contracts/out/IOracleErrors";
import * as MockPausableProtocol from "../../../contracts/out/MockPausableProtocol";
import * as MockStablecoin from "../../../contracts/out/MockStablecoin";
import * as MockV3Aggregator from "../../../contracts/out/MockV3Aggregator";
import * as OracleDeviationTrigger from "../../../contracts/out/OracleDeviationTrigger";
import * as PausedTrigger from "../../../contracts/out/PausedTrigger";
import * as SharePriceTrigger from "../../../contracts/out/SharePriceTrigger";
import * as TripwireKeeper from "../../../contracts/out/TripwireKeeper";
import * as TvlDropTrigger from "../../../contracts/out/TvlDropTrigger";
import { localAccount, localClients, type LocalClients, type Wallet } from "../../../scripts/lib/clients";
import { deploy, deployCore, send, type Core } from "../../../scripts/lib/deploy";
import { quoteTypedData, type Quote } from "../../../workers/chain/quote";
import { encodeTvlDropParams, encodeTvlDropProof } from "../../../workers/triggers/tvlDrop";
import { startAnvil, type Anvil } from "../../../scripts/lib/anvil";

export const DAY = 86_400n;

/** A wallet's (or account holder's) address. */
export const addr = (x: { account?: { address: Address } }) => x.account!.address;

/** Sends `releaseEndedCover` on `market` from `from` and returns what its event reports. */
export async function releaseEnded(w: World, market: Address, from: Wallet, productId: bigint, generation: bigint, maxSteps: bigint) {
  const m = getContract({ address: market, abi: CoverMarket.abi, client: { public: w.clients.publicClient, wallet: from } });
  const receipt = await w.send(m.write.releaseEndedCover([productId, generation, maxSteps]));
  const [e] = parseEventLogs({ abi: CoverMarket.abi, logs: receipt.logs, eventName: "EndedCoverReleased" });
  return { released: e!.args.released, done: e!.args.done, gasUsed: receipt.gasUsed };
}
export const USD = 1_000_000n; // 6-decimal stablecoin
const E8 = 10n ** 8n;

/** Every custom error any contract can raise, for decoding reverts that bubble through calls. */
const errorAbi = [
  ...CoverMarket.abi,
  ...CoverPool.abi,
  ...IOracleErrors.abi,
  ...FeedHistory.abi,
  ...TvlDropTrigger.abi,
  ...DepegTrigger.abi,
  ...PausedTrigger.abi,
  ...SharePriceTrigger.abi,
  ...OracleDeviationTrigger.abi,
  ...AllOfTrigger.abi,
  ...TripwireKeeper.abi,
  ...MockStablecoin.abi,
  ...CoveredVault.abi,
].filter((x) => x.type === "error") as Abi;

/** The name of the custom error a failed call or transaction reverted with. */
export function revertName(err: unknown): string | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    if (reverted.data?.errorName) return reverted.data.errorName;
    const raw = reverted.raw;
    if (raw) {
      try {
        return decodeErrorResult({ abi: errorAbi, data: raw }).errorName;
      } catch {
        return `unknown(${raw.slice(0, 10)})`;
      }
    }
  }
  const withData = err.walk((e) => typeof (e as { data?: unknown }).data === "string") as { data?: Hex } | null;
  if (withData?.data) {
    try {
      return decodeErrorResult({ abi: errorAbi, data: withData.data }).errorName;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export async function expectRevert(p: Promise<unknown>, name: string, args?: readonly unknown[]) {
  try {
    await p;
  } catch (err) {
    expect(revertName(err), String((err as Error).message).slice(0, 400)).toBe(name);
    if (args) {
      const reverted = (err as BaseError).walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
      const raw = reverted?.raw;
      if (raw) expect(decodeErrorResult({ abi: errorAbi, data: raw }).args).toEqual(args);
    }
    return;
  }
  throw new Error(`expected revert ${name}, but the call succeeded`);
}

export type Accounts = ReturnType<typeof accounts>;

function accounts(clients: LocalClients) {
  const w = (i: number) => clients.wallet(localAccount(i));
  return {
    owner: w(0),
    signer: w(1),
    guardian: w(2),
    lp: w(3),
    alice: w(4),
    bob: w(5),
    attacker: w(6),
    keeper: w(7),
    lp2: w(8),
    carol: w(9),
  };
}

export type World = Awaited<ReturnType<typeof createWorld>>;

/** Starts anvil and deploys the core contracts plus local mocks. One per test file. */
export async function createWorld(opts: { leverageBps?: number; cooldownSeconds?: number; assetDecimals?: number } = {}) {
  const anvil: Anvil = await startAnvil();
  const clients = localClients(anvil.rpcUrl);
  const acc = accounts(clients);
  const core: Core = await deployCore(clients, {
    owner: acc.owner,
    quoteSigner: acc.signer.account!.address,
    guardian: acc.guardian.account!.address,
    pauser: acc.owner.account!.address,
    leverageBps: opts.leverageBps,
    cooldownSeconds: opts.cooldownSeconds,
    assetDecimals: opts.assetDecimals,
  });
  const chainId = await clients.publicClient.getChainId();
  // Every block one second after the last, whatever the wall clock does: chain time in tests
  // moves only by blocks and explicit time travel, so runs are reproducible.
  await clients.testClient.setBlockTimestampInterval({ interval: 1 });
  let nextQuoteId = 1n;

  /** The same contract with another account as sender. */
  const as = <A extends Abi>(c: { address: Address; abi: A }, wallet: Wallet) =>
    getContract({ address: c.address, abi: c.abi, client: { public: clients.publicClient, wallet } });
  const fund = async (wallet: Wallet, amount: bigint): Promise<void> => {
    await send(clients, core.asset.write.mint([wallet.account!.address, amount]));
    await send(clients, as(core.asset, wallet).write.approve([core.market.address, 2n ** 255n]));
    await send(clients, as(core.asset, wallet).write.approve([core.pool.address, 2n ** 255n]));
  };
  const now = async (): Promise<bigint> => (await clients.publicClient.getBlock()).timestamp;
  const sign = async (q: Quote, signer: Wallet = acc.signer, chain = chainId, market: Address = core.market.address): Promise<Hex> =>
    signer.signTypedData({ account: signer.account!, ...quoteTypedData(q, chain, market) });

  const world = {
    anvil,
    clients,
    acc,
    core,
    chainId,
    now,
    /** Moves chain time forward and mines a block. */
    async advance(seconds: bigint | number) {
      // increaseTime is ignored under a fixed block interval; set the next block's time instead.
      await clients.testClient.setNextBlockTimestamp({ timestamp: (await now()) + BigInt(seconds) });
      await clients.testClient.mine({ blocks: 1 });
    },
    async snapshot(): Promise<Hex> {
      return clients.testClient.snapshot();
    },
    async revert(id: Hex) {
      await clients.testClient.revert({ id });
    },
    as,
    async send(write: Promise<Hex>) {
      return send(clients, write);
    },
    async newFeed(decimals: number, answer: bigint) {
      const { address } = await deploy(clients, acc.owner, MockV3Aggregator, [decimals, answer]);
      return getContract({ address, abi: MockV3Aggregator.abi, client: { public: clients.publicClient, wallet: acc.owner } });
    },
    /** A Chainlink-proxy-shaped feed with phases and one storage slot per round (MockFeed). */
    async newProxyFeed(decimals: number, answer: bigint) {
      const { address } = await deploy(clients, acc.owner, MockFeed, [decimals, answer]);
      return getContract({ address, abi: MockFeed.abi, client: { public: clients.publicClient, wallet: acc.owner } });
    },
    async newPausable() {
      const { address } = await deploy(clients, acc.owner, MockPausableProtocol, [acc.owner.account!.address]);
      return getContract({ address, abi: MockPausableProtocol.abi, client: { public: clients.publicClient, wallet: acc.owner } });
    },
    fund,
    async deposit(wallet: Wallet, amount: bigint) {
      await fund(wallet, amount);
      await send(clients, as(core.pool, wallet).write.deposit([amount, wallet.account!.address]));
    },
    async listProduct(trigger: Address, params: Hex, o: { cap?: bigint; lag?: number; veto?: number; terms?: string } = {}) {
      const termsHash = keccak256(toHex(o.terms ?? `terms:${params}`));
      const [, before] = await core.market.read.counts();
      await send(
        clients,
        core.market.write.listProduct([
          { trigger, params, termsHash, capAmount: o.cap ?? 1_000_000n * USD, coverageLagSeconds: o.lag ?? 3600, vetoWindowSeconds: o.veto ?? 0 },
        ]),
      );
      return { productId: before + 1n, termsHash };
    },
    async quote(productId: bigint, overrides: Partial<Quote> = {}): Promise<Quote> {
      const p = await core.market.read.product([productId]);
      const t = await now();
      return {
        productId,
        amount: 10_000n * USD,
        premium: 100n * USD,
        start: t,
        duration: 30n * DAY,
        buyer: zeroAddress,
        deadline: t + 600n,
        quoteId: nextQuoteId++,
        termsHash: p.termsHash,
        integrator: zeroAddress,
        integratorFeeBps: 0,
        ...overrides,
      };
    },
    sign,
    /** Buys cover as `wallet` (funding it first) and returns the new policy id. */
    async buy(wallet: Wallet, q: Quote, beneficiary?: Address): Promise<bigint> {
      await fund(wallet, q.premium);
      const sig = await sign(q);
      const m = as(core.market, wallet);
      await send(clients, beneficiary ? m.write.buyCoverFor([q, sig, beneficiary]) : m.write.buyCover([q, sig]));
      return q.quoteId; // the policy takes the quote's id
    },
    /** A TVL-drop product (a 30% fall within a day) on a fresh 8-decimal feed at 100. */
    async tvlProduct(o: { veto?: number; cap?: bigint; maxAgeSeconds?: number } = {}) {
      const feed = await world.newFeed(8, 100n * E8);
      const params = encodeTvlDropParams({ feed: feed.address, dropBps: 3000, windowSeconds: 86_400, maxAgeSeconds: o.maxAgeSeconds ?? 400 * 86_400 });
      const { productId } = await world.listProduct(core.tvlDrop.address, params, { veto: o.veto, cap: o.cap ?? 10_000_000n * USD });
      return { feed, productId };
    },
    /**
     * Moves a feed 100 → 40 as rounds (n, n+1): the proof of that fall, and its incident time
     * (the fall's first reading, the crash round: TvlDropTrigger's NatSpec).
     */
    async crash(feed: { address: Address; read: { latestRound(): Promise<bigint> }; write: { updateAnswer(args: [bigint]): Promise<Hex> } }) {
      await world.advance(60);
      await send(clients, feed.write.updateAnswer([100n * E8]));
      const from = await feed.read.latestRound();
      await world.advance(600);
      await send(clients, feed.write.updateAnswer([40n * E8]));
      return { proof: encodeTvlDropProof(1n, from, from + 1n), incidentTime: await now() };
    },
    /** Fires the product's incident with `proof`, confirms it (no veto window) and returns its id. */
    async fireAndConfirm(productId: bigint, proof: Hex): Promise<bigint> {
      await send(clients, core.market.write.fire([productId, proof]));
      const [, , incidents] = await core.market.read.counts();
      await send(clients, core.market.write.confirmIncident([incidents]));
      return incidents;
    },
    async balance(a: Address) {
      return core.asset.read.balanceOf([a]);
    },
  };
  return world;
}

/**
 * One chain per test file and a snapshot per test: registers the vitest hooks. `setup` receives
 * the world once it is deployed (list products, fund the pool); every test then starts from the
 * state `setup` left.
 */
export function useWorld(setup: (w: World) => Promise<void> | void, opts: Parameters<typeof createWorld>[0] = {}) {
  let world: World | undefined;
  let snap: Hex;
  beforeAll(async () => {
    world = await createWorld(opts);
    await setup(world);
  });
  afterAll(async () => world?.anvil.stop());
  beforeEach(async () => {
    snap = await world!.snapshot();
  });
  afterEach(async () => {
    await world!.revert(snap);
  });
}
