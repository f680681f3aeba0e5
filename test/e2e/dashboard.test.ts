/**
 * The dashboard (dashboard/public, served by the API Worker as static assets) in a real browser:
 * Playwright driving Debian's Chromium against the local cluster. The pages load, a submitted job
 * appears and reaches done with a bar per attempt, a bar explains its placement, and screenshots
 * of each page are written to docs/screenshots for the docs. All of it under the pages' CSP
 * (workers/security-headers.ts) with no violation reported; a token in a link is used only once
 * the visitor accepts it; another site cannot frame the pages.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
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

/** What Chromium reports on the console about the pages' Content-Security-Policy (violations, refused frames). */
const CSP_REPORT = /Content Security Policy/;

/** The API requests a page sends with `token`, as "METHOD path". */
function requestsWith(page: Page, token: string): string[] {
  const seen: string[] = [];
  page.on("request", (request) => {
    if (request.headers().authorization === `Bearer ${token}`) seen.push(`${request.method()} ${new URL(request.url()).pathname}`);
  });
  return seen;
}

describe("the dashboard in Chromium", () => {
  it("shows the cluster, the nodes, the jobs, and a job's calls per node until it is done", async () => {
    showLogOnFailure(local);
    await local.cluster.startRunners([{ id: "cpu-1", kind: "cpu", speed: 2, slots: 2 }, { id: "cpu-2", kind: "cpu", speed: 1, slots: 1 }]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const violations: string[] = [];
    page.on("console", (message) => {
      if (CSP_REPORT.test(message.text())) violations.push(message.text());
    });
    const token = local.cluster.token;
    const sent = requestsWith(page, token);

    // The token comes in the link: it leaves the address bar, is shown masked, and is used only once accepted.
    await page.goto(`${local.cluster.url}/#token=${encodeURIComponent(token)}`);
    await page.waitForSelector("#offer:not([hidden])");
    expect(page.url()).toBe(`${local.cluster.url}/#/cluster`);
    expect(await page.textContent("#offer")).toContain(`${token.slice(0, 4)}…`);
    expect(await page.textContent("body")).not.toContain(token);
    expect(await page.isHidden("#login")).toBe(true);
    expect(await page.evaluate('sessionStorage.getItem("paxflow-token")')).toBeNull();
    expect(sent).toEqual([]);
    await page.click("#offer-use");
    await page.waitForSelector("section[data-shard='1']");
    expect(await page.isHidden("#offer")).toBe(true);
    expect(sent).toContain("GET /v1/cluster");
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
    // Each bar sits where its data says (the script sets CSS variables: the CSP refuses style attributes).
    const misplaced = await page.evaluate(`[...document.querySelectorAll(".bar")].filter((bar) => {
      const span = bar.closest(".lane").clientWidth - 110;
      return Math.abs(bar.offsetLeft - (110 + span * Number(bar.dataset.left))) > 1
        || Math.abs(bar.offsetWidth - Math.max(3, span * Number(bar.dataset.width))) > 1;
    }).map((bar) => bar.dataset.seq)`);
    expect(misplaced).toEqual([]);
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
    expect(violations).toEqual([]);
    // The console does report a violation: an inline style, which the pages never use.
    const reported = page.waitForEvent("console", (message) => CSP_REPORT.test(message.text()));
    await page.evaluate(`document.body.insertAdjacentHTML("beforeend", '<i style="color: red">inline</i>')`);
    expect((await reported).text()).toMatch(/inline style/);
    await page.close();
  });

  it("leaves a linked token unused when the visitor ignores it", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const token = local.cluster.token;
    const sent = requestsWith(page, token);
    await page.goto(`${local.cluster.url}/#token=${encodeURIComponent(token)}`);
    await page.waitForSelector("#offer:not([hidden])");
    await page.click("#offer-ignore");
    await page.waitForSelector("#login:not([hidden])");
    expect(page.url()).toBe(`${local.cluster.url}/#/cluster`);
    expect(await page.isHidden("#offer")).toBe(true);
    expect(await page.evaluate('sessionStorage.getItem("paxflow-token")')).toBeNull();
    expect(sent).toEqual([]);
    await context.close();
  });

  it("does not render inside another site's frame", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Another origin (another host and port) whose page frames the dashboard. A real server on this
    // machine: Chromium keeps pages it takes for public ones (a routed answer) from framing local addresses at all.
    const framer = createServer((_request, response) => response.end(`<iframe src="${local.cluster.url}/" width="900" height="600"></iframe>`));
    await new Promise<void>((listening) => framer.listen(0, "127.0.0.1", listening));
    onTestFinished(() => void framer.close());
    const refused = page.waitForEvent("console", (message) => /frame-ancestors 'none'/.test(message.text()));
    await page.goto(`http://localhost:${(framer.address() as AddressInfo).port}/`);
    await refused;
    const framed = page.frames().find((frame) => frame !== page.mainFrame())!;
    await framed.waitForLoadState();
    expect(framed.url()).not.toBe(`${local.cluster.url}/`);
    expect(await framed.locator("#view").count()).toBe(0);

    // The same frame renders the dashboard once its answer loses the CSP: what kept it out was the header.
    await page.route(`${local.cluster.url}/`, async (route) => {
      const answer = await route.fetch();
      const headers = answer.headers();
      delete headers["content-security-policy"];
      await route.fulfill({ response: answer, headers });
    });
    await page.reload();
    const shown = page.frames().find((frame) => frame !== page.mainFrame())!;
    await shown.waitForSelector("header strong");
    expect(await shown.textContent("header strong")).toBe("paxflow");
    await context.close();
  });
});
