import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** The anvil binary shipped inside the platform package of @foundry-rs/anvil (no download). */
export function anvilBinary(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}/package.json`;
  return join(dirname(require.resolve(pkg)), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export type Anvil = { rpcUrl: string; port: number; pid: number; stop(): Promise<void> };

/** Genesis time of every test chain: fixed, so dates in tests are reproducible. */
export const GENESIS_TIMESTAMP = 1_767_225_600; // 2026-01-01T00:00:00Z

/**
 * Starts anvil on loopback (a free port unless one is given) and resolves once it answers JSON-RPC.
 * Tests use a fixed genesis time; `npm start` uses the wall clock.
 * Local test chain only: its accounts are anvil's well-known development keys.
 */
export async function startAnvil(extraArgs: string[] = [], opts: { port?: number; fixedGenesis?: boolean; detached?: boolean } = {}): Promise<Anvil> {
  const port = opts.port ?? (await freePort());
  const genesis = opts.fixedGenesis === false ? [] : ["--timestamp", String(GENESIS_TIMESTAMP)];
  const args = ["--host", "127.0.0.1", "--port", String(port), ...genesis, "--silent", ...extraArgs];
  // detached: its own process group, so a terminal's Ctrl-C reaches only the parent, which stops it by id.
  const child: ChildProcess = spawn(anvilBinary(), args, { stdio: ["ignore", "ignore", "pipe"], detached: opts.detached ?? false });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`anvil did not answer on ${rpcUrl}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    rpcUrl,
    port,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
