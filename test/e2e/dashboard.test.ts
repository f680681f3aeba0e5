/**
 * The dashboard (dashboard/public, served by the API Worker as static assets) in a real browser:
 * Playwright driving Debian's Chromium against the local cluster. The pages load, a submitted job
 * appears and reaches done with a bar per attempt, a bar explains its placement, and screenshots
 * of each page are written to docs/screenshots for the docs.
 */
import { resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../cli/local-cluster.ts";
import { finished, showLogOnFailure, submit, useLocalCluster } from "./support.ts";

const local = useLocalCluster();
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});
afterAll(async () => {
  await browser?.close();
});

const shot = (name: string) => resolve(ROOT, "docs/screenshots", `${name}.png`);

describe("the dashboard in Chromium", () => {
  it("shows the cluster, the nodes, the jobs, and a job's calls per node until it is done", async () => {
    showLogOnFailure(local);
    await local.cluster.startRunners([{ id: "cpu-1", kind: "cpu", speed: 2, slots: 2 }, { id: "cpu-2", kind: "cpu", speed: 1, slots: 1 }]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));

    // The token comes in the link and leaves the address bar.
    await page.goto(`${local.cluster.url}/#token=${encodeURIComponent(local.cluster.token)}`);
    await page.waitForSelector("section[data-shard='1']");
    expect(page.url()).not.toContain("token=");
    expect(await page.textContent("section[data-shard='0']")).toMatch(/leader shard-0\/commander-\d/);
    await page.screenshot({ path: shot("cluster"), fullPage: true });

    await page.goto(`${local.cluster.url}/#/nodes`);
    await page.waitForSelector("td[data-node='cpu-1']");
    await page.waitForSelector("#chart .uplot");
    expect(await page.textContent("main")).toContain("cpu-2");
    // Heartbeats arrive (once a second): the row shows one, and the chart has a few samples.
    await expect.poll(async () => page.textContent("tr:has(td[data-node='cpu-1'])"), { timeout: 20_000 }).toMatch(/\d+\.\d s ago/);
    await page.waitForTimeout(3_000);
    await page.screenshot({ path: shot("nodes"), fullPage: true });

    const input = { seed0: 5, runs: 6, samplesPerRun: 300_000 };
    const id = await submit(local.cluster, "monte-carlo/pi", input);
    await page.goto(`${local.cluster.url}/#/jobs`);
    await page.waitForSelector(`a[href="#/jobs/${id}"]`);
    await page.click(`a[href="#/jobs/${id}"]`);
    await page.waitForSelector("#job-status.done", { timeout: 60_000 });
    const job = await finished(local.cluster, id);
    const attempts = job.calls.reduce((n, c) => n + c.attempts.length, 0);
    expect(await page.locator(".bar").count()).toBe(attempts);
    await page.screenshot({ path: shot("job"), fullPage: true });

    await page.locator(".bar").first().click();
    await page.waitForSelector("#detail:not([hidden]) table");
    expect(await page.textContent("#detail")).toMatch(/call \d+ .+, attempt 1 → \S+/);
    await page.screenshot({ path: shot("explain"), fullPage: true });

    // A bad token is refused and the page asks for another.
    await page.evaluate('sessionStorage.setItem("paxflow-token", "wrong-token-wrong-token-wrong")');
    await page.goto(`${local.cluster.url}/#/cluster`);
    await page.reload();
    await page.waitForSelector("#login:not([hidden])");
    expect(errors).toEqual([]);
    await page.close();
  });
});
