import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A webhook receiver on loopback for the Worker's tests: `POST /hook/<name>` records the request
 * and answers 500 for the first `?fail=<n>` deliveries to that name, then 204.
 * `GET /__received` returns everything recorded.
 */
export async function startHookSink(): Promise<{ url: string; stop(): Promise<void> }> {
  const received: { name: string; headers: Record<string, string>; body: string; status: number }[] = [];
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://sink");
      if (url.pathname === "/__received") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received));
        return;
      }
      const name = url.pathname.replace(/^\/hook\//, "");
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      const status = n <= Number(url.searchParams.get("fail") ?? 0) ? 500 : 204;
      received.push({ name, headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stop: () => new Promise<void>((r) => server.close(() => r())) };
}
