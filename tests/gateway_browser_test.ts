/**
 * Swagger UI in a real browser (Debian chromium, headless, via playwright-core): /docs renders
 * the operations from /openapi.json with assets from our own origin only, "Try it out" on
 * GET /healthz shows a live 200, and a newcomer's first session against a real gateway process
 * (register, login, Authorize, then KV and jobs) works with the requests Swagger UI prefills.
 */
import assert from "node:assert/strict";
import { chromium, type Page } from "playwright-core";
import { startGateway } from "./gateway_support.ts";
import * as processes from "./jobs_processes.ts";

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
    // What a visitor with the developer tools open would see: failed loads and script errors.
    const consoleErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
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
    assert.deepEqual(consoleErrors, [], "the browser console shows no errors");
    if (Deno.env.get("HELIOS_SCREENSHOT")) {
      await page.screenshot({ path: Deno.env.get("HELIOS_SCREENSHOT")!, fullPage: false });
    }
  } finally {
    await browser.close();
    await gw.close();
  }
});

/** Opens an operation, presses "Try it out" and "Execute" as they come; its status and body. */
async function tryItOut(page: Page, method: string, path: string) {
  const operation = page.locator(`.opblock-${method}`, {
    has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
  }).first();
  await operation.locator(".opblock-summary").click();
  await operation.locator("button.try-out__btn").click();
  await operation.locator("button.execute").click();
  const response = operation.locator(".live-responses-table tr.response").first();
  await response.waitFor();
  const status = Number((await response.locator(".response-col_status").textContent())?.trim());
  const body = await response.locator(".microlight").first().textContent().catch(() => "");
  await operation.locator(".opblock-summary").click(); // collapse it again
  return { status, body: body ?? "" };
}

Deno.test("a first session in Swagger UI works with the requests it prefills", async () => {
  const dir = await Deno.makeTempDir({ prefix: "helios-docs-" });
  const port = await processes.freePort();
  const base = `http://127.0.0.1:${port}`;
  const gw = processes.startGateway(await processes.writeGatewayConfig(dir, port, "every"));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    await gw.ready(base);
    const page = await browser.newPage();
    await page.goto(`${base}/docs`);
    await page.locator(".opblock").first().waitFor();

    assert.equal((await tryItOut(page, "post", "/api/v1/auth/register")).status, 201);
    const login = await tryItOut(page, "post", "/api/v1/auth/login");
    assert.equal(login.status, 200, login.body);
    await page.locator("button.authorize").first().click();
    await page.locator(".modal-ux input").first().fill(JSON.parse(login.body).token);
    await page.locator(".modal-ux button.authorize").first().click();
    await page.locator(".modal-ux button.close-modal").first().click();

    // Before, POST went out with both conditional headers' examples (400) and DELETE with an
    // example ETag (412).
    const set = await tryItOut(page, "post", "/api/v1/kv/{key}");
    assert.equal(set.status, 200, set.body);
    const get = await tryItOut(page, "get", "/api/v1/kv/{key}");
    assert.equal(get.status, 200, get.body);
    assert.equal(JSON.parse(get.body).key, "orders/42");
    assert.equal(JSON.parse(get.body).value, "shipped");
    assert.equal((await tryItOut(page, "delete", "/api/v1/kv/{key}")).status, 204);

    // Before, the job came from Swagger UI's sample of every field at its bounds.
    const enqueued = await tryItOut(page, "post", "/api/v1/jobs");
    assert.equal(enqueued.status, 201, enqueued.body);
    const job = await (await fetch(`${base}/api/v1/jobs/${JSON.parse(enqueued.body).id}`, {
      headers: { authorization: `Bearer ${JSON.parse(login.body).token}` },
    })).json();
    assert.deepEqual(
      [job.queue, job.task, job.status, job.max_attempts, job.payload],
      ["default", "process_data", "PENDING", 3, { task: "process_data", data: "..." }],
    );
    // The list's prefilled filters (status PENDING, queue "default") show it.
    const listed = await tryItOut(page, "get", "/api/v1/jobs");
    assert.equal(listed.status, 200, listed.body);
    assert.ok(JSON.parse(listed.body).jobs.some((j: { id: string }) => j.id === job.id));
  } finally {
    await browser.close();
    await gw.kill("SIGTERM");
    await Deno.remove(dir, { recursive: true });
  }
});
