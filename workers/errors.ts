import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { ConfigError } from "./config";
import { PROBLEM_BASE, PROBLEMS, slugsWithStatus, type ProblemSlug } from "./problems";

export { PROBLEM_BASE } from "./problems";

/**
 * The one error type routes and services throw, always of a type in the catalogue
 * (workers/problems.ts: its status and title come from there). `onError` turns it into
 * application/problem+json (RFC 9457) with a stable `type`.
 */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  readonly status: ContentfulStatusCode;
  readonly title: string;
  constructor(
    readonly slug: ProblemSlug,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? PROBLEMS[slug].title);
    this.status = PROBLEMS[slug].status;
    this.title = PROBLEMS[slug].title;
  }
}

/** A problem of the catalogue's type `slug`, with what went wrong this time. */
export const problem = (slug: ProblemSlug, detail?: string, extra?: Record<string, unknown>) => new ProblemError(slug, detail, extra);

export const notFound = (what: string) => problem("not-found", `${what} does not exist.`);
export const unauthorized = (detail: string) => problem("unauthorized", detail);
export const forbidden = (detail: string) => problem("forbidden", detail);

/** Zod issues as data: each with its path and code, so clients can point at the field. */
export function validationProblem(error: ZodError, where: string): ProblemError {
  return problem("validation-failed", `The ${where} does not match the schema.`, {
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
  if (err instanceof ConfigError) {
    // The operator's fault, not the caller's: named variables, never their values.
    return problem("worker-misconfigured", err.message);
  }
  if (err instanceof HTTPException) {
    // Hono raises these for malformed JSON bodies and similar request faults: the catalogue's
    // type for that status (a 400 is malformed-request), else malformed-request.
    const slug = err.status === 400 ? "malformed-request" : (slugsWithStatus(err.status)[0] ?? "malformed-request");
    return problem(slug, err.message || undefined);
  }
  return problem("internal");
}
