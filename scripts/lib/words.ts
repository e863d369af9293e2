/**
 * Terms in words, both ways: durations ("90m", "1h30m", "7d"), percentages ("50%", "0.25%"),
 * prices ("0.98", "$0.98") and amounts ("1,000,000") parsed into integers without a float in
 * between, and integers written back as the words a product's terms use. Used by `npm run ops`,
 * the deploy configuration and the sample catalog.
 */

/** A word that does not parse, with what was expected. */
export class WordsError extends Error {
  override name = "WordsError";
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/**
 * "45s", "10m", "6h", "2d", "1w", or combinations ("1h30m"). A unit is required: a bare "24" could
 * be hours to whoever typed it and seconds to the chain, so it is an error, never a guess.
 */
export function parseDuration(text: string, what = "duration"): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) throw new WordsError(`${what}: "${text}" has no unit (write ${t}s, ${t}m, ${t}h or ${t}d)`);
  const parts = [...t.matchAll(/(\d+)([smhdw])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== t) {
    throw new WordsError(`${what}: "${text}" is not a duration (e.g. 45s, 10m, 6h, 2d, 1h30m)`);
  }
  const seconds = parts.reduce((s, p) => s + Number(p[1]) * UNIT_SECONDS[p[2]!]!, 0);
  if (!Number.isSafeInteger(seconds)) throw new WordsError(`${what}: "${text}" is too long`);
  return seconds;
}

/**
 * A non-negative decimal with at most `decimals` fractional digits, as an integer scaled by
 * 10^decimals. The decimal point is `.`; `,` (or `_`) only separates thousands, in groups of
 * exactly three digits ("1,000,000"), so a decimal comma ("0,05", "2,5") is an error, never read
 * as 5 or 25. More fractional digits than the unit has are an error, never rounded.
 */
export function parseDecimal(text: string, decimals: number, what = "number"): bigint {
  const raw = text.trim();
  const m = /^(\d{1,3}(?:([,_])\d{3}(?:\2\d{3})*)?|\d+)(?:\.(\d+))?$/.exec(raw);
  if (!m) {
    const hint = /^\d+,\d{1,2}$|,\d{4,}|,\d{1,2}(?!\d)/.test(raw) ? " (the decimal point is \".\"; \",\" only separates thousands: 1,000,000)" : "";
    throw new WordsError(`${what}: "${text}" is not a decimal number${hint}`);
  }
  m.splice(2, 1); // the separator
  m[1] = m[1]!.replace(/[,_]/g, "");
  const frac = m[2] ?? "";
  if (frac.length > decimals) throw new WordsError(`${what}: "${text}" has more than ${decimals} decimal places`);
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
}

/** "50%" or "0.25%" → basis points (5000, 25); the % sign is required, a fraction of a bp is an error. */
export function parsePercentBps(text: string, what = "percentage"): number {
  const t = text.trim();
  if (!t.endsWith("%")) throw new WordsError(`${what}: "${text}" is not a percentage (e.g. 50%, 0.25%)`);
  const bps = parseDecimal(t.slice(0, -1), 2, what);
  if (bps > 10_000n) throw new WordsError(`${what}: "${text}" is more than 100%`);
  return Number(bps);
}

/** "0.98" or "$0.98" → the price with 18 decimals. */
export function parsePriceE18(text: string, what = "price"): bigint {
  return parseDecimal(text.trim().replace(/^\$/, ""), 18, what);
}

/** An amount of the asset in whole units ("1,000,000", "2500.5") → base units. */
export function parseAmount(text: string, decimals: number, what = "amount"): bigint {
  return parseDecimal(text, decimals, what);
}

// ─── back into words ──────────────────────────────────────────────────────────────────────────

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

/** 86400 → "24 hours", 5400 → "1 hour 30 minutes", 604800 → "7 days", 45 → "45 seconds". */
export function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0 && seconds >= 2 * 86_400) return plural(seconds / 86_400, "day");
  const out: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [["hour", 3_600], ["minute", 60], ["second", 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) out.push(plural(n, unit));
  }
  return out.length ? out.join(" ") : "0 seconds";
}

/** The decimal string of `value / 10^decimals`, trailing zeros dropped ("0.97", "1000000"). */
export function formatDecimal(value: bigint, decimals: number, opts: { grouping?: boolean } = {}): string {
  const unit = 10n ** BigInt(decimals);
  const whole = (value / unit).toString();
  const frac = decimals > 0 ? (value % unit).toString().padStart(decimals, "0").replace(/0+$/, "") : "";
  const grouped = opts.grouping ? whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") : whole;
  return frac ? `${grouped}.${frac}` : grouped;
}

/** 5000 → "50%", 25 → "0.25%". */
export const formatPercent = (bps: number) => `${formatDecimal(BigInt(bps), 2)}%`;

/** 0.97e18 → "$0.97". */
export const formatPriceE18 = (e18: bigint) => `$${formatDecimal(e18, 18)}`;
