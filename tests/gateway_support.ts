/**
 * Shared support for the gateway tests: a gateway built in-process over a memory ATLAS with a
 * scripted authenticator, served on 127.0.0.1:0; and a small JSON Schema checker for the subset
 * our generated OpenAPI 3.1 document uses (type/nullable, properties, required, items, enum,
 * string and number bounds, additionalProperties, $ref, anyOf/oneOf).
 */
import { configSchema, type HeliosConfig } from "../src/config/schema.ts";
import { Logger } from "../src/observability/logger.ts";
import { MetricsRegistry } from "../src/observability/metrics.ts";
import { serveHttp } from "../src/lib/http_server.ts";
import { buildGateway, type BuildGatewayOptions, type Gateway } from "../routes/build.ts";
import type { GatewayAuth } from "../routes/build.ts";
import { memoryAtlas } from "../src/gateway/testing/memory_atlas.ts";
import { UnauthorizedError } from "../src/errors/app_error.ts";
import type { Principal } from "../src/rbac/policy.ts";
import type { Clock } from "../src/lib/clock.ts";
import type { AtlasClient } from "../src/storage/atlas_client.ts";

/** Bearer tokens the scripted authenticator accepts, and whom they stand for. */
export const TOKENS: Record<string, Principal> = {
  "admin-token": {
    kind: "user",
    userId: "u_admin",
    username: "admin",
    roles: ["admin"],
    rules: ["*"],
  },
  "reader-token": {
    kind: "user",
    userId: "u_reader",
    username: "reader",
    roles: ["readonly"],
    rules: ["kv:read", "kv:list"],
  },
  "hlt_api-token": {
    kind: "api_token",
    userId: "u_admin",
    username: "admin",
    roles: ["admin"],
    rules: ["kv:*"],
    tokenId: "t_1",
  },
};

export function scriptedAuth(): GatewayAuth {
  return {
    authenticator: {
      authenticateBearer(credential) {
        const principal = TOKENS[credential];
        return principal
          ? Promise.resolve(principal)
          : Promise.reject(new UnauthorizedError("Invalid or expired token", "invalid_token"));
      },
      onDenied() {},
    },
  };
}

export interface TestGateway {
  base: string;
  gateway: Gateway;
  atlas: AtlasClient;
  config: HeliosConfig;
  logs: string[];
  metrics: MetricsRegistry;
  close(): Promise<void>;
}

/** Builds and serves a gateway; `gateway` config keys override the defaults. */
export function startGateway(
  options: {
    gateway?: Record<string, unknown>;
    clock?: Clock;
    atlas?: AtlasClient;
    build?: Partial<BuildGatewayOptions>;
  } = {},
): TestGateway {
  const config = configSchema.parse({ gateway: { listen: "127.0.0.1:0", ...options.gateway } });
  const logs: string[] = [];
  const logger = new Logger("gateway", { sink: (line) => logs.push(line) });
  const metrics = new MetricsRegistry({ defaultMetrics: false });
  const atlas = options.atlas ?? memoryAtlas(options.clock).client;
  const gateway = buildGateway({
    config,
    logger,
    metrics,
    atlas,
    clock: options.clock,
    auth: scriptedAuth(),
    ...options.build,
  });
  const server = serveHttp({
    address: { hostname: "127.0.0.1", port: 0 },
    handler: gateway.fetch,
    logger,
    name: "gateway",
  });
  return {
    base: `http://127.0.0.1:${server.address.port}`,
    gateway,
    atlas,
    config,
    logs,
    metrics,
    close: () => server.close(500),
  };
}

type Schema = Record<string, unknown>;

/** Errors of `value` against `schema` (empty when valid), resolving $ref in `spec`. */
export function schemaErrors(schema: Schema, value: unknown, spec: Schema, path = "$"): string[] {
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = (spec.components as { schemas: Record<string, Schema> }).schemas[name];
    if (!target) return [`${path}: unresolved ${schema.$ref}`];
    return schemaErrors(target, value, spec, path);
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key] as Schema[] | undefined;
    if (options) {
      const ok = options.some((option) => schemaErrors(option, value, spec, path).length === 0);
      if (!ok) return [`${path}: matches none of ${key}`];
    }
  }
  const errors: string[] = [];
  const types = schema.type === undefined ? [] : ([] as unknown[]).concat(schema.type);
  if (types.length > 0 && !types.some((type) => hasType(value, String(type)))) {
    return [`${path}: expected ${types.join("|")}, got ${JSON.stringify(value)?.slice(0, 60)}`];
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) {
    errors.push(`${path}: not in enum`);
  }
  if ("const" in schema && schema.const !== value) errors.push(`${path}: not ${schema.const}`);
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength) {
      errors.push(`${path}: shorter than ${schema.minLength}`);
    }
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength) {
      errors.push(`${path}: longer than ${schema.maxLength}`);
    }
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) errors.push(`${path}: < min`);
    if (typeof schema.maximum === "number" && value > schema.maximum) errors.push(`${path}: > max`);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) =>
      errors.push(...schemaErrors(schema.items as Schema, item, spec, `${path}[${i}]`))
    );
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const required of (schema.required ?? []) as string[]) {
      if (!(required in record)) errors.push(`${path}.${required}: missing`);
    }
    for (const [key, item] of Object.entries(record)) {
      if (properties[key]) {
        errors.push(...schemaErrors(properties[key], item, spec, `${path}.${key}`));
      } else if (schema.additionalProperties === false) errors.push(`${path}.${key}: not allowed`);
      else if (typeof schema.additionalProperties === "object") {
        errors.push(
          ...schemaErrors(schema.additionalProperties as Schema, item, spec, `${path}.${key}`),
        );
      }
    }
  }
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "array":
      return Array.isArray(value);
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    default:
      return false;
  }
}

/**
 * Checks a live response against the spec: the status is documented for the operation, and the
 * body matches the documented schema for its content type. Returns the parsed body.
 */
export async function conforms(
  spec: Schema,
  method: string,
  template: string,
  response: Response,
): Promise<unknown> {
  const paths = spec.paths as Record<string, Record<string, Schema>>;
  const operation = paths[template]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${template} is not in the spec`);
  const responses = operation.responses as Record<string, Schema>;
  const documented = responses[String(response.status)];
  if (!documented) {
    throw new Error(`${method} ${template}: status ${response.status} is not documented`);
  }
  const text = await response.text();
  const content = documented.content as Record<string, { schema: Schema }> | undefined;
  if (!content) {
    if (text.length > 0) {
      throw new Error(`${method} ${template} ${response.status}: unexpected body`);
    }
    return null;
  }
  const type = (response.headers.get("content-type") ?? "").split(";")[0];
  const entry = content[type];
  if (!entry) {
    throw new Error(`${method} ${template} ${response.status}: undocumented type ${type}`);
  }
  const body = JSON.parse(text);
  const errors = schemaErrors(entry.schema, body, spec);
  if (errors.length > 0) {
    throw new Error(`${method} ${template} ${response.status}: ${errors.join("; ")}`);
  }
  return body;
}
