import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { identify } from "./auth";
import { ConfigError, config } from "./config";
import { meteredD1, type D1Stats } from "./d1Metrics";
import type { AppEnv } from "./env";
import { problem, problemResponse, toProblem } from "./errors";
import { rateLimit } from "./rateLimit";
import { mountDocs } from "./routes/docs";
import { apiKeyRoutes } from "./routes/apiKeys";
import { deploymentRoutes } from "./routes/deployment";
import { healthRoutes } from "./routes/health";
import { keeperRoutes } from "./routes/keeper";
import { defaultHook } from "./routes/hook";
import { policyRoutes } from "./routes/policies";
import { poolRoutes } from "./routes/pools";
import { productRoutes } from "./routes/products";
import { protocolRoutes } from "./routes/protocols";
import { quoteRoutes } from "./routes/quotes";
import { webhookRoutes } from "./routes/webhooks";

export const app = new OpenAPIHono<AppEnv>({ defaultHook });

/**
 * The configuration, parsed once per env: on /v1 a missing or malformed variable is a 503
 * `worker-misconfigured` naming it; /health reports it as a failed check, and /openapi.json and
 * /docs need none.
 */
app.use("*", async (c, next) => {
  try {
    c.set("config", config(c.env));
  } catch (err) {
    if (!(err instanceof ConfigError) || c.req.path.startsWith("/v1/")) throw err;
  }
  await next();
});

/** Every request's D1 cost, reported as `Server-Timing: d1;desc="queries=… writes=… rows=…"`. */
app.use("*", async (c, next) => {
  const stats: D1Stats = { queries: 0, writes: 0, rowsRead: 0 };
  if (c.env?.DB) c.env = { ...c.env, DB: meteredD1(c.env.DB, stats) };
  await next();
  c.res.headers.append("server-timing", `d1;desc="queries=${stats.queries} writes=${stats.writes} rows=${stats.rowsRead}"`);
});

/** CORS for browsers: only origins listed in CORS_ORIGINS (comma-separated) get access. */
app.use(
  "*",
  cors({
    origin: (origin, c) => ((c.get("config")?.corsOrigins ?? []).includes(origin) ? origin : null),
    allowHeaders: ["content-type", "authorization", "idempotency-key"],
    allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
    exposeHeaders: ["idempotent-replayed"],
    maxAge: 600,
  }),
);

app.use("/v1/*", rateLimit);
app.use("/v1/*", identify);

/** Bodies must be JSON: anything else is a 415 before a handler sees it. */
app.use("*", async (c, next) => {
  const method = c.req.method;
  if ((method === "POST" || method === "PUT" || method === "PATCH") && c.req.header("content-length") !== "0") {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/json\b/i.test(type)) {
      throw problem("unsupported-media-type", "Send the body as application/json.");
    }
  }
  await next();
});

const routes = app
  .route("/", healthRoutes)
  .route("/", protocolRoutes)
  .route("/", productRoutes)
  .route("/", quoteRoutes)
  .route("/", policyRoutes)
  .route("/", poolRoutes)
  .route("/", deploymentRoutes)
  .route("/", webhookRoutes)
  .route("/", keeperRoutes)
  .route("/", apiKeyRoutes);
/** The whole API's type, for the typed client (`client/`: `hc<AppType>`). */
export type AppType = typeof routes;
mountDocs(app);

app.notFound((c) =>
  problemResponse(c, problem("not-found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`)),
);

app.onError((err, c) => {
  const problem = toProblem(err);
  if (err instanceof ConfigError) console.error(err.message);
  else if (problem.status === 500) console.error("unhandled", err);
  return problemResponse(c, problem);
});
