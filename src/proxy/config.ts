/**
 * The routes/upstreams file (`proxy.routes_file`, YAML or JSON) and the admin PUT body share this
 * schema. Routes are matched in declared order; each names an upstream pool. Durations are
 * strings ("2s", "150ms"). Everything has a default so a small file stays small.
 */
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { parseDurationMs } from "../lib/duration.ts";
import { parseCidr } from "./cidr.ts";

const duration = z.string().refine((text) => parseDurationMs(text) !== null, {
  message: 'must be a duration such as "150ms", "5s" or "1m"',
});

/** Bounds on the file itself: a routes file is configuration, not data. */
export const ROUTES_MAX = 1000;
export const UPSTREAMS_MAX = 200;
export const TARGETS_PER_UPSTREAM_MAX = 256;

const targetSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  weight: z.number().int().min(1).max(1000).default(1),
}).strict();

const hashOnSchema = z.object({
  source: z.enum(["ip", "header", "cookie"]).default("ip"),
  name: z.string().default(""),
}).strict().refine((h) => h.source === "ip" || h.name !== "", {
  message: "header and cookie hashing need a name",
});

export const healthCheckSchema = z.object({
  enabled: z.boolean().default(true),
  path: z.string().startsWith("/").default("/"),
  /** Empty means `proxy.health_check_interval`. */
  interval: duration.optional(),
  timeout: duration.default("2s"),
  /** Statuses counted healthy; empty means 200-399. */
  expected_status: z.array(z.number().int().min(100).max(599)).default([]),
  healthy_threshold: z.number().int().min(1).max(100).default(2),
  unhealthy_threshold: z.number().int().min(1).max(100).default(3),
}).strict();

export const outlierSchema = z.object({
  enabled: z.boolean().default(true),
  consecutive_failures: z.number().int().min(1).max(1000).default(5),
  base_ejection_time: duration.default("30s"),
  max_ejection_time: duration.default("300s"),
  max_ejection_percent: z.number().min(0).max(100).default(50),
  /** Below this share of available targets the pool ignores health (panic mode). */
  panic_threshold_percent: z.number().min(0).max(100).default(50),
}).strict();

export const breakerOverrideSchema = z.object({
  failure_threshold: z.number().int().min(1).optional(),
  cooldown: duration.optional(),
  half_open_probes: z.number().int().min(1).max(100).default(1),
}).strict();

export const limitsSchema = z.object({
  max_connections: z.number().int().min(1).default(1024),
  max_requests: z.number().int().min(1).default(1024),
  max_pending: z.number().int().min(0).default(1024),
}).strict();

export const timeoutsSchema = z.object({
  connect: duration.default("5s"),
  response_header: duration.default("30s"),
  idle: duration.default("60s"),
}).strict();

export const retrySchema = z.object({
  attempts: z.number().int().min(1).max(10).default(3),
  budget_percent: z.number().min(0).max(100).default(20),
  /** Retries always allowed per 10 s window, so a quiet proxy can still fail over. */
  min_retries: z.number().int().min(0).default(10),
}).strict();

export const upstreamSchema = z.object({
  balancer: z.enum([
    "round_robin",
    "weighted_round_robin",
    "least_connections",
    "power_of_two",
    "consistent_hash",
  ]).default("weighted_round_robin"),
  hash_on: hashOnSchema.default(() => hashOnSchema.parse({})),
  targets: z.array(targetSchema).min(1).max(TARGETS_PER_UPSTREAM_MAX),
  health_check: healthCheckSchema.default(() => healthCheckSchema.parse({})),
  outlier_detection: outlierSchema.default(() => outlierSchema.parse({})),
  circuit_breaker: breakerOverrideSchema.default(() => breakerOverrideSchema.parse({})),
  limits: limitsSchema.default(() => limitsSchema.parse({})),
  timeouts: timeoutsSchema.default(() => timeoutsSchema.parse({})),
  retries: retrySchema.default(() => retrySchema.parse({})),
  /** Send the client's Host upstream (true) or the target's (false). */
  preserve_host: z.boolean().default(true),
}).strict();

export const routeSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 of A-Z a-z 0-9 _ . -"),
  match: z.object({
    host: z.string().optional(),
    path_prefix: z.string().startsWith("/").default("/"),
    methods: z.array(z.string().regex(/^[A-Z]+$/)).default([]),
    headers: z.record(z.string(), z.string()).default({}),
  }).strict().default(() => ({ path_prefix: "/", methods: [], headers: {} })),
  upstream: z.string(),
  strip_prefix: z.boolean().default(false),
  /** Retry non-idempotent methods too (still never after the body was sent). */
  retryable: z.boolean().default(false),
}).strict();

export const routesFileSchema = z.object({
  trusted_proxies: z.array(z.string().refine((c) => parseCidr(c) !== null, "must be a CIDR"))
    .default([]),
  upstreams: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), upstreamSchema),
  routes: z.array(routeSchema).max(ROUTES_MAX),
}).strict().superRefine((file, ctx) => {
  if (Object.keys(file.upstreams).length > UPSTREAMS_MAX) {
    ctx.addIssue({ code: "custom", path: ["upstreams"], message: `at most ${UPSTREAMS_MAX}` });
  }
  const names = new Set<string>();
  file.routes.forEach((route, index) => {
    if (!(route.upstream in file.upstreams)) {
      ctx.addIssue({
        code: "custom",
        path: ["routes", index, "upstream"],
        message: `unknown upstream "${route.upstream}"`,
      });
    }
    if (names.has(route.name)) {
      ctx.addIssue({ code: "custom", path: ["routes", index, "name"], message: "duplicate name" });
    }
    names.add(route.name);
  });
});

export type RoutesFile = z.infer<typeof routesFileSchema>;
export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;

export class RoutesConfigError extends Error {
  override name = "RoutesConfigError";
  constructor(readonly problems: { path: string; message: string }[], source: string) {
    super(
      `Invalid proxy routes in ${source}:\n` +
        problems.map((p) => `  ${p.path || "(root)"}: ${p.message}`).join("\n"),
    );
  }
}

/** Parses YAML (a superset of JSON) and validates. Throws RoutesConfigError with every problem. */
export function parseRoutesText(text: string, source: string): RoutesFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new RoutesConfigError([{ path: "", message: (error as Error).message }], source);
  }
  return validateRoutes(raw, source);
}

export function validateRoutes(raw: unknown, source: string): RoutesFile {
  const result = routesFileSchema.safeParse(raw);
  if (!result.success) {
    throw new RoutesConfigError(
      result.error.issues.map((issue) => ({
        path: issue.path.map(String).join("."),
        message: issue.message,
      })),
      source,
    );
  }
  return result.data;
}

/** `--backend URL` (repeatable): one pool behind "/" with default health checks. */
export function backendsConfig(urls: string[]): RoutesFile {
  return validateRoutes({
    upstreams: { default: { targets: urls.map((url) => ({ url })) } },
    routes: [{ name: "default", upstream: "default" }],
  }, "--backend");
}

export function durationOf(text: string): number {
  return parseDurationMs(text)!;
}
