/**
 * Shared support for the job tests: a gateway (buildGateway, as serve assembles it) with the job
 * routes over a real in-memory ATLAS Store that has the JOB.* commands, and scripted tokens.
 */
import { configSchema } from "../src/config/schema.ts";
import { Logger } from "../src/observability/logger.ts";
import { MetricsRegistry } from "../src/observability/metrics.ts";
import { buildGateway, type Gateway } from "../routes/mod.ts";
import { mountJobRoutes } from "../routes/jobs.ts";
import { UnauthorizedError } from "../src/errors/app_error.ts";
import type { Principal } from "../src/rbac/policy.ts";
import { type Clock, systemClock } from "../src/lib/clock.ts";
import { JobService, type QueueSettings } from "../src/queue/mod.ts";
import { type MemoryJobs, memoryJobs } from "../src/queue/testing/memory_jobs.ts";

function principal(name: string, rules: string[]): Principal {
  return { kind: "user", userId: `u_${name}`, username: name, roles: [name], rules };
}

export const JOB_TOKENS: Record<string, Principal> = {
  "admin-token": principal("admin", ["*"]),
  "worker-token": principal("worker", ["jobs:*"]),
  "emails-token": principal("emails", ["jobs:enqueue:emails", "jobs:read"]),
};

export interface JobGateway {
  gateway: Gateway;
  jobs: JobService;
  memory: MemoryJobs;
  metrics: MetricsRegistry;
  request(method: string, path: string, body?: unknown, token?: string): Promise<Response>;
}

export function jobGateway(
  options: { clock?: Clock; settings?: Partial<QueueSettings>; rateLimit?: boolean } = {},
): JobGateway {
  const clock = options.clock ?? systemClock;
  const config = configSchema.parse({
    gateway: { listen: "127.0.0.1:0", rate_limit: { enabled: options.rateLimit ?? false } },
  });
  const logger = new Logger("gateway", { sink: () => {} });
  const metrics = new MetricsRegistry({ defaultMetrics: false });
  const memory = memoryJobs(clock);
  const jobs = new JobService({
    client: memory.client,
    clock,
    metrics,
    settings: options.settings,
  });
  const gateway = buildGateway({
    config,
    logger,
    metrics,
    atlas: memory.client,
    clock,
    auth: {
      authenticator: {
        authenticateBearer: (credential) =>
          JOB_TOKENS[credential]
            ? Promise.resolve(JOB_TOKENS[credential])
            : Promise.reject(new UnauthorizedError("Invalid token", "invalid_token")),
        onDenied() {},
      },
    },
    extend: (app, built) => mountJobRoutes(app, jobs, built.rateLimitRules),
  });
  const request = (method: string, path: string, body?: unknown, token = "admin-token") =>
    Promise.resolve(gateway.fetch(
      new Request(`http://localhost${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    ));
  return { gateway, jobs, memory, metrics, request };
}
