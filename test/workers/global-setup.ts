import type { TestProject } from "vitest/node";
import type { TestChain } from "./test-chain";
import { buildContracts } from "../../contracts/build";
import { startAnvil } from "../../scripts/lib/anvil";
import { startHookSink } from "./hook-sink";
import { startRpcProxy } from "./rpc-proxy";
import { localAccount, localClients, localKey } from "../../scripts/lib/clients";


/**
 * Runs in Node before the Workers-runtime suites: builds the contracts, starts anvil on a free
 * loopback port, deploys the platform with the sample catalog, and hands the RPC URL and
 * addresses to the Worker's bindings (see vitest.config.ts).
 */
export default async function setup(project: TestProject) {
  buildContracts({ quiet: true });
  const { deployCore, triggerContracts } = await import("../../scripts/lib/deploy");
  const { seedSampleProducts } = await import("../../scripts/lib/sample");
  // Wall-clock genesis: the Worker prices and signs with its own clock, as in production.
  const anvil = await startAnvil([], { fixedGenesis: false });
  const clients = localClients(anvil.rpcUrl);
  const owner = clients.wallet(localAccount(0));
  const core = await deployCore(clients, {
    owner,
    quoteSigner: localAccount(1).address,
    guardian: localAccount(2).address,
    pauser: owner.account!.address,
    leverageBps: 20_000,
    // As on `npm start`'s chain (wall-clock time, quotes signed on the Worker's clock): a one-minute
    // term grid, so cover starts within two minutes of purchase and tests need no long time jumps.
    termGridSeconds: 60,
  });
  const sample = await seedSampleProducts(clients, owner, core);
  // An LP deposit of 1,000,000 lUSD: at 2× leverage the pool can sell 2,000,000 of cover.
  const { send } = await import("../../scripts/lib/deploy");
  const { getContract } = await import("viem");
  const lp = clients.wallet(localAccount(3));
  const asLp = { public: clients.publicClient, wallet: lp };
  await send(clients, core.asset.write.mint([lp.account!.address, 1_000_000_000_000n]));
  await send(clients, getContract({ address: core.asset.address, abi: core.asset.abi, client: asLp }).write.approve([core.pool.address, 1_000_000_000_000n]));
  await send(clients, getContract({ address: core.pool.address, abi: core.pool.abi, client: asLp }).write.deposit([1_000_000_000_000n, lp.account!.address]));
  // The Worker reaches the chain through a fault-injecting proxy (pass-through unless a test says otherwise).
  const proxy = await startRpcProxy(anvil.rpcUrl);
  const sink = await startHookSink();
  const chain: TestChain = {
    rpcUrl: anvil.rpcUrl,
    proxyUrl: proxy.url,
    hookSinkUrl: sink.url,
    chainId: await clients.publicClient.getChainId(),
    contracts: {
      CoverMarket: core.market.address,
      CoverPool: core.pool.address,
      Stablecoin: core.asset.address,
      ...triggerContracts(core),
      TripwireKeeper: core.keeper.address,
      Multicall3: core.multicall.address,
    },
    products: sample.products.map((p) => ({ id: Number(p.productId), name: p.name, terms: p.terms })),
    keys: { owner: localKey(0), quoteSigner: localKey(1), buyer: localKey(4), beneficiary: localKey(5), relayer: localKey(7), keeper: localKey(8) },
  };
  (project.provide as (key: string, value: unknown) => void)("chain", chain);
  return async () => {
    await sink.stop();
    await proxy.stop();
    await anvil.stop();
  };
}
