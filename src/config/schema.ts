/**
 * The configuration schema: every key, its type and its default. configs/config.yaml documents
 * the same keys; a test keeps the two in step. Unknown keys are errors (typos must not pass).
 * Durations are strings like "150ms", "5s", "5m"; they are validated here and converted by
 * `durationMs` where used.
 */
import { z } from "zod";
import { parseDurationMs } from "../lib/duration.ts";
import { parseHostPort } from "../lib/address.ts";

const duration = z.string().refine((text) => parseDurationMs(text) !== null, {
  message: 'must be a duration such as "150ms", "5s", "5m" or "1h"',
});
const address = z.string().refine((text) => parseHostPort(text) !== null, {
  message: 'must be an address "HOST:PORT" or ":PORT"',
});
const port = z.number().int().min(0).max(65535);

/** `resp_addr`: where this node dials the peer's RESP listener to forward writes while it leads. */
const raftPeer = z.object({ id: z.string().min(1), addr: address, resp_addr: address.optional() })
  .strict();

export const raftSchema = z.object({
  enabled: z.boolean().default(false),
  node_id: z.string().min(1).default("node-1"),
  bind_addr: address.default("127.0.0.1:7000"),
  data_dir: z.string().default(""),
  heartbeat_timeout: duration.default("50ms"),
  election_timeout: duration.default("500ms"),
  snapshot_threshold: z.number().int().min(1).default(10_000),
  peers: z.array(raftPeer).default([]),
  join: z.boolean().default(false),
  secret: z.string().default(""),
  read_consistency: z.enum(["linearizable", "stale"]).default("linearizable"),
  tls_cert: z.string().default(""),
  tls_key: z.string().default(""),
}).strict();

export const atlasSchema = z.object({
  data_dir: z.string().min(1).default("./data"),
  listen: address.default(":6379"),
  aof_fsync: z.enum(["every", "interval", "none"]).default("every"),
  aof_load_truncated: z.boolean().default(true),
  snapshot_interval_time: duration.default("5m"),
  snapshot_interval_cmds: z.number().int().min(0).default(100_000),
  snapshot_min_interval: duration.default("60s"),
  /**
   * Redis's auto-aof-rewrite-percentage and -min-size: a snapshot (which compacts the AOF) once
   * the AOF has grown past this percentage of the last snapshot's size (0 = never) and past this
   * many bytes.
   */
  aof_rewrite_percentage: z.number().int().min(0).max(2_147_483_647).default(100),
  aof_rewrite_min_size: z.number().int().min(0).default(64 * 1024 * 1024),
  maxmemory: z.number().int().min(0).default(0),
  maxmemory_policy: z.enum([
    "noeviction",
    "allkeys-lru",
    "volatile-lru",
    "allkeys-random",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lfu",
    "volatile-lfu",
  ]).default("noeviction"),
  /**
   * Redis's maxmemory-clients: once RESP clients together hold this many bytes (or this share of
   * maxmemory, "10%"), the largest are closed (0 = off).
   */
  maxmemory_clients: z.union([
    z.number().int().min(0),
    z.string().regex(/^(100|[1-9]?\d)%$/, 'bytes, or a percentage up to "100%"'),
  ]).default(0),
  requirepass: z.string().default(""),
  /** Redis's `aclfile`: ACL users loaded at start, and by ACL LOAD; ACL SAVE writes them. */
  aclfile: z.string().default(""),
  protected_mode: z.boolean().default(true),
  maxclients: z.number().int().min(1).default(10_000),
  /**
   * Redis's `databases`: SELECT 0 to databases - 1, standalone or in a Raft cluster (where every
   * member must have the same count).
   */
  databases: z.number().int().min(1).max(10_000).default(16),
  /** Redis's `timeout`: close a RESP client idle this many seconds (0 = never). */
  timeout: z.number().int().min(0).max(2_147_483_647).default(0),
  /** Redis's notify-keyspace-events letters (e.g. "KEA"); "" = no keyspace notifications. */
  notify_keyspace_events: z.string().regex(/^[Ag$lshzxeKEtmdn]*$/, {
    message: "letters from Ag$lshzxeKEtmdn (Redis's notify-keyspace-events)",
  }).default(""),
  raft: raftSchema.default(() => raftSchema.parse({})),
}).strict();

const rateLimitPolicy = z.object({
  capacity: z.number().int().min(1).max(1_000_000),
  rate_num: z.number().int().min(1).max(1_000_000),
  rate_den: z.number().int().min(1).max(86_400),
}).strict();
const rateLimitRoute = rateLimitPolicy.extend({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/).optional(),
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]),
  path: z.string().regex(/^\//, { message: "must be an OpenAPI path such as /api/v1/kv/{key}" }),
}).strict();

export const rateLimitSchema = z.object({
  enabled: z.boolean().default(true),
  default_capacity: z.number().int().min(1).default(100),
  default_rate_num: z.number().int().min(1).default(1),
  default_rate_den: z.number().int().min(1).default(1),
  store: z.enum(["local", "atlas"]).default("local"),
  fail_open: z.boolean().default(true),
  trusted_proxies: z.array(z.string()).default([]),
  /** Per-route policies (method + OpenAPI path); a route policy wins over a role policy. */
  routes: z.array(rateLimitRoute).max(1000).default([]),
  /** Per-role policies: the first of the caller's roles listed here applies. */
  roles: z.record(z.string().min(1).max(64), rateLimitPolicy).default({}),
}).strict();

export const gatewaySchema = z.object({
  listen: address.default(":8443"),
  atlas: z.string().default(""),
  jwt_secret: z.string().default(""),
  jwt_expiry: duration.default("15m"),
  refresh_expiry: duration.default("720h"),
  bcrypt_cost: z.number().int().min(10).max(16).default(10),
  default_role: z.string().min(1).default("user"),
  jwt_issuer: z.string().min(1).default("helios"),
  jwt_audience: z.string().min(1).default("helios-api"),
  jwt_clock_skew: duration.refine((text) => parseDurationMs(text)! <= 300_000, {
    message: "must be at most 5m",
  }).default("30s"),
  refresh_grace: duration.refine((text) => parseDurationMs(text)! <= 60_000, {
    message: "must be at most 60s",
  }).default("10s"),
  password_hash: z.enum(["bcrypt", "argon2id"]).default("bcrypt"),
  password_workers: z.number().int().min(0).max(64).default(0),
  auth_cache_refresh: duration.default("1s"),
  tls_enabled: z.boolean().default(false),
  tls_cert: z.string().default(""),
  tls_key: z.string().default(""),
  body_limit_bytes: z.number().int().min(1).default(1024 * 1024),
  request_timeout: duration.default("30s"),
  cors_origins: z.array(z.string()).default([]),
  rate_limit: rateLimitSchema.default(() => rateLimitSchema.parse({})),
}).strict().refine((gateway) => !gateway.tls_enabled || (gateway.tls_cert && gateway.tls_key), {
  message: "tls_enabled needs tls_cert and tls_key",
  path: ["tls_enabled"],
});

export const circuitBreakerSchema = z.object({
  failure_threshold: z.number().int().min(1).default(5),
  cooldown_sec: z.number().min(0).default(30),
}).strict();

export const proxySchema = z.object({
  listen: address.default(":8080"),
  health_check_interval: duration.default("5s"),
  circuit_breaker: circuitBreakerSchema.default(() => circuitBreakerSchema.parse({})),
  routes_file: z.string().default(""),
  admin_token: z.string().default(""),
}).strict();

export const workerSchema = z.object({
  id: z.string().default(""),
  gateway: z.string().default("http://127.0.0.1:8443"),
  poll_interval: duration.default("5s"),
  max_attempts: z.number().int().min(1).default(3),
  visibility_timeout: duration.default("300s"),
  concurrency: z.number().int().min(1).max(1024).default(4),
  queues: z.array(z.string()).default(["default"]),
  // Job queue policy (docs/jobs.md). Defaults for jobs that do not set their own.
  backoff: z.enum(["exponential", "fixed", "none"]).default("exponential"),
  backoff_delay: duration.default("1s"),
  backoff_max: duration.default("10m"),
  dedupe_window: duration.default("24h"),
  retention_age: duration.default("24h"),
  retention_count: z.number().int().min(0).default(10_000),
  dead_retention_age: duration.default("168h"),
  reap_interval: duration.default("1s"),
  /** How long SIGTERM waits for running jobs before releasing them. */
  shutdown_timeout: duration.default("8s"),
  /** `helios serve` runs an in-process worker on `queues` unless this is false. */
  embedded: z.boolean().default(true),
}).strict();

export const observabilitySchema = z.object({
  log_level: z.enum(["debug", "info", "warn", "error"]).default("info"),
  metrics_listen: address.default(":9090"),
  metrics_port: port.optional(),
}).strict();

export const configSchema = z.object({
  atlas: atlasSchema.default(() => atlasSchema.parse({})),
  gateway: gatewaySchema.default(() => gatewaySchema.parse({})),
  proxy: proxySchema.default(() => proxySchema.parse({})),
  worker: workerSchema.default(() => workerSchema.parse({})),
  observability: observabilitySchema.default(() => observabilitySchema.parse({})),
}).strict();

export type HeliosConfig = z.infer<typeof configSchema>;
export type RaftConfig = z.infer<typeof raftSchema>;
export type AtlasConfig = z.infer<typeof atlasSchema>;
export type GatewayConfig = z.infer<typeof gatewaySchema>;
export type ProxyConfig = z.infer<typeof proxySchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;
export type ObservabilityConfig = z.infer<typeof observabilitySchema>;

/** Keys whose values `config print` redacts. */
export const SECRET_KEYS = ["jwt_secret", "secret", "requirepass", "admin_token", "tls_key"];
