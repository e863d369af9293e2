/*
 * Helpers shared by the query modules. Multi-row changes are single statements over a JSON array
 * (`json_each(?)`), so a tick's writes are a handful of statements in one `db.batch()` however
 * many products, policies or events it touches, and never hit D1's bound-parameter limit.
 */

/** Rows as one JSON array for `json_each(?)` (bigints as decimal strings). */
export const json = (rows: unknown) => JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? v.toString() : v));

/** A constant list of names as SQL: ('a', 'b'). Only for names from the code, never input. */
export const sqlList = (names: readonly string[]) => `(${names.map((n) => `'${n}'`).join(", ")})`;
