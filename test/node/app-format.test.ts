import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AmountInputError, formatAmount, formatBps, formatDuration, formatRoundId, parseAmount, sharesToAssets } from "../../app/src/format";
import { parseRoute } from "../../app/src/route";

describe("the app's amounts, rates and times (app/src/format.ts)", () => {
  it("formats base units with the asset's decimals by integer arithmetic, rounding down", () => {
    expect(formatAmount(1_234_567_890n, 6)).toBe("1,234.56");
    expect(formatAmount("1234567890", 6, { maxFraction: 6, symbol: "lUSD" })).toBe("1,234.56789 lUSD");
    expect(formatAmount(10_000_000_000n, 6, { maxFraction: 0, symbol: "lUSD" })).toBe("10,000 lUSD");
    expect(formatAmount(1n, 18, { maxFraction: 18 })).toBe("0.000000000000000001");
    expect(formatAmount(2n ** 96n - 1n, 6)).toBe("79,228,162,514,264,337,593,543.95"); // the largest cover amount, exactly
    expect(formatAmount(-1_500_000n, 6)).toBe("−1.5");
  });

  it("parses typed amounts exactly or refuses them in words", () => {
    expect(parseAmount("10000", 6)).toBe(10_000_000_000n);
    expect(parseAmount("1,250.5", 6)).toBe(1_250_500_000n);
    expect(parseAmount(" 0.000001 ", 6)).toBe(1n);
    expect(parseAmount("12.", 6)).toBe(12_000_000n);
    for (const bad of ["", "-1", "1e6", "0x10", "1.2.3", "abc", "12.3456789"]) expect(() => parseAmount(bad, 6), bad).toThrow(AmountInputError);
    expect(() => parseAmount("12.3456789", 6)).toThrow("At most 6 digits after the point.");
  });

  it("parse and format are inverse for every amount at every decimals (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 128n }), fc.integer({ min: 0, max: 18 }), (units, decimals) => {
        expect(parseAmount(formatAmount(units, decimals, { maxFraction: decimals }), decimals)).toBe(units);
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it("rates, durations, round ids and share values", () => {
    expect(formatBps(1234)).toBe("12.34%");
    expect(formatBps(500)).toBe("5%");
    expect(formatBps(5)).toBe("0.05%");
    expect(formatDuration(93_784)).toBe("1 d 2 h 3 min");
    expect(formatDuration(45)).toBe("45 s");
    expect(formatDuration(0)).toBe("now");
    expect(formatRoundId(String((2n << 64n) + 42n))).toBe("phase 2, round 42");
    expect(formatRoundId("7")).toBe("round 7");
    expect(sharesToAssets(10n ** 12n, { assets: "1000001", perShares: "1000000000000" })).toBe(1_000_001n);
    expect(sharesToAssets(3n, { assets: "1000000", perShares: "1000000000000" })).toBe(0n); // rounds down
  });

  it("routes: every page by hash, anything else a not-found page", () => {
    expect(parseRoute("")).toEqual({ page: "products" });
    expect(parseRoute("#/products/12")).toEqual({ page: "product", id: 12 });
    expect(parseRoute("#/incidents/3")).toEqual({ page: "incident", id: 3 });
    expect(parseRoute("#/pool")).toEqual({ page: "pool" });
    expect(parseRoute("#/cover")).toEqual({ page: "cover" });
    for (const bad of ["#/products/0", "#/products/01", "#/products/x", "#/nope", "#/products/1/2"]) expect(parseRoute(bad).page, bad).toBe("not-found");
  });
});
