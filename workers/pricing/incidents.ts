/**
 * The incident file (data/incidents-2020-2023.csv and any file with the same columns): parsed
 * strictly. Every row is checked field by field; a malformed row is an `IncidentFileError` naming
 * its line (1 is the header), never a skipped row. Amounts are whole US dollars as bigint, prices
 * 18-decimal bigint, durations whole seconds: no floats. Used by the premium model's calibration
 * (scripts/calibrate.ts) and by the back-test.
 */

export const INCIDENT_COLUMNS = [
  "date", "protocol", "category", "chain", "kind", "loss_usd", "tvl_before_usd", "tvl_after_usd", "paused",
  "duration_hours", "audited", "source", "min_price", "duration_level", "notes",
] as const;

export const INCIDENT_CATEGORIES = ["lending", "dex", "bridge", "stablecoin", "staking", "yield", "derivatives", "other"] as const;
export const INCIDENT_KINDS = ["exploit", "depeg", "pause", "oracle-manipulation", "governance-attack", "rug"] as const;

export type IncidentCategory = (typeof INCIDENT_CATEGORIES)[number];
export type IncidentKind = (typeof INCIDENT_KINDS)[number];
export type YesNo = "yes" | "no" | "unknown";

export type Incident = {
  /** 2..n: the file line the row is on. */
  line: number;
  /** UTC day of onset, `YYYY-MM-DD`, and its unix time at 00:00 UTC. */
  date: string;
  day: number;
  protocol: string;
  category: IncidentCategory;
  chain: string;
  kind: IncidentKind;
  lossUsd: bigint | null;
  tvlBeforeUsd: bigint | null;
  tvlAfterUsd: bigint | null;
  paused: YesNo;
  /** What `duration_hours` measured, in whole seconds (rounded to the nearest). */
  durationSeconds: number | null;
  audited: YesNo;
  source: string;
  /** The depeg's low in USD, 18 decimals. */
  minPriceE18: bigint | null;
  durationLevel: string;
  notes: string;
};

export class IncidentFileError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = "IncidentFileError";
  }
}

/** RFC 4180 records: fields split on commas, double-quoted fields may hold commas, quotes ("") and newlines. */
function records(text: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let line = 1;
  let start = 1;
  let field = "";
  let fields: string[] = [];
  let quoted = false;
  let wasQuoted = false;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === "" && !wasQuoted)) out.push({ line: start, fields });
    fields = [];
    field = "";
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      if (field !== "") throw new IncidentFileError(line, "a quote inside an unquoted field");
      quoted = true;
      wasQuoted = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      wasQuoted = false;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      start = line;
    } else {
      if (wasQuoted) throw new IncidentFileError(line, "text after a closing quote");
      field += c;
    }
  }
  if (quoted) throw new IncidentFileError(start, "a quoted field is never closed");
  if (field !== "" || fields.length > 0 || wasQuoted) endRecord();
  return out;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WHOLE = /^\d+$/;
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** A non-negative decimal string as an integer scaled by 10^decimals, exactly (more digits are refused). */
function scaled(value: string, decimals: number): bigint | null {
  const m = DECIMAL.exec(value);
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > decimals) return null;
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt((frac + "0".repeat(decimals)).slice(0, decimals) || "0");
}

/** Parses an incident file; throws IncidentFileError (with the line) on the first malformed row. */
export function parseIncidents(text: string): Incident[] {
  const recs = records(text.startsWith("\uFEFF") ? text.slice(1) : text);
  if (recs.length === 0) throw new IncidentFileError(1, "the file is empty: expected a header row");
  const header = recs[0]!.fields.map((f) => f.trim());
  const missing = INCIDENT_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new IncidentFileError(recs[0]!.line, `the header lacks column(s) ${missing.join(", ")}`);
  const unknown = header.filter((h) => !(INCIDENT_COLUMNS as readonly string[]).includes(h));
  if (unknown.length > 0) throw new IncidentFileError(recs[0]!.line, `unknown column(s) ${unknown.join(", ")}`);
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup) throw new IncidentFileError(recs[0]!.line, `column ${dup} appears twice`);
  const col = Object.fromEntries(header.map((h, i) => [h, i])) as Record<(typeof INCIDENT_COLUMNS)[number], number>;

  return recs.slice(1).map(({ line, fields }) => {
    if (fields.length !== header.length) throw new IncidentFileError(line, `${fields.length} fields, the header has ${header.length}`);
    const get = (c: (typeof INCIDENT_COLUMNS)[number]) => fields[col[c]]!.trim();
    const fail = (c: string, why: string): never => {
      throw new IncidentFileError(line, `${c}: ${why}`);
    };
    const date = get("date");
    const dm = DATE.exec(date);
    const day = dm ? Date.UTC(Number(dm[1]), Number(dm[2]) - 1, Number(dm[3])) / 1000 : NaN;
    if (!dm || new Date(day * 1000).toISOString().slice(0, 10) !== date) fail("date", `"${date}" is not a calendar day YYYY-MM-DD`);
    const oneOf = <T extends string>(c: (typeof INCIDENT_COLUMNS)[number], allowed: readonly T[]): T => {
      const v = get(c);
      if (!(allowed as readonly string[]).includes(v)) fail(c, `"${v}" is not one of ${allowed.join(", ")}`);
      return v as T;
    };
    const usd = (c: (typeof INCIDENT_COLUMNS)[number]): bigint | null => {
      const v = get(c);
      if (v === "") return null;
      if (!WHOLE.test(v)) fail(c, `"${v}" is not a whole number of US dollars`);
      return BigInt(v);
    };
    const protocol = get("protocol");
    if (protocol === "") fail("protocol", "empty");
    const kind = oneOf("kind", INCIDENT_KINDS);
    const hours = get("duration_hours");
    let durationSeconds: number | null = null;
    if (hours !== "") {
      const milli = scaled(hours, 3);
      if (milli === null) fail("duration_hours", `"${hours}" is not a non-negative number of hours (at most 3 decimals)`);
      durationSeconds = Number((milli! * 3600n + 500n) / 1000n);
    }
    const price = get("min_price");
    let minPriceE18: bigint | null = null;
    if (price !== "") {
      minPriceE18 = scaled(price, 18);
      if (minPriceE18 === null) fail("min_price", `"${price}" is not a non-negative price in USD`);
    }
    const tvlBeforeUsd = usd("tvl_before_usd");
    const tvlAfterUsd = usd("tvl_after_usd");
    return {
      line,
      date,
      day,
      protocol,
      category: oneOf("category", INCIDENT_CATEGORIES),
      chain: get("chain"),
      kind,
      lossUsd: usd("loss_usd"),
      tvlBeforeUsd,
      tvlAfterUsd,
      paused: oneOf("paused", ["yes", "no", "unknown"] as const),
      durationSeconds,
      audited: oneOf("audited", ["yes", "no", "unknown"] as const),
      source: get("source"),
      minPriceE18,
      durationLevel: get("duration_level"),
      notes: get("notes"),
    };
  });
}
