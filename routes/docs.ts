/**
 * Swagger UI at /docs, served entirely from the npm `swagger-ui-dist` files (never a CDN), so the
 * docs work with no internet. Assets are read once and kept in memory; only a fixed list of file
 * names is served, so the route cannot be used to read anything else.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
// The package entry point loads the 1.7 MB UI bundle into the server; only the path is needed.
import getAbsoluteFSPath from "npm:swagger-ui-dist@^5.35.0/absolute-path.js";
import { NotFoundError } from "../src/errors/app_error.ts";
import type { GatewayEnv } from "./env.ts";

export const DOCS_PATH = "/docs";
export const ASSETS_PREFIX = "/assets";
/** Browsers ask every origin for it; without it each docs page visit logs a 404 in the console. */
export const FAVICON_PATH = "/favicon.ico";

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

/**
 * Where the swagger-ui-dist files are: the npm package when running from source or a compiled
 * binary; `swagger-ui/` next to the program in the JavaScript bundle (scripts/bundle.sh copies
 * them there), where the package's own path helper cannot work.
 */
function assetsDir(): string {
  try {
    return getAbsoluteFSPath();
  } catch {
    return new URL("./swagger-ui/", import.meta.url).pathname;
  }
}

export function mountDocs(app: OpenAPIHono<GatewayEnv>, specUrl = "/openapi.json"): void {
  const dir = assetsDir();
  const cache = new Map<string, Promise<Uint8Array>>();
  const serveAsset = async (file: string) => {
    let bytes = cache.get(file);
    if (!bytes) {
      bytes = Deno.readFile(`${dir}/${file}`);
      cache.set(file, bytes);
      bytes.catch(() => cache.delete(file));
    }
    return new Response(await bytes as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": ASSETS[file], "cache-control": "public, max-age=86400" },
    });
  };
  app.get(DOCS_PATH, swaggerUI({ url: specUrl, baseUrl: ASSETS_PREFIX, title: "Helios API" }));
  // Only the names in ASSETS are served; the metrics and access log label the route by this path.
  app.get(`${ASSETS_PREFIX}/swagger-ui-dist/:file`, (c) => {
    const file = c.req.param("file");
    if (!Object.hasOwn(ASSETS, file)) throw new NotFoundError(`No docs asset "${file}"`);
    return serveAsset(file);
  });
  // A PNG under the .ico name: every browser sniffs the image type.
  app.get(FAVICON_PATH, () => serveAsset("favicon-32x32.png"));
}
