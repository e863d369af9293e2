import { z } from "@hono/zod-openapi";
import { PROBLEM_BASE, slugsWithStatus } from "../problems";

/** Whole non-negative integers as decimal strings: amounts in base units never travel as JSON numbers. */
export const DecimalString = (example: string, max = 30) =>
  z.string().regex(new RegExp(`^(0|[1-9][0-9]{0,${max - 1}})$`), "a non-negative integer as a decimal string").openapi({ example });

export const UnixSeconds = z.int().min(0).max(2 ** 40).openapi({ example: 1_767_225_600, description: "unix seconds" });

export const Address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "a 20-byte hex address")
  .openapi({ example: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" });

export const Problem = z
  .object({
    type: z.string().openapi({ example: "https://tripwire.dev/problems/validation-failed" }),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    instance: z.string(),
    errors: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

/** OpenAPI security per operation (the scheme `apiKey` is a Bearer key `tw_…`, registered in routes/docs.ts). */
type Security = { [scheme: string]: string[] }[];
/** Anyone: no key needed (a key that is sent must still be valid). */
export const PUBLIC: Security = [];
/** Anonymous, or with a key to attribute the call. */
export const KEY_OPTIONAL: Security = [{}, { apiKey: [] }];
/** An API key with the route's scope. */
export const KEY_REQUIRED: Security = [{ apiKey: [] }];

/** The problem+json responses a route can answer with; each names its problem types from the catalogue. */
export const problemResponses = (...statuses: (400 | 401 | 403 | 404 | 409 | 415 | 422 | 429 | 503)[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: `application/problem+json; \`type\` is ${PROBLEM_BASE}<slug>, one of: ${slugsWithStatus(s).map((slug) => `\`${slug}\``).join(", ")}`,
        content: { "application/problem+json": { schema: Problem } },
      },
    ]),
  );

/** The query of a time-windowed keyset list (readings, pool history): from `since`, after the cursor, at most 500. */
export const SincePageQuery = z
  .object({
    since: z.coerce.number().int().min(0).max(2 ** 40).default(0).openapi({ param: { name: "since", in: "query" }, type: "integer", description: "only entries at or after this unix time" }),
    after: z.coerce.number().int().min(0).max(2 ** 53 - 1).default(0).openapi({ param: { name: "after", in: "query" }, type: "integer", description: "the last id of the previous page" }),
    limit: z.coerce.number().int().min(1).max(500).default(200).openapi({ param: { name: "limit", in: "query" }, type: "integer" }),
  })
  .strict();
