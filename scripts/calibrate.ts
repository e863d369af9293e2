/**
 * npm run calibrate [-- --incidents FILE]: derives the premium model's calibration from an
 * incident file (default data/incidents-2020-2023.csv), prints where each number comes from, and
 * writes workers/pricing/calibrated.ts (committed: the Worker prices with it; the test
 * test/node/calibration.test.ts fails when it no longer matches the file).
 */
import { writeFileSync } from "node:fs";
import { ASSUMPTIONS, CATEGORIES, calibrationSource, deriveCalibration } from "../workers/pricing/calibration";
import { incidentsFromArgs } from "./lib/incidents";

const { file, rows } = incidentsFromArgs(process.argv.slice(2));
const c = deriveCalibration(rows);
const pct = (e18: bigint, digits = 2) => `${(Number(e18 / 10n ** 12n) / 1e4).toFixed(digits)}%`;
console.log(`${file}: ${rows.length} incidents`);
console.log("exploits per protocol-year (exploit, oracle manipulation, rug, governance attack):");
for (const k of CATEGORIES) console.log(`  ${k.padEnd(11)} ${String(c.exploitCounts[k]).padStart(3)} / ${String(c.protocolYears[k]).padStart(5)} protocol-years = ${pct(c.exploitRateE18[k])} a year`);
console.log(`oracle manipulations: ${c.oracleManipulationCount} / ${ASSUMPTIONS.protocolsPerYear * ASSUMPTIONS.years} = ${pct(c.oracleManipulationRateE18, 3)} a year`);
console.log(`pauses: ${c.pauseCount} / ${ASSUMPTIONS.protocolsPerYear * ASSUMPTIONS.years} = ${pct(c.pauseRateE18, 3)} a year; duration τ ${c.pauseDurationTauSeconds} s`);
console.log(`notable depegs: ${c.depegCount} / ${ASSUMPTIONS.stablecoinsTracked * ASSUMPTIONS.years} coin-years = ${pct(c.depegRateE18)} a year, at a deviation of ${pct(c.depegRefDeviationE18)} or more (median low ${pct(c.depegMedianDeviationE18)}); duration τ ${c.depegDurationTauSeconds} s`);
console.log(`exploit TVL falls recorded: ${c.exploitDropsE18.map((d) => pct(d, 0)).join(", ")}`);
writeFileSync("workers/pricing/calibrated.ts", calibrationSource(c, file));
console.log("wrote workers/pricing/calibrated.ts");
