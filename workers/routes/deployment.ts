import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { erc20Abi } from "viem";
import { chainClient, onChain } from "../chain/client";
import { deploymentOf } from "../chain/deployment";
import type { AppEnv } from "../env";
import { Address } from "../schemas/common";
import { PUBLIC, problemResponses } from "../schemas/common";
import { defaultHook } from "./hook";

/** Routes are chained (each call adds its route to the type) so `hc<AppType>` knows every one. */
const routes0 = new OpenAPIHono<AppEnv>({ defaultHook });

const Deployment = z
  .object({
    chainId: z.int(),
    market: Address,
    pool: Address,
    asset: z.object({ address: Address, symbol: z.string(), decimals: z.int() }),
    multicall: Address,
    browserRpcUrl: z.string().nullable().openapi({ description: "a public RPC for reads without a wallet (null: read through the wallet)" }),
  })
  .openapi("Deployment");

const get = createRoute({
  method: "get",
  path: "/v1/deployment",
  operationId: "getDeployment",
  security: PUBLIC,
  tags: ["pool"],
  summary: "The contracts this Worker serves (market, pool, the asset with its symbol and decimals) and the chain: what a wallet app needs",
  responses: { 200: { description: "the deployment", content: { "application/json": { schema: Deployment } } }, ...problemResponses(503) },
});

export const deploymentRoutes = routes0.openapi(get, async (c) => {
  const cfg = c.var.config;
  const dep = await deploymentOf(c.env.DB, cfg.chainId);
  const client = chainClient(cfg);
  const [symbol, decimals] = await onChain(() =>
    Promise.all([
      client.readContract({ address: dep.asset, abi: erc20Abi, functionName: "symbol" }),
      client.readContract({ address: dep.asset, abi: erc20Abi, functionName: "decimals" }),
    ]),
  );
  c.header("cache-control", "public, max-age=60");
  return c.json({ chainId: cfg.chainId, market: dep.market, pool: dep.pool, asset: { address: dep.asset, symbol, decimals }, multicall: dep.multicall, browserRpcUrl: cfg.browserRpcUrl }, 200);
});
