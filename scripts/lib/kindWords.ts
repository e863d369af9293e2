import { parseArgs } from "node:util";
import { getAddress, isAddress, zeroAddress, type Address, type Hex } from "viem";
import { encodeAllOfParams } from "../../workers/triggers/allOf";
import { encodeDepegParams, type DepegParams } from "../../workers/triggers/depeg";
import type { TriggerKind } from "../../workers/triggers/index";
import { encodeOracleDeviationParams, type OracleDeviationParams } from "../../workers/triggers/oracleDeviation";
import { encodePausedParams, type PausedParams } from "../../workers/triggers/paused";
import { encodeSharePriceParams, type SharePriceParams } from "../../workers/triggers/sharePrice";
import { encodeTvlDropParams, type TvlDropParams } from "../../workers/triggers/tvlDrop";
import { formatDuration, formatPercent, formatPriceE18, parseDuration, parsePercentBps, parsePriceE18, WordsError } from "./words";

/**
 * Each trigger kind's parameters in words, for operators: the command-line flags `npm run ops --
 * list-product` takes for it (`--kind depeg --feed 0x… --below 0.98 --for 1h`), and the sentence
 * its parameters make in a product's terms. One entry per kind of workers/triggers/index.ts (the
 * mapped type makes a kind without one a type error); the terms text of every product listed
 * through `npm run ops` or `npm start` is written here, so its hash on-chain and its text in the
 * API are of the same words.
 */

/** A product's trigger as words give it: the kind with its typed parameters. */
export type TriggerTerms =
  | { kind: "tvl_drop"; params: TvlDropParams & { units?: string } }
  | { kind: "depeg"; params: DepegParams }
  | { kind: "paused"; params: PausedParams }
  | { kind: "share_price"; params: SharePriceParams }
  | { kind: "oracle_deviation"; params: OracleDeviationParams }
  | { kind: "all_of"; params: { legs: Exclude<TriggerTerms, { kind: "all_of" }>[]; maxSpreadSeconds: number } };

type Flags = Record<string, string | string[] | boolean | undefined>;
type KindWords<T extends TriggerTerms> = {
  /** The flags of the kind (node:util parseArgs options) and a line of usage. */
  options: Record<string, { type: "string"; multiple?: boolean }>;
  usage: string;
  fromFlags(f: Flags): T["params"];
  encode(p: T["params"], triggerOf: (kind: TriggerKind) => Address): { triggers: Address[]; params: Hex };
  /** What has to happen, in words ("the price reported by feed 0x… stays below $0.97 for 24 hours or more"). */
  condition(p: T["params"]): string;
};
type WordsTable = { [K in TriggerKind]: KindWords<Extract<TriggerTerms, { kind: K }>> };

const str = (f: Flags, name: string): string | undefined => (typeof f[name] === "string" ? (f[name] as string) : undefined);
const required = (f: Flags, name: string): string => {
  const v = str(f, name);
  if (v === undefined) throw new WordsError(`--${name} is required`);
  return v;
};
const address = (f: Flags, name: string): Address => {
  const v = required(f, name);
  if (!isAddress(v, { strict: false }) || getAddress(v) === zeroAddress) throw new WordsError(`--${name}: "${v}" is not a contract address`);
  return getAddress(v);
};
const optionalAddress = (f: Flags, name: string): Address | undefined => (str(f, name) === undefined ? undefined : address(f, name));
const duration = (f: Flags, name: string, fallback?: string) => parseDuration(str(f, name) ?? fallback ?? required(f, name), `--${name}`);
const sequencer = (f: Flags) => {
  const feed = optionalAddress(f, "sequencer-feed");
  return feed ? { sequencerFeed: feed, sequencerGraceSeconds: duration(f, "sequencer-grace", "1h") } : {};
};
const sequencerWords = (p: { sequencerFeed?: Address; sequencerGraceSeconds?: number }) =>
  p.sequencerFeed && p.sequencerFeed !== zeroAddress
    ? `; no reading counts while the L2 sequencer feed ${p.sequencerFeed} reports the sequencer down, or within ${formatDuration(p.sequencerGraceSeconds ?? 0)} of it coming back up`
    : "";
/**
 * What the TVL is measured in. A feed in the protocol's own asset (ETH for an ETH staking pool,
 * the market's tokens for a lending market) does not fall when that asset's price does: a market
 * crash is not a drop, an exploit that takes the tokens is. A USD feed falls with prices.
 */
const tvlUnits = (units: string | undefined) =>
  units === undefined || units.toUpperCase() === "USD" ? " in US dollars (a fall in the price of the assets it holds counts)" : ` in ${units}, the protocol's own asset (a move in that asset's price is not a fall)`;

const sequencerOptions = { "sequencer-feed": { type: "string" }, "sequencer-grace": { type: "string" } } as const;

export const kindWords: WordsTable = {
  tvl_drop: {
    options: { feed: { type: "string" }, drop: { type: "string" }, within: { type: "string" }, "max-age": { type: "string" }, units: { type: "string" }, ...sequencerOptions },
    usage: "--feed 0x… --drop 50% --within 24h [--units ETH] [--max-age 48h] [--sequencer-feed 0x… --sequencer-grace 1h]",
    fromFlags: (f) => {
      const windowSeconds = duration(f, "within");
      const units = str(f, "units");
      if (units !== undefined && !/^[A-Za-z][A-Za-z0-9.\-]{0,15}$/.test(units)) throw new WordsError(`--units: "${units}" is not an asset symbol (e.g. ETH, stETH, USDC)`);
      return {
        feed: address(f, "feed"), dropBps: parsePercentBps(required(f, "drop"), "--drop"), windowSeconds,
        maxAgeSeconds: str(f, "max-age") ? duration(f, "max-age") : 2 * windowSeconds, ...sequencer(f), ...(units ? { units } : {}),
      };
    },
    // The units are words of the terms, not a parameter of the contract: the feed is what measures in them.
    encode: ({ units: _units, ...p }, triggerOf) => ({ triggers: [triggerOf("tvl_drop")], params: encodeTvlDropParams(p) }),
    condition: (p) =>
      `the TVL reported by feed ${p.feed}${tvlUnits(p.units)} falls by ${formatPercent(p.dropBps)} or more within ${formatDuration(p.windowSeconds)} (a reading older than ${formatDuration(p.maxAgeSeconds)} does not count${sequencerWords(p)})`,
  },
  depeg: {
    options: { feed: { type: "string" }, below: { type: "string" }, for: { type: "string" }, "max-age": { type: "string" }, ...sequencerOptions },
    usage: "--feed 0x… --below 0.98 --for 1h [--max-age 2d] [--sequencer-feed 0x… --sequencer-grace 1h]",
    fromFlags: (f) => ({
      feed: address(f, "feed"),
      thresholdE18: parsePriceE18(required(f, "below"), "--below"),
      durationSeconds: duration(f, "for"),
      maxAgeSeconds: duration(f, "max-age", "2d"),
      ...sequencer(f),
    }),
    encode: (p, triggerOf) => ({ triggers: [triggerOf("depeg")], params: encodeDepegParams(p) }),
    condition: (p) =>
      `the price reported by feed ${p.feed} stays below ${formatPriceE18(p.thresholdE18)} for ${formatDuration(p.durationSeconds)} or more, every round in between below it (a reading older than ${formatDuration(p.maxAgeSeconds)} does not count${sequencerWords(p)})`,
  },
  paused: {
    options: { target: { type: "string" }, for: { type: "string" }, gap: { type: "string" } },
    usage: "--target 0x… --for 6h [--gap 10m]",
    fromFlags: (f) => ({ target: address(f, "target"), durationSeconds: duration(f, "for"), maxGapSeconds: duration(f, "gap", "10m") }),
    encode: (p, triggerOf) => ({ triggers: [triggerOf("paused")], params: encodePausedParams(p) }),
    condition: (p) =>
      `the contract ${p.target} stays paused for ${formatDuration(p.durationSeconds)} or more: seen paused at every observation, with observations at most ${formatDuration(p.maxGapSeconds)} apart`,
  },
  share_price: {
    options: { vault: { type: "string" }, drop: { type: "string" }, for: { type: "string" }, gap: { type: "string" }, "max-growth": { type: "string" } },
    usage: "--vault 0x… --drop 10% --for 1h [--gap 10m] [--max-growth 50%]",
    fromFlags: (f) => ({
      vault: address(f, "vault"),
      dropBps: parsePercentBps(required(f, "drop"), "--drop"),
      durationSeconds: duration(f, "for"),
      maxGapSeconds: duration(f, "gap", "10m"),
      maxGrowthBpsPerYear: parsePercentBps(str(f, "max-growth") ?? "50%", "--max-growth"),
    }),
    encode: (p, triggerOf) => ({ triggers: [triggerOf("share_price")], params: encodeSharePriceParams(p) }),
    condition: (p) =>
      `the share price of vault ${p.vault} (its convertToAssets of one share) stays ${formatPercent(p.dropBps)} or more below its high-water mark for ${formatDuration(p.durationSeconds)} or more: seen below at every observation, with observations at most ${formatDuration(p.maxGapSeconds)} apart (the high-water mark is the share price at listing, raised by later observations by at most ${formatPercent(p.maxGrowthBpsPerYear)} a year)`,
  },
  oracle_deviation: {
    options: { feed: { type: "string" }, reference: { type: "string" }, deviation: { type: "string" }, for: { type: "string" }, gap: { type: "string" }, "max-age": { type: "string" }, ...sequencerOptions },
    usage: "--feed 0x… --reference 0x… --deviation 10% --for 30m [--gap 10m] [--max-age 2h] [--sequencer-feed 0x… --sequencer-grace 1h]",
    fromFlags: (f) => ({
      feed: address(f, "feed"),
      referenceFeed: address(f, "reference"),
      deviationBps: parsePercentBps(required(f, "deviation"), "--deviation"),
      durationSeconds: duration(f, "for"),
      maxGapSeconds: duration(f, "gap", "10m"),
      maxAgeSeconds: duration(f, "max-age", "2h"),
      ...sequencer(f),
    }),
    encode: (p, triggerOf) => ({ triggers: [triggerOf("oracle_deviation")], params: encodeOracleDeviationParams(p) }),
    condition: (p) =>
      `the price reported by feed ${p.feed} (the price the protocol uses) stays ${formatPercent(p.deviationBps)} or more away from the price reported by the reference feed ${p.referenceFeed} for ${formatDuration(p.durationSeconds)} or more: seen apart at every observation, with observations at most ${formatDuration(p.maxGapSeconds)} apart (an observation when either feed's reading is older than ${formatDuration(p.maxAgeSeconds)} does not count${sequencerWords(p)})`,
  },
  all_of: {
    options: { leg: { type: "string", multiple: true }, spread: { type: "string" } },
    usage: `--leg "<kind> <its flags>" --leg "…" (2–4 legs) --spread 24h`,
    fromFlags: (f) => {
      const legs = (Array.isArray(f.leg) ? f.leg : []).map((text) => {
        const [kind, ...rest] = text.trim().split(/\s+/);
        const terms = triggerFromFlags([kind ? `--kind=${kind}` : "", ...rest].filter(Boolean));
        if (terms.kind === "all_of") throw new WordsError("--leg: an all-of leg cannot itself be all-of");
        return terms;
      });
      if (legs.length < 2 || legs.length > 4) throw new WordsError(`all_of takes 2 to 4 --leg flags, got ${legs.length}`);
      return { legs, maxSpreadSeconds: duration(f, "spread") };
    },
    encode: (p, triggerOf) => {
      const legs = p.legs.map((l) => encodeTerms(l, triggerOf));
      return { triggers: [triggerOf("all_of")], params: encodeAllOfParams({ triggers: legs.map((l) => l.trigger), params: legs.map((l) => l.params), maxSpreadSeconds: p.maxSpreadSeconds }) };
    },
    condition: (p) =>
      `all of the following happen, their incident times at most ${formatDuration(p.maxSpreadSeconds)} apart: ${p.legs.map((l, i) => `(${i + 1}) ${conditionOf(l)}`).join("; ")}`,
  },
};

const kindAliases = (text: string): TriggerKind | undefined => {
  const name = text.replace(/-/g, "_");
  return name in kindWords ? (name as TriggerKind) : undefined;
};

/** The kind a word names ("depeg", "tvl-drop" or "tvl_drop"), or a WordsError listing the kinds. */
export function kindFromWord(text: string): TriggerKind {
  const kind = kindAliases(text);
  if (!kind) throw new WordsError(`--kind: "${text}" is not a trigger kind (${Object.keys(kindWords).join(", ")})`);
  return kind;
}

/** A trigger from `--kind NAME` and that kind's flags. */
export function triggerFromFlags(argv: string[]): TriggerTerms {
  const { values: head } = parseArgs({ args: argv, options: { kind: { type: "string" } }, strict: false, allowPositionals: true });
  const kindText = typeof head.kind === "string" ? head.kind : undefined;
  if (!kindText) throw new WordsError(`--kind is required (${Object.keys(kindWords).join(", ")})`);
  const kind = kindFromWord(kindText);
  const words = kindWords[kind];
  let values: Flags;
  try {
    ({ values } = parseArgs({ args: argv, options: { kind: { type: "string" }, ...words.options }, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new WordsError(`${kind}: ${(e as Error).message} (takes ${words.usage})`);
  }
  return { kind, params: words.fromFlags(values) } as TriggerTerms;
}

function encodeTerms(t: TriggerTerms, triggerOf: (kind: TriggerKind) => Address): { trigger: Address; params: Hex } {
  const { triggers, params } = (kindWords[t.kind] as KindWords<TriggerTerms>).encode(t.params, triggerOf);
  return { trigger: triggers[0]!, params };
}

function conditionOf(t: TriggerTerms): string {
  return (kindWords[t.kind] as KindWords<TriggerTerms>).condition(t.params);
}

/** The product's trigger contract and encoded parameters, and its terms text. */
export function productTerms(t: TriggerTerms, triggerOf: (kind: TriggerKind) => Address): { trigger: Address; params: Hex; termsText: string } {
  const { trigger, params } = encodeTerms(t, triggerOf);
  const cond = conditionOf(t);
  const termsText = t.kind === "all_of" ? `Pays the cover amount only if ${cond}.` : `Pays the cover amount if ${cond}.`;
  return { trigger, params, termsText };
}
