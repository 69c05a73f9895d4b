/**
 * The admin API, mounted on the metrics listener under /proxy and protected by
 * `proxy.admin_token` (Bearer). GET /proxy/config, PUT /proxy/config (YAML or JSON, validated,
 * applied atomically), GET /proxy/status (every target's health, ejection and circuit state).
 * With no token configured the endpoints answer 403: an open admin API is never the default.
 */
import type { Hono } from "hono";
import { AppError, ForbiddenError, problemResponse, UnauthorizedError } from "../errors/mod.ts";
import { parseRoutesText, RoutesConfigError } from "./config.ts";
import type { ProxyService } from "./service.ts";

/** A routes document larger than this is refused (413). */
export const ADMIN_BODY_BYTES_MAX = 1024 * 1024;

function tokenMatches(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  return diff === 0;
}

export function mountProxyAdmin(app: Hono, proxy: ProxyService, adminToken: string): void {
  app.use("/proxy/*", async (c, next) => {
    if (adminToken === "") {
      return problemResponse(
        new ForbiddenError(
          "The proxy admin API is disabled: set proxy.admin_token",
          "admin_disabled",
        ),
        { instance: c.req.path },
      );
    }
    const header = c.req.header("authorization") ?? "";
    if (!header.startsWith("Bearer ") || !tokenMatches(header.slice(7), adminToken)) {
      return problemResponse(new UnauthorizedError("Missing or wrong admin token"), {
        instance: c.req.path,
      });
    }
    await next();
    return undefined;
  });
  app.get("/proxy/config", (c) => c.json(proxy.snapshot.file));
  app.get("/proxy/status", (c) => c.json(proxy.status()));
  app.put("/proxy/config", async (c) => {
    const length = Number(c.req.header("content-length") ?? "0");
    if (length > ADMIN_BODY_BYTES_MAX) {
      return problemResponse(
        new AppError("payload_too_large", 413, "Payload too large", {
          detail: `The routes document is larger than ${ADMIN_BODY_BYTES_MAX} bytes`,
        }),
      );
    }
    const text = await c.req.text();
    try {
      const version = proxy.apply(parseRoutesText(text, "admin PUT"));
      return c.json({ applied: true, version });
    } catch (error) {
      if (!(error instanceof RoutesConfigError)) throw error;
      return problemResponse(
        new AppError("validation_failed", 400, "Request validation failed", {
          detail: "The routes document is invalid; the running config is unchanged",
          errors: error.problems,
        }),
        { instance: c.req.path },
      );
    }
  });
}
