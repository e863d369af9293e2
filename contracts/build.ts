/**
 * Compiles contracts/{src,mocks,examples} with solc-js (pinned in package.json) and writes one
 * TypeScript module per contract to contracts/out/<Name>.ts exporting `abi` (as const) and
 * `bytecode`, so viem infers every call. Imports resolve from node_modules.
 *
 * Fails (exit 1) on any compiler error, and on any warning not listed in ACCEPTED_WARNINGS.
 * Skips the compile when the inputs (sources, compiler version, settings) hash the same as the
 * last successful build.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
// solc-js ships CommonJS without types; its surface here is version() and compile().
const solc = require("solc") as {
  version(): string;
  compile(input: string, callbacks: { import(path: string): { contents: string } | { error: string } }): string;
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "contracts", "out");
const sourceDirs = ["contracts/src", "contracts/mocks", "contracts/examples"];
/** Contracts from packages that the local chain deploys as they are (Chainlink's own feed mock). */
// From packages: Chainlink's mock aggregator (local chains), its feed interface (the ABI the keeper
// reads feeds with, workers/chain/multicall.ts), and OpenZeppelin's Pausable (the `paused()` the
// paused trigger's covered contracts answer, workers/triggers/paused.ts).
const packageSources = [
  "@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol",
  "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol",
  "@openzeppelin/contracts/utils/Pausable.sol",
];

/**
 * Warnings we have read and decided to live with, matched on the file they come from and the
 * solc error code. Everything else fails the build.
 */
const ACCEPTED_WARNINGS: { file: RegExp; code: string; why: string }[] = [];

/** The compiler settings every artifact is built with (recorded with each deployment, for verification). */
export const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  viaIR: true,
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.bytecode.linkReferences", "evm.deployedBytecode.object", "storageLayout"] } },
};

function listSol(dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) return listSol(relative(root, p));
    return name.endsWith(".sol") ? [relative(root, p)] : [];
  });
}

function findImport(path: string): { contents: string } | { error: string } {
  for (const base of [root, join(root, "node_modules")]) {
    const p = join(base, path);
    if (existsSync(p)) return { contents: readFileSync(p, "utf8") };
  }
  return { error: `import not found: ${path}` };
}

/** Where solc left placeholders for external library addresses: file → library → byte ranges. */
type LinkReferences = Record<string, Record<string, { start: number; length: number }[]>>;

type SolcError = { severity: "error" | "warning" | "info"; errorCode?: string; formattedMessage: string; sourceLocation?: { file: string } };
type SolcOutput = {
  errors?: SolcError[];
  contracts: Record<
    string,
    Record<string, { abi: unknown[]; evm: { bytecode: { object: string; linkReferences?: LinkReferences }; deployedBytecode: { object: string } } }>
  >;
};

/** The solc version the artifacts are built with (e.g. 0.8.28+commit.7893614a.Emscripten.clang). */
export const solcVersion = (): string => solc.version();

export function buildContracts({ force = false, quiet = false } = {}): void {
  const files = [...sourceDirs.flatMap(listSol).sort(), ...packageSources];
  const sources = Object.fromEntries(
    files.map((f) => [f, { content: readFileSync(f.startsWith("contracts/") ? join(root, f) : join(root, "node_modules", f), "utf8") }]),
  );
  const input = { language: "Solidity", sources, settings };
  const inputHash = createHash("sha256").update(solc.version()).update(JSON.stringify(input)).digest("hex");
  const stamp = join(outDir, ".input-hash");
  if (!force && existsSync(stamp) && readFileSync(stamp, "utf8") === inputHash) {
    if (!quiet) console.log(`contracts: up to date (${files.length} sources, solc ${solc.version()})`);
    return;
  }

  const started = Date.now();
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const problems = (output.errors ?? []).filter((e) => {
    if (e.severity === "info") return false;
    if (e.severity === "error") return true;
    return !ACCEPTED_WARNINGS.some((w) => w.code === e.errorCode && w.file.test(e.sourceLocation?.file ?? ""));
  });
  if (problems.length > 0) {
    for (const p of problems) console.error(p.formattedMessage);
    throw new Error(`contracts: solc reported ${problems.length} error(s)/unaccepted warning(s)`);
  }

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  let count = 0;
  for (const file of files) {
    for (const [name, artifact] of Object.entries(output.contracts[file] ?? {})) {
      const bytecode = artifact.evm.bytecode.object;
      // A contract that calls an external library carries a 40-character placeholder per use;
      // `deploy` (scripts/lib/deploy.ts) deploys the library and writes its address there.
      const links = Object.values(artifact.evm.bytecode.linkReferences ?? {}).flatMap((libs) =>
        Object.entries(libs).map(([library, refs]) => ({ library, placeholder: bytecode.slice(refs[0]!.start * 2, refs[0]!.start * 2 + 40) })),
      );
      const body =
        `// Generated by contracts/build.ts from ${file} (solc ${solc.version()}). Do not edit.\n` +
        `export const abi = ${JSON.stringify(artifact.abi, null, 2)} as const;\n\n` +
        `export const bytecode = "0x${bytecode}" as const;\n\n` +
        `export const libraries = ${JSON.stringify(links)} as const;\n\n` +
        `export const deployedBytecodeSize = ${artifact.evm.deployedBytecode.object.length / 2};\n`;
      writeFileSync(join(outDir, `${name}.ts`), body);
      count++;
    }
  }
  writeFileSync(stamp, inputHash);
  if (!quiet) console.log(`contracts: compiled ${files.length} sources into ${count} modules in ${Date.now() - started} ms (solc ${solc.version()})`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    buildContracts({ force: process.argv.includes("--force") });
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
