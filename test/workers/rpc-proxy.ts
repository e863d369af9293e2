import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A JSON-RPC proxy on loopback in front of anvil that injects faults on request, so the keeper's
 * tests see what production RPCs do. It passes everything through until told otherwise by a
 * POST to `/__fault` with one of:
 *   { mode: "error", count, after? }     HTTP 503 for `count` requests (after `after` pass)
 *   { mode: "timeout", count, delayMs }  answer `count` requests only after `delayMs`
 *   { mode: "drop-after-broadcast", count } forward `count` eth_sendRawTransaction requests, then
 *                                        close the connection without an answer
 *   { mode: "stale-head", head }         answer eth_blockNumber with `head` until cleared
 *   { mode: "snapshot-before-raw", selector } take an evm_snapshot just before forwarding the
 *                                        next raw transaction whose calldata has that selector
 *   { mode: "logs-range-limit", maxBlocks } answer eth_getLogs over more than `maxBlocks` blocks with
 *                                        the -32005 "query returned more than 10000 results" refusal
 *   { mode: "clear" }
 * `GET /__fault` returns the counters and the last snapshot id.
 */
export type Fault =
  | { mode: "clear" }
  | { mode: "error"; count: number; after?: number }
  | { mode: "timeout"; count: number; delayMs: number }
  | { mode: "drop-after-broadcast"; count: number }
  | { mode: "stale-head"; head: number }
  | { mode: "snapshot-before-raw"; selector: string }
  | { mode: "logs-range-limit"; maxBlocks: number };

type RpcRequest = { id: number | string; method: string; params?: unknown[] };

export async function startRpcProxy(upstream: string): Promise<{ url: string; stop(): Promise<void> }> {
  let fault: Fault = { mode: "clear" };
  let passed = 0;
  const stats = { requests: 0, rawTransactions: 0, dropped: 0, errors: 0, delayed: 0, refusedLogRanges: 0, snapshot: null as string | null };
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => resolve(body));
      req.on("error", reject);
    });
  const forward = async (body: string) => (await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body })).text();
  const rpc = async (method: string, params: unknown[] = []) =>
    (JSON.parse(await forward(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }))) as { result: string }).result;

  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    if (req.url === "/__fault") {
      if (req.method === "POST") {
        fault = JSON.parse(body) as Fault;
        passed = 0;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ fault, ...stats }));
      return;
    }
    stats.requests++;
    const parsed = JSON.parse(body) as RpcRequest | RpcRequest[];
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    const raw = calls.find((c) => c.method === "eth_sendRawTransaction");
    if (raw) stats.rawTransactions++;

    if (fault.mode === "error" && fault.count > 0) {
      if ((fault.after ?? 0) <= passed) {
        fault.count--;
        stats.errors++;
        res.writeHead(503).end("injected failure");
        return;
      }
      passed++;
    }
    if (fault.mode === "timeout" && fault.count > 0) {
      fault.count--;
      stats.delayed++;
      await new Promise((r) => setTimeout(r, (fault as { delayMs: number }).delayMs));
    }
    if (fault.mode === "snapshot-before-raw" && raw) {
      const { parseTransaction } = await import("viem");
      const tx = parseTransaction((raw.params as [`0x${string}`])[0]);
      if (tx.data?.startsWith(fault.selector)) {
        stats.snapshot = await rpc("evm_snapshot");
        fault = { mode: "clear" };
      }
    }
    if (fault.mode === "logs-range-limit") {
      const max = fault.maxBlocks;
      const tooWide = (c: RpcRequest) => {
        if (c.method !== "eth_getLogs") return false;
        const f = (c.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
        return f.fromBlock?.startsWith("0x") && f.toBlock?.startsWith("0x") ? Number(f.toBlock) - Number(f.fromBlock) + 1 > max : false;
      };
      const refusal = (c: RpcRequest) => ({ jsonrpc: "2.0", id: c.id, error: { code: -32005, message: "query returned more than 10000 results" } });
      if (calls.some(tooWide)) {
        stats.refusedLogRanges += calls.filter(tooWide).length;
        const rest = calls.filter((c) => !tooWide(c));
        const answered = rest.length ? (JSON.parse(await forward(JSON.stringify(rest))) as unknown[]) : [];
        const out = calls.map((c) => (tooWide(c) ? refusal(c) : answered.find((a) => (a as RpcRequest).id === c.id)));
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Array.isArray(parsed) ? out : out[0]));
        return;
      }
    }
    const answer = await forward(body);
    if (fault.mode === "drop-after-broadcast" && raw && fault.count > 0) {
      fault.count--;
      stats.dropped++;
      req.socket.destroy(); // broadcast happened; the answer never arrives
      return;
    }
    if (fault.mode === "stale-head" && calls.some((c) => c.method === "eth_blockNumber")) {
      const head = `0x${fault.head.toString(16)}`;
      const results = JSON.parse(answer) as { id: number | string; result?: unknown }[] | { id: number | string; result?: unknown };
      const patch = (r: { id: number | string; result?: unknown }) => (calls.find((c) => c.id === r.id)?.method === "eth_blockNumber" ? { ...r, result: head } : r);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Array.isArray(results) ? results.map(patch) : patch(results)));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
