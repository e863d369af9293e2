import { Hono } from "hono";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { AppEnv } from "./env";
import { ProblemError, problemBody } from "./errors";

export const app = new Hono<AppEnv>();

/** Liveness and readiness: the Worker answers and D1 takes a query. */
app.get("/health", async (c) => {
  const db = drizzle(c.env.DB);
  const started = Date.now();
  await db.run(sql`select 1`);
  return c.json({ status: "ok", chainId: Number(c.env.CHAIN_ID), checks: { d1: { status: "ok", latencyMs: Date.now() - started } } });
});

app.notFound((c) => {
  const e = new ProblemError(404, "not-found", "Not Found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`);
  return c.json(problemBody(e, new URL(c.req.url).pathname), 404, { "content-type": "application/problem+json" });
});

app.onError((err, c) => {
  const path = new URL(c.req.url).pathname;
  if (err instanceof ProblemError) {
    return c.json(problemBody(err, path), err.status, { "content-type": "application/problem+json" });
  }
  console.error("unhandled", err);
  const e = new ProblemError(500, "internal", "Internal Server Error");
  return c.json(problemBody(e, path), 500, { "content-type": "application/problem+json" });
});
