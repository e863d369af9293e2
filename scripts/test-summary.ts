/** Prints vitest's JSON report as one plain closing line: "N passed, N failed[, N skipped]". */
import { readFileSync } from "node:fs";

type Report = { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
const r = JSON.parse(readFileSync(process.argv[2] ?? "test-results/vitest.json", "utf8")) as Report;
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(r.numFailedTests > 0 ? 1 : 0);
