/**
 * Swagger UI in a real browser (Debian chromium, headless, via playwright-core): /docs renders
 * the operations from /openapi.json with assets from our own origin only, and "Try it out" on
 * GET /healthz shows a live 200.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { startGateway } from "./gateway_support.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

Deno.test("Swagger UI at /docs renders offline and Try it out on GET /healthz shows 200", async () => {
  const gw = startGateway();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    const origins = new Set<string>();
    page.on("request", (request) => origins.add(new URL(request.url()).origin));
    await page.goto(`${gw.base}/docs`);
    await page.locator(".opblock-summary-path", { hasText: "/api/v1/kv/{key}" }).first().waitFor();
    const operations = await page.locator(".opblock").count();
    assert.ok(operations >= 6, `rendered ${operations} operations`);

    const health = page.locator(".opblock-get", {
      has: page.locator('.opblock-summary-path[data-path="/healthz"]'),
    });
    await health.locator(".opblock-summary").click();
    await health.locator("button.try-out__btn").click();
    await health.locator("button.execute").click();
    const status = health.locator(".live-responses-table tr.response .response-col_status").first();
    await status.waitFor();
    assert.equal((await status.textContent())?.trim(), "200");
    assert.deepEqual([...origins], [gw.base], "every request stays on our origin (no CDN)");
    if (Deno.env.get("HELIOS_SCREENSHOT")) {
      await page.screenshot({ path: Deno.env.get("HELIOS_SCREENSHOT")!, fullPage: false });
    }
  } finally {
    await browser.close();
    await gw.close();
  }
});
