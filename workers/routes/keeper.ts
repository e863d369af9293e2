import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { listRuns } from "../../db/queries/keeperRuns";
import { requireScope } from "../auth";
import type { AppEnv } from "../env";
import { KEY_REQUIRED, problemResponses } from "../schemas/common";
import { defaultHook } from "./hook";

/** Routes are chained (each call adds its route to the type) so `hc<AppType>` knows every one. */
const routes0 = new OpenAPIHono<AppEnv>({ defaultHook });

const KeeperRun = z
  .object({
    scheduledAt: z.int().openapi({ description: "the cron's scheduled time (unix seconds): the run's lease key" }),
    status: z.enum(["running", "done", "failed"]),
    startedAt: z.int(),
    finishedAt: z.int().nullable(),
    leaseUntil: z.int(),
    summary: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: "what the run did: head, indexed range, products read, invalid readings, actions, settlement batches, webhooks, subrequests, D1 statements, duration" }),
  })
  .openapi("KeeperRun");

export const keeperRoutes = routes0.openapi(
  createRoute({
    method: "get",
    path: "/v1/admin/keeper/runs",
    operationId: "listKeeperRuns",
    security: KEY_REQUIRED,
    tags: ["admin"],
    summary: "Recent keeper runs, newest first (admin key)",
    middleware: [requireScope("admin")] as const,
    request: {
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(20),
        before: z.coerce.number().int().min(0).optional().openapi({ description: "only runs scheduled before this unix time (paging)" }),
      }),
    },
    responses: {
      200: { description: "runs", content: { "application/json": { schema: z.object({ runs: z.array(KeeperRun) }) } } },
      ...problemResponses(400, 401, 403),
    },
  }),
  async (c) => {
    const { limit, before } = c.req.valid("query");
    const rows = await listRuns(c.env.DB, limit, before);
    return c.json({
      runs: rows.map((r) => ({
        scheduledAt: r.scheduledAt, status: r.status, startedAt: r.startedAt, finishedAt: r.finishedAt, leaseUntil: r.leaseUntil,
        summary: r.summaryJson ? (JSON.parse(r.summaryJson) as Record<string, unknown>) : null,
      })),
    }, 200);
  },
);
