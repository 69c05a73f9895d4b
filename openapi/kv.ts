/**
 * The KV API contract: schemas and route definitions (no handlers). Every route carries its
 * permission through secureRoute; the same zod schemas validate requests and generate the spec.
 */
import { z } from "@hono/zod-openapi";
import { problemResponse } from "./problem.ts";
import { secureRoute } from "./secure_route.ts";

export const KEY_CHARS_MAX = 400;

// deno-lint-ignore no-control-regex
const NO_CONTROL = /^[^\x00-\x1f\x7f]+$/;

export const KeyParam = z.object({
  key: z.string().min(1).max(KEY_CHARS_MAX).regex(NO_CONTROL).openapi({
    param: { name: "key", in: "path", required: true },
    description: "The key (URL-encode `/` as %2F). UTF-8, at most 400 bytes, no control characters",
    example: "orders/42",
  }),
});

export const KvEntrySchema = z.object({
  key: z.string().openapi({ example: "orders/42" }),
  value: z.string().openapi({ example: "shipped" }),
  ttl: z.number().int().nullable().openapi({
    description: "Seconds until the key expires; null when it does not expire",
    example: 3600,
  }),
}).openapi("KvEntry");

export const KvWriteSchema = z.object({
  value: z.string().openapi({ description: "UTF-8 text, at most 512 KiB", example: "shipped" }),
  ttl: z.number().int().min(1).max(315_360_000).nullable().optional().openapi({
    description: "Expire the key after this many seconds; omit or null to keep it",
    example: 3600,
  }),
}).strict().openapi("KvWrite");

export const KvListSchema = z.object({
  keys: z.array(z.string()).openapi({ example: ["orders/41", "orders/42"] }),
  cursor: z.string().nullable().openapi({
    description: "Pass as `cursor` to get the next page; null when the listing is complete",
    example: "MTIuMA",
  }),
}).openapi("KvList");

export const KvListQuery = z.object({
  prefix: z.string().max(KEY_CHARS_MAX).regex(NO_CONTROL).optional().openapi({
    param: { name: "prefix", in: "query" },
    example: "orders/",
  }),
  cursor: z.string().max(64).optional().openapi({ param: { name: "cursor", in: "query" } }),
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({
    param: { name: "limit", in: "query" },
    description: "Page size (default 100)",
    example: 100,
  }),
});

const ETagHeader = {
  ETag: { description: "Entity tag of the stored value", schema: { type: "string" as const } },
};

/** Headers every rate-limited response carries (draft-ietf-httpapi-ratelimit-headers). */
export const RateLimitResponseHeaders = {
  "RateLimit-Policy": {
    description: 'The quota, e.g. `"default";q=100;w=100`',
    schema: { type: "string" as const },
  },
  "RateLimit": {
    description: 'Remaining quota and seconds to refill, e.g. `"default";r=99;t=1`',
    schema: { type: "string" as const },
  },
};

/** Error responses every API route can give, beyond 401/403 from secureRoute. */
export const COMMON_ERRORS = {
  400: problemResponse("Invalid path, query, header or body"),
  429: {
    ...problemResponse("Rate limit exceeded; retry after `Retry-After` seconds"),
    headers: {
      "Retry-After": { description: "Seconds to wait", schema: { type: "integer" as const } },
      ...RateLimitResponseHeaders,
    },
  },
  500: problemResponse("Unexpected error (the request id identifies it in the log)"),
  503: problemResponse("Storage unavailable"),
  504: problemResponse("Request took longer than gateway.request_timeout"),
};

/**
 * Conditional request headers, documented as plain parameters: the handlers read and check them
 * strictly (src/kv/etag.ts parsePrecondition, 400 on a form we cannot honour), so a zod pass over
 * every request header would only cost time.
 */
function headerParam(name: string, description: string) {
  // No `example`: Swagger UI's "Try it out" sends a parameter's example as its value, so POST
  // went out with both headers (400) and DELETE with an ETag no value has (412).
  return {
    name,
    in: "header" as const,
    required: false,
    description,
    schema: { type: "string" as const, maxLength: 256 },
  };
}
const IF_MATCH_WRITE = headerParam(
  "if-match",
  "Write only if the current value has this ETag (compare-and-set), as GET returned it: " +
    '`"3q2-7wEAAAAAAAAAAAAAAA"`; `*` = only if it exists',
);
const IF_NONE_MATCH_WRITE = headerParam(
  "if-none-match",
  "`*`: create only, fail with 412 if the key exists",
);
const IF_NONE_MATCH_READ = headerParam(
  "if-none-match",
  "Answer 304 when the value still has this ETag (as a previous GET returned it)",
);
const IF_MATCH_DELETE = headerParam(
  "if-match",
  "Delete only if the current value has this ETag (as GET returned it)",
);

export const setKeyRoute = secureRoute({
  method: "post",
  operationId: "setKey",
  path: "/api/v1/kv/{key}",
  permission: "kv:write:{key}",
  tags: ["kv"],
  summary: "Set a key",
  description: "Stores the value. Conditional with `If-None-Match: *` (create only) or " +
    "`If-Match: <etag>` (compare-and-set); both are atomic in ATLAS.",
  parameters: [IF_MATCH_WRITE, IF_NONE_MATCH_WRITE],
  request: {
    params: KeyParam,
    body: {
      required: true,
      content: {
        "application/json": { schema: KvWriteSchema, example: { value: "shipped", ttl: 3600 } },
      },
    },
  },
  responses: {
    200: {
      description: "Stored",
      headers: { ...ETagHeader, ...RateLimitResponseHeaders },
      content: { "application/json": { schema: KvEntrySchema } },
    },
    201: {
      description: "Created (If-None-Match: *)",
      headers: { ...ETagHeader, ...RateLimitResponseHeaders },
      content: { "application/json": { schema: KvEntrySchema } },
    },
    412: problemResponse("The precondition (If-Match / If-None-Match) failed"),
    413: problemResponse("Body or value too large"),
    ...COMMON_ERRORS,
  },
});

export const getKeyRoute = secureRoute({
  method: "get",
  operationId: "getKey",
  path: "/api/v1/kv/{key}",
  permission: "kv:read:{key}",
  tags: ["kv"],
  summary: "Get a key",
  parameters: [IF_NONE_MATCH_READ],
  request: { params: KeyParam },
  responses: {
    200: {
      description: "The value, its TTL and its ETag",
      headers: { ...ETagHeader, ...RateLimitResponseHeaders },
      content: {
        "application/json": {
          schema: KvEntrySchema,
          example: { key: "orders/42", value: "shipped", ttl: null },
        },
      },
    },
    304: { description: "Not modified (If-None-Match matched)", headers: ETagHeader },
    404: problemResponse("No such key"),
    ...COMMON_ERRORS,
  },
});

export const deleteKeyRoute = secureRoute({
  method: "delete",
  operationId: "deleteKey",
  path: "/api/v1/kv/{key}",
  permission: "kv:delete:{key}",
  tags: ["kv"],
  summary: "Delete a key",
  parameters: [IF_MATCH_DELETE],
  request: { params: KeyParam },
  responses: {
    204: { description: "Deleted", headers: RateLimitResponseHeaders },
    404: problemResponse("No such key"),
    412: problemResponse("If-Match did not match"),
    ...COMMON_ERRORS,
  },
});

export const listKeysRoute = secureRoute({
  method: "get",
  operationId: "listKeys",
  path: "/api/v1/kv",
  permission: "kv:list",
  tags: ["kv"],
  summary: "List keys by prefix",
  description: "One page of keys (SCAN order, bounded work). Follow `cursor` until it is null; " +
    "keys written during the listing may or may not appear.",
  request: { query: KvListQuery },
  responses: {
    200: {
      description: "A page of keys",
      headers: RateLimitResponseHeaders,
      content: { "application/json": { schema: KvListSchema } },
    },
    ...COMMON_ERRORS,
  },
});
