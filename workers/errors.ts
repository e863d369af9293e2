import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

/** Base of every problem `type`: one stable URI per error, documented in README and OpenAPI. */
export const PROBLEM_BASE = "https://tripwire.dev/problems/";

/**
 * The one error type routes and services throw. `onError` turns it into
 * application/problem+json (RFC 9457) with a stable `type`.
 */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  constructor(
    readonly status: ContentfulStatusCode,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export const notFound = (what: string) => new ProblemError(404, "not-found", "Not Found", `${what} does not exist.`);
export const unauthorized = (detail: string) => new ProblemError(401, "unauthorized", "Unauthorized", detail);
export const forbidden = (detail: string) => new ProblemError(403, "forbidden", "Forbidden", detail);

/** Zod issues as data: each with its path and code, so clients can point at the field. */
export function validationProblem(error: ZodError, where: string): ProblemError {
  return new ProblemError(400, "validation-failed", "Request validation failed", `The ${where} does not match the schema.`, {
    errors: error.issues.map((i) => ({ path: i.path.map(String).join("."), code: i.code, message: i.message })),
  });
}

export function problemResponse(c: Context, e: ProblemError) {
  const instance = new URL(c.req.url).pathname;
  const body = { type: PROBLEM_BASE + e.slug, title: e.title, status: e.status, detail: e.detail, instance, ...e.extra };
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (typeof e.extra.retryAfterSeconds === "number") headers["retry-after"] = String(e.extra.retryAfterSeconds);
  return c.body(JSON.stringify(body), e.status, headers);
}

/** Maps anything thrown to a problem; only genuinely unexpected errors become a 500. */
export function toProblem(err: unknown): ProblemError {
  if (err instanceof ProblemError) return err;
  if (err instanceof HTTPException) {
    // Hono raises these for malformed JSON bodies and similar request faults.
    const slug = err.status === 400 ? "malformed-request" : `http-${err.status}`;
    return new ProblemError(err.status as ContentfulStatusCode, slug, err.message || "Bad Request", err.message);
  }
  return new ProblemError(500, "internal", "Internal Server Error");
}
