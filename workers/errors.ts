import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one error type routes throw. `onError` turns it into application/problem+json with a
 * stable `type` URI per error name, so clients can branch on it.
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

export const PROBLEM_BASE = "https://tripwire.dev/problems/";

export function problemBody(e: ProblemError, instance: string) {
  return { type: PROBLEM_BASE + e.slug, title: e.title, status: e.status, detail: e.detail, instance, ...e.extra };
}
