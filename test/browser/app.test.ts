import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { createPublicClient, createWalletClient, http, parseAbi, type Address } from "viem";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { abi as feedAbi } from "../../contracts/out/MockV3Aggregator";
import { abi as stablecoinAbi } from "../../contracts/out/MockStablecoin";
import { localAccount } from "../../scripts/lib/clients";
import type { LocalConfig } from "../../scripts/lib/local";
import { installTestWallet } from "./provider";

// The app in a real browser (Debian's Chromium through playwright-core) against the stack `npm
// start` runs — anvil, the contracts, D1, the Worker serving the app, the keeper's cron — started
// here on its own ports and state directory so it never touches a developer's running instance.
const ANVIL_PORT = Number(process.env.BROWSER_TEST_ANVIL_PORT ?? 18545);
const WORKER_PORT = Number(process.env.BROWSER_TEST_WORKER_PORT ?? 18787);
const STATE = join(".wrangler", "browser-test");
const API = `http://127.0.0.1:${WORKER_PORT}`;
const RPC = `http://127.0.0.1:${ANVIL_PORT}`;
const SHOTS = join("test-results", "app");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const USD = 1_000_000n;

let stack: ChildProcess;
let log = "";
let browser: Browser;
let local: LocalConfig;
const buyer = localAccount(5);
const lp = localAccount(4);
const publicClient = createPublicClient({ chain: foundry, transport: http(RPC) });
const owner = createWalletClient({ chain: foundry, transport: http(RPC), account: localAccount(0) });

async function startStack(): Promise<void> {
  rmSync(STATE, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  stack = spawn("node_modules/.bin/tsx", ["scripts/start.ts"], {
    env: { ...process.env, ANVIL_PORT: String(ANVIL_PORT), WORKER_PORT: String(WORKER_PORT), KEEPER_INTERVAL_SECONDS: "2", TRIPWIRE_STATE_DIR: STATE },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  stack.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  stack.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const started = Date.now();
  while (!log.includes("Tripwire is running")) {
    if (stack.exitCode !== null) throw new Error(`npm start exited (${stack.exitCode}):\n${log.slice(-3000)}`);
    if (Date.now() - started > 240_000) throw new Error(`npm start did not come up in 240 s:\n${log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  local = JSON.parse(readFileSync(join(STATE, "tripwire-local.json"), "utf8")) as LocalConfig;
}

async function newPage(account: Address): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(installTestWallet, { rpcUrl: RPC, account, chainId: local.chainId });
  const page = await context.newPage();
  page.on("pageerror", (err) => (log += `\n[page error] ${err.message}`));
  return page;
}

async function mined(hash: `0x${string}`) {
  const r = await publicClient.waitForTransactionReceipt({ hash });
  expect(r.status).toBe("success");
}

/** What the stack and the pages logged, for a failure's message. */
const tail = () => log.slice(-2500);

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`).toBe(true);
  await startStack();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  for (const who of [buyer, lp]) await mined(await owner.writeContract({ address: local.contracts.Stablecoin!, abi: stablecoinAbi, functionName: "mint", args: [who.address, 100_000n * USD] }));
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (stack?.pid && stack.exitCode === null) {
    process.kill(-stack.pid, "SIGTERM"); // npm start stops anvil and the Worker it started
    for (let i = 0; i < 100 && stack.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

describe("the app, served by the Worker at /", () => {
  it("lists the products and shows one with its terms, readings, capacity and price, without a wallet", async () => {
    const page = await newPage(buyer.address);
    await page.goto(`${API}/`);
    await page.getByRole("heading", { name: "Cover you can buy" }).waitFor();
    const cards = page.locator("[data-testid^=product-]");
    await cards.first().waitFor();
    expect(await cards.count()).toBe(local.products.length);
    await page.screenshot({ path: join(SHOTS, "products.png"), fullPage: true });
    await page.getByRole("link", { name: local.products[0]!.name }).click();
    await page.getByRole("heading", { name: local.products[0]!.name }).waitFor();
    await expect.poll(() => page.getByTestId("product-status").textContent()).toBe("active");
    expect(await page.getByRole("heading", { name: "Terms" }).isVisible()).toBe(true);
    expect(await page.getByTestId("capacity-left").textContent()).toMatch(/lUSD$/);
    // The batch quote prices every duration; the solvency line reads from the chosen one.
    await page.getByText(/30 days — [\d,.]+ lUSD/).waitFor();
    expect(await page.getByTestId("solvency").textContent()).toMatch(/the pool would pay 100% of its cover/);
    // Bad input is said in words and nothing is sent.
    await page.getByLabel("Cover amount (lUSD)").fill("12.3456789");
    expect(await page.getByText("At most 6 digits after the point.").isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: /^Buy/ }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(SHOTS, "product.png"), fullPage: true });
  }, 120_000);

  it("buys cover with a wallet, shows the policy, and an LP deposits and requests a withdrawal", async () => {
    const page = await newPage(buyer.address);
    await page.goto(`${API}/#/products/${local.products[0]!.id}`);
    await page.getByRole("button", { name: "Connect wallet" }).click();
    await page.getByText(`${buyer.address.slice(0, 6)}…`).waitFor();
    await page.getByLabel("Cover amount (lUSD)").fill("10000");
    await page.getByText(/30 days — [\d,.]+ lUSD/).waitFor();
    const permitNonce = () => publicClient.readContract({ address: local.contracts.Stablecoin!, abi: parseAbi(["function nonces(address) view returns (uint256)"]), functionName: "nonces", args: [buyer.address] });
    const sentBefore = await publicClient.getTransactionCount({ address: buyer.address });
    const noncesBefore = await permitNonce();
    await page.getByRole("button", { name: /^Buy for/ }).click();
    await page.getByTestId("bought").waitFor({ timeout: 60_000 });
    // The premium was paid with a permit: one signature, one transaction, no approval.
    expect(await permitNonce()).toBe(noncesBefore + 1n);
    expect(await publicClient.getTransactionCount({ address: buyer.address })).toBe(sentBefore + 1);
    const policyId = Number((await page.getByTestId("bought").textContent())!.match(/Policy (\d+)/)![1]);
    await page.getByRole("link", { name: "See my cover" }).click();
    await page.getByTestId(`policy-${policyId}`).waitFor();
    expect(await page.getByTestId(`policy-${policyId}`).getByTestId("policy-status").textContent()).toMatch(/Starts soon|Active/);
    await page.screenshot({ path: join(SHOTS, "my-cover.png"), fullPage: true });

    const lpPage = await newPage(lp.address);
    await lpPage.goto(`${API}/#/pool`);
    await lpPage.getByRole("button", { name: "Connect wallet" }).click();
    await lpPage.getByTestId("lp-shares").waitFor();
    await lpPage.getByTestId("share-price-chart").waitFor({ timeout: 20_000 }); // the keeper's snapshots of the pool
    // Exposure by risk group: a SteadyUSD depeg pays its own product and Lendwise's and Swapper's, which hold it.
    const depeg = lpPage.getByTestId("stress").getByRole("row", { name: /SteadyUSD depegs/ });
    await depeg.waitFor();
    expect(await depeg.getByRole("link").allTextContents()).toEqual(expect.arrayContaining(["1", "2", "5"]));
    await lpPage.getByLabel(/^Deposit/).fill("25000");
    await lpPage.getByRole("button", { name: "Deposit" }).click();
    await lpPage.getByTestId("lp-done").waitFor({ timeout: 60_000 });
    await expect.poll(() => lpPage.getByTestId("lp-value").textContent(), { timeout: 20_000 }).toMatch(/^2[45],\d{3}(\.\d+)? lUSD$/);
    await lpPage.getByLabel(/^Request a withdrawal/).fill("1000");
    await lpPage.getByRole("button", { name: "Request withdrawal" }).click();
    await lpPage.getByTestId("requests").waitFor({ timeout: 60_000 });
    expect(await lpPage.getByTestId("countdown").first().textContent()).toMatch(/^in \d/);
    await lpPage.screenshot({ path: join(SHOTS, "pool.png"), fullPage: true });
    // A second request, cancelled: its shares come back and it leaves the list.
    const sharesBefore = await lpPage.getByTestId("lp-shares").textContent();
    await lpPage.getByLabel(/^Request a withdrawal/).fill("500");
    await lpPage.getByRole("button", { name: "Request withdrawal" }).click();
    await expect.poll(() => lpPage.getByTestId("requests").locator("tbody tr").count(), { timeout: 30_000 }).toBe(2);
    await lpPage.getByRole("button", { name: "Cancel" }).nth(1).click();
    await expect.poll(() => lpPage.getByTestId("requests").locator("tbody tr").count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => lpPage.getByTestId("lp-shares").textContent(), { timeout: 20_000 }).toBe(sharesBefore);
  }, 180_000);

  it("an account without the premium is told so in words, and nothing is bought", async () => {
    const broke = localAccount(6); // holds no lUSD
    const page = await newPage(broke.address);
    await page.goto(`${API}/#/products/${local.products[0]!.id}`);
    await page.getByRole("button", { name: "Connect wallet" }).click();
    await page.getByText(/30 days — [\d,.]+ lUSD/).waitFor();
    await page.getByRole("button", { name: /^Buy for/ }).click();
    await page.getByTestId("buy-error").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("buy-error").textContent()).toBe("Your balance is too small for this.");
    const { policies } = (await (await fetch(`${API}/v1/policies?owner=${broke.address}`)).json()) as { policies: unknown[] };
    expect(policies).toEqual([]);
    await page.screenshot({ path: join(SHOTS, "buy-refused.png"), fullPage: true });
  }, 120_000);

  it("a feed moves on the chain, the keeper pays, and the page shows the payout and the incident timeline", async () => {
    const page = await newPage(buyer.address);
    await page.goto(`${API}/#/cover`);
    await page.getByRole("button", { name: "Connect wallet" }).click();
    await page.getByTestId("policies").waitFor();
    const product = (await (await fetch(`${API}/v1/products/${local.products[0]!.id}`)).json()) as { trigger: { params: { feed: Address } } };
    const feed = product.trigger.params.feed;
    // Past the coverage lag (an hour): the policy is active. Then a heartbeat and a 70% fall.
    await publicClient.request({ method: "evm_increaseTime" as never, params: [3_700] as never });
    const [, answer] = await publicClient.readContract({ address: feed, abi: feedAbi, functionName: "latestRoundData" });
    await mined(await owner.writeContract({ address: feed, abi: feedAbi, functionName: "updateAnswer", args: [answer] }));
    await mined(await owner.writeContract({ address: feed, abi: feedAbi, functionName: "updateAnswer", args: [(answer * 3n) / 10n] }));
    // No reload: the page refetches on its own (every 10 s), as a user watching it would see it.
    await page.getByTestId("payout").first().waitFor({ timeout: 90_000 }).catch(async (err: Error) => {
      const get = async (path: string) => JSON.stringify(await (await fetch(`${API}${path}`, { headers: { authorization: `Bearer ${local.adminKey}` } })).json()).slice(0, 1500);
      throw new Error(`${err.message}\nincidents: ${await get("/v1/incidents")}\npolicies: ${await get(`/v1/policies?owner=${buyer.address}`)}\n${tail()}`);
    });
    expect(await page.getByTestId("payout").first().textContent()).toMatch(/^10,000 lUSD paid in 0x/);
    await page.screenshot({ path: join(SHOTS, "paid.png"), fullPage: true });
    await page.getByTestId("payout").first().getByRole("link", { name: /incident \d+/ }).click();
    await page.getByTestId("event-fire").waitFor();
    // The timeline fills in as its queries answer (payouts, the keeper's readings).
    await expect.poll(() => page.getByTestId("event-payout").count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => page.getByTestId("event-reading").count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId("event-confirm").count()).toBe(1);
    // The proof's rounds: the heartbeat at the peak and the 70% fall, with their round ids.
    const proofRounds = await page.getByTestId("event-round").allTextContents();
    expect(proofRounds.some((t) => t.includes(String(answer)))).toBe(true);
    expect(proofRounds.some((t) => t.includes(String((answer * 3n) / 10n)))).toBe(true);
    expect(await page.getByTestId("event-fire").textContent()).toMatch(/transaction 0x[0-9a-f]{64}/);
    await page.screenshot({ path: join(SHOTS, "incident.png"), fullPage: true });
  }, 180_000);

  it("is readable on a phone", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    page.on("pageerror", (err) => (log += `\n[page error] ${err.message}`));
    page.on("console", (m) => (log += `\n[console ${m.type()}] ${m.text()}`));
    await page.goto(`${API}/#/pool`);
    await page.getByTestId("pool-assets").waitFor().catch((err: Error) => {
      throw new Error(`${err.message}\n${tail()}`);
    });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS, "pool-phone.png"), fullPage: true });
  }, 60_000);
});
