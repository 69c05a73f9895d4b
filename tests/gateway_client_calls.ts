/**
 * Typed calls through openapi-fetch. The types come from the generated OpenAPI types, so when the
 * spec drifts (a renamed field, a removed route, a changed status) this file stops type-checking.
 */
import createClient from "openapi-fetch";
import type { paths } from "./gateway_api_types.ts";

export interface ClientRun {
  createdStatus: number;
  value: string;
  ttl: number | null;
  etag: string | null;
  keys: string[];
  healthy: "ok";
}

export async function exercise(baseUrl: string, token: string): Promise<ClientRun> {
  const client = createClient<paths>({
    baseUrl,
    headers: { authorization: `Bearer ${token}` },
  });
  const health = await client.GET("/healthz");
  if (!health.data) throw new Error("healthz failed");
  const created = await client.POST("/api/v1/kv/{key}", {
    params: { path: { key: "typed/1" }, header: { "if-none-match": "*" } },
    body: { value: "from a typed client", ttl: 60 },
  });
  if (!created.data) throw new Error(`set failed: ${JSON.stringify(created.error)}`);
  const got = await client.GET("/api/v1/kv/{key}", { params: { path: { key: "typed/1" } } });
  if (!got.data) throw new Error(`get failed: ${JSON.stringify(got.error)}`);
  const listed = await client.GET("/api/v1/kv", {
    params: { query: { prefix: "typed/", limit: 10 } },
  });
  if (!listed.data) throw new Error("list failed");
  const removed = await client.DELETE("/api/v1/kv/{key}", { params: { path: { key: "typed/1" } } });
  if (removed.response.status !== 204) throw new Error("delete failed");
  const missing = await client.GET("/api/v1/kv/{key}", { params: { path: { key: "typed/1" } } });
  if (missing.error?.status !== 404) throw new Error("expected a 404 problem");
  return {
    createdStatus: created.response.status,
    value: got.data.value,
    ttl: got.data.ttl,
    etag: got.response.headers.get("etag"),
    keys: listed.data.keys,
    healthy: health.data.status,
  };
}
