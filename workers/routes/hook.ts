import type { ZodError } from "zod";
import { validationProblem } from "../errors";

type ValidationResult = { target: string } & ({ success: true } | { success: false; error: ZodError });

/** Every route's validation failure becomes one problem+json shape (thrown to onError). */
export function defaultHook(result: ValidationResult): void {
  if (!result.success) throw validationProblem(result.error, result.target === "json" ? "request body" : `request ${result.target}`);
}
