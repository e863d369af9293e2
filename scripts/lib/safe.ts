import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { encodeFunctionData, keccak256, toHex, type Abi, type AbiFunction, type AbiParameter, type Address, type Hex } from "viem";

/**
 * Safe Transaction Builder batch files: what an owner that is a Safe imports into the Safe{Wallet}
 * Transaction Builder app ("drag and drop a JSON file"), checks, signs with its threshold of
 * owners and executes as one multisend. Each transaction carries its method and arguments in words
 * (the app shows them) and its calldata (what is executed). The checksum is the one the app
 * computes over the file, so it reports the file unmodified.
 */

export type SafeBatchTransaction = {
  to: Address;
  value: string;
  data: Hex;
  contractMethod: { inputs: AbiParameter[]; name: string; payable: boolean };
  contractInputsValues: Record<string, string>;
};

export type SafeBatch = {
  version: "1.0";
  chainId: string;
  createdAt: number;
  meta: { name: string; description: string; txBuilderVersion: string; createdFromSafeAddress: Address; createdFromOwnerAddress: string; checksum?: Hex };
  transactions: SafeBatchTransaction[];
};

/** One call of a contract, typed by its ABI: what every operation builds. */
export type Call = { to: Address; abi: Abi; functionName: string; args: readonly unknown[]; description: string };

const inputValue = (v: unknown): string =>
  typeof v === "bigint" ? v.toString() : typeof v === "string" ? v : JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x));

export function batchTransaction(call: Call): SafeBatchTransaction {
  const fn = call.abi.find((x): x is AbiFunction => x.type === "function" && x.name === call.functionName && x.inputs.length === call.args.length);
  if (!fn) throw new Error(`${call.functionName} with ${call.args.length} arguments is not in the ABI`);
  return {
    to: call.to,
    value: "0",
    data: encodeFunctionData({ abi: [fn], functionName: fn.name, args: call.args as unknown[] }),
    contractMethod: { inputs: [...fn.inputs], name: fn.name, payable: fn.stateMutability === "payable" },
    contractInputsValues: Object.fromEntries(fn.inputs.map((input, i) => [input.name || `arg${i}`, inputValue(call.args[i])])),
  };
}

// The Transaction Builder's checksum: keccak256 of a canonical serialisation of the file (keys
// sorted, each object written as its key list then its values) with `meta.name` set to null.
const canonical = (v: unknown): string => {
  const plain = (x: unknown) => JSON.stringify(x === undefined ? null : x);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v).sort();
    return `{${plain(keys)}${keys.map((k) => `${canonical((v as Record<string, unknown>)[k])},`).join("")}}`;
  }
  return plain(v);
};

export function batchChecksum(batch: SafeBatch): Hex {
  const { checksum: _, ...meta } = batch.meta;
  return keccak256(toHex(canonical({ ...batch, meta: { ...meta, name: null } })));
}

export function safeBatch(opts: { chainId: number; safe: Address; name: string; description: string; calls: Call[]; createdAt?: number }): SafeBatch {
  const batch: SafeBatch = {
    version: "1.0",
    chainId: String(opts.chainId),
    createdAt: opts.createdAt ?? Date.now(),
    meta: { name: opts.name, description: opts.description, txBuilderVersion: "1.18.0", createdFromSafeAddress: opts.safe, createdFromOwnerAddress: "" },
    transactions: opts.calls.map(batchTransaction),
  };
  return { ...batch, meta: { ...batch.meta, checksum: batchChecksum(batch) } };
}

export function writeSafeBatch(path: string, batch: SafeBatch): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(batch, null, 2) + "\n");
  return path;
}
