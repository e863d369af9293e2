/*
 * Helpers shared by the query modules. Multi-row changes are single statements over a JSON array
 * (`json_each(?)`), so a tick's writes are a handful of statements in one `db.batch()` however
 * many products, policies or events it touches, and never hit D1's bound-parameter limit.
 */

/** Rows as one JSON array for `json_each(?)` (bigints as decimal strings). */
export const json = (rows: unknown) => JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? v.toString() : v));

/** Largest JSON parameter one statement binds (D1 refuses strings over 2,000,000 bytes: SQLITE_TOOBIG). */
export const JSON_CHUNK_BYTES = 500_000;

/**
 * Rows as JSON arrays of at most `maxBytes` each (a row is never split), so one statement per
 * chunk stays inside D1's string limit however many rows a run writes (10,000 readings in one
 * parameter were refused).
 */
export function jsonChunks(rows: readonly unknown[], maxBytes = JSON_CHUNK_BYTES): string[] {
  const out: string[] = [];
  let part: string[] = [];
  let size = 2;
  for (const row of rows) {
    const one = json(row);
    if (part.length > 0 && size + one.length + 1 > maxBytes) {
      out.push(`[${part.join(",")}]`);
      part = [];
      size = 2;
    }
    part.push(one);
    size += one.length + 1;
  }
  if (part.length > 0) out.push(`[${part.join(",")}]`);
  return out;
}

/** A constant list of names as SQL: ('a', 'b'). Only for names from the code, never input. */
export const sqlList = (names: readonly string[]) => `(${names.map((n) => `'${n}'`).join(", ")})`;
