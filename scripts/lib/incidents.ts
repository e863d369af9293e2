import { readFileSync } from "node:fs";
import { IncidentFileError, parseIncidents, type Incident } from "../../workers/pricing/incidents";

export const DEFAULT_INCIDENTS = "data/incidents-2020-2023.csv";

/**
 * The incident file a script was asked for (`--incidents FILE`, default the shared set), parsed
 * strictly. An unreadable file exits 2, a malformed row exits 1 with its line; nothing is skipped.
 */
export function incidentsFromArgs(argv: string[]): { file: string; rows: Incident[] } {
  const at = argv.indexOf("--incidents");
  const file = at >= 0 ? argv[at + 1] : DEFAULT_INCIDENTS;
  if (!file) {
    console.error("--incidents needs a file");
    process.exit(2);
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    console.error(`${file}: ${(e as Error).message}`);
    process.exit(2);
  }
  try {
    return { file, rows: parseIncidents(text) };
  } catch (e) {
    if (e instanceof IncidentFileError) {
      console.error(`${file}: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}
