/**
 * Formatting and parsing of amounts, rates and times for the app. Amounts are bigint base units
 * throughout: a decimal string from the API becomes a bigint and is shown with the asset's
 * decimals by integer arithmetic, never through a float.
 */

/** `1234567890` base units at 6 decimals → "1,234.56789" (trailing zeros trimmed, at most `maxFraction` digits, rounded down). */
export function formatAmount(units: bigint | string, decimals: number, opts: { maxFraction?: number; symbol?: string } = {}): string {
  const v = typeof units === "bigint" ? units : BigInt(units);
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const base = 10n ** BigInt(decimals);
  const whole = abs / base;
  const maxFraction = Math.min(opts.maxFraction ?? 2, decimals);
  let fraction = (abs % base).toString().padStart(decimals, "0").slice(0, maxFraction).replace(/0+$/, "");
  const grouped = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const text = `${negative ? "−" : ""}${grouped}${fraction ? `.${fraction}` : ""}`;
  return opts.symbol ? `${text} ${opts.symbol}` : text;
}

/** Why a typed amount cannot be used, in words. */
export class AmountInputError extends Error {
  override name = "AmountInputError";
}

/** "1,250.5" at 6 decimals → 1250500000n. Refuses signs, exponents, more fraction digits than the asset has, and empty input. */
export function parseAmount(text: string, decimals: number): bigint {
  const t = text.trim().replace(/,/g, "");
  if (t === "") throw new AmountInputError("Enter an amount.");
  const m = /^(\d+)(?:\.(\d*))?$/.exec(t);
  if (!m) throw new AmountInputError("Enter a number such as 10000 or 2500.50.");
  const frac = m[2] ?? "";
  if (frac.length > decimals) throw new AmountInputError(`At most ${decimals} digits after the point.`);
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
}

/** 1234 bps → "12.34%". */
export function formatBps(bps: number): string {
  const sign = bps < 0 ? "−" : "";
  const a = Math.abs(Math.trunc(bps));
  const whole = Math.floor(a / 100);
  const frac = (a % 100).toString().padStart(2, "0").replace(/0+$/, "");
  return `${sign}${whole}${frac ? `.${frac}` : ""}%`;
}

/** Unix seconds → "2026-12-03 10:20 UTC". */
export function formatTime(unix: number): string {
  return `${new Date(unix * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** 93784 seconds → "1 d 2 h 3 min"; 0 or less → "now". */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return "now";
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  const parts = [d ? `${d} d` : "", h ? `${h} h` : "", m ? `${m} min` : "", !d && !h && !m ? `${s} s` : ""].filter(Boolean);
  return parts.join(" ");
}

/** 0x1234…abcd */
export function shortHex(hex: string, keep = 4): string {
  return hex.length <= 2 + keep * 2 ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-keep)}`;
}

/** A Chainlink proxy round id (phase << 64 | aggregator round) in words: "phase 1, round 42". */
export function formatRoundId(id: string): string {
  const v = BigInt(id);
  const phase = v >> 64n;
  const round = v & ((1n << 64n) - 1n);
  return phase === 0n ? `round ${round}` : `phase ${phase}, round ${round}`;
}

/** The value of `shares` at the pool's share price (assets per `perShares` shares), rounded down. */
export function sharesToAssets(shares: bigint, price: { assets: string; perShares: string }): bigint {
  return (shares * BigInt(price.assets)) / BigInt(price.perShares);
}
