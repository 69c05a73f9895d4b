/** Job queue routes: validate (zod, via the route) → one JobService call → respond. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import {
  ackBatchRoute,
  ackJobRoute,
  cancelJobRoute,
  claimJobsRoute,
  enqueueBatchRoute,
  enqueueInQueueRoute,
  enqueueJobRoute,
  getJobRoute,
  heartbeatJobRoute,
  listDeadRoute,
  listJobsRoute,
  listQueuesRoute,
  nackJobRoute,
  purgeDeadRoute,
  redriveDeadRoute,
  releaseJobRoute,
  retryJobRoute,
} from "../openapi/jobs.ts";
import { type EnqueueInput, iso, type JobService, parseStored } from "../src/queue/mod.ts";
import { AppError } from "../src/errors/app_error.ts";
import { addRoutePolicy, type RateLimitRules, routeKey } from "../src/ratelimit/mod.ts";
import type { GatewayEnv } from "./env.ts";
import { mountRoute } from "./mount.ts";

type EnqueueBody = Omit<EnqueueInput, "run_at_ms"> & { run_at?: string };

function enqueueInput(body: EnqueueBody, queue?: string): EnqueueInput {
  const { run_at, ...rest } = body;
  return {
    ...rest,
    ...(queue ? { queue } : {}),
    run_at_ms: run_at ? Date.parse(run_at) : undefined,
  };
}

/** A per-item error of a batch, in the problem's terms. */
function itemError(error: Error) {
  return error instanceof AppError
    ? { status: error.status, code: error.code, detail: error.detail ?? error.message }
    : { status: 500, code: "internal", detail: "Unexpected error" };
}

/**
 * The worker protocol's own rate-limit policy: a worker with N slots makes a few requests per
 * job (claim, heartbeats, ack), far more than the per-caller default allows, and it is an
 * authenticated machine holding jobs:claim/jobs:ack. Routes the config names keep its policy.
 */
export const WORKER_RATE_POLICY = Object.freeze({
  name: "jobs_worker",
  capacity: 5000,
  rateNum: 2000,
  rateDen: 1,
});

function addWorkerRatePolicies(rules: RateLimitRules): void {
  const routes = [
    claimJobsRoute,
    heartbeatJobRoute,
    ackJobRoute,
    ackBatchRoute,
    nackJobRoute,
    releaseJobRoute,
  ];
  for (const route of routes) {
    if (rules.routes.has(routeKey(route.method, route.path))) continue;
    addRoutePolicy(rules, route.method, route.path, WORKER_RATE_POLICY);
  }
}

/**
 * Mounts every /api/v1/jobs and /api/v1/queues route. Pass the gateway's rate-limit rules so the
 * worker protocol gets WORKER_RATE_POLICY instead of the per-caller default.
 */
export function mountJobRoutes(
  app: OpenAPIHono<GatewayEnv>,
  jobs: JobService,
  rateLimitRules?: RateLimitRules,
): void {
  if (rateLimitRules) addWorkerRatePolicies(rateLimitRules);
  mountRoute(app, enqueueJobRoute, async (c) => {
    const out = await jobs.enqueue(enqueueInput(c.req.valid("json")));
    return c.json(out, out.deduplicated ? 200 : 201);
  });
  mountRoute(app, enqueueInQueueRoute, async (c) => {
    const out = await jobs.enqueue(enqueueInput(c.req.valid("json"), c.req.valid("param").queue));
    return c.json(out, out.deduplicated ? 200 : 201);
  });
  mountRoute(app, enqueueBatchRoute, async (c) => {
    const outs = await jobs.enqueueMany(c.req.valid("json").jobs.map((job) => enqueueInput(job)));
    return c.json({
      results: outs.map((out) => ("error" in out ? { error: itemError(out.error) } : out)),
    }, 200);
  });
  mountRoute(app, listJobsRoute, async (c) => c.json(await jobs.list(c.req.valid("query")), 200));
  mountRoute(app, getJobRoute, async (c) => c.json(await jobs.get(c.req.valid("param").id), 200));
  mountRoute(
    app,
    cancelJobRoute,
    async (c) => c.json(await jobs.cancel(c.req.valid("param").id), 200),
  );
  mountRoute(
    app,
    retryJobRoute,
    async (c) => c.json(await jobs.retry(c.req.valid("param").id), 200),
  );
  mountWorkerRoutes(app, jobs);
  mountQueueRoutes(app, jobs);
}

function mountWorkerRoutes(app: OpenAPIHono<GatewayEnv>, jobs: JobService): void {
  mountRoute(app, claimJobsRoute, async (c) => {
    const body = c.req.valid("json");
    // The request's signal, read before any store call: Deno reports a disconnect reliably only
    // on a signal read before it (see JobService.claim).
    const claimed = await jobs.claim({ ...body, worker: body.worker_id }, c.req.raw.signal);
    return c.json({
      jobs: claimed.map(({ lease_expires_at_ms, payload, ...job }) => ({
        ...job,
        lease_expires_at: iso(lease_expires_at_ms),
        payload: parseStored(payload),
      })),
    }, 200);
  });
  mountRoute(app, heartbeatJobRoute, async (c) => {
    const body = c.req.valid("json");
    const out = await jobs.heartbeat(c.req.valid("param").id, { ...body, worker: body.worker_id });
    const expires = out.lease_expires_at_ms;
    return c.json({
      status: out.status,
      cancelled: out.cancelled,
      lease_expires_at: expires === null ? null : iso(expires),
    }, 200);
  });
  mountRoute(app, ackJobRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const out = await jobs.ack(id, { ...body, worker: body.worker_id });
    return c.json({ id, status: out.status }, 200);
  });
  mountRoute(app, ackBatchRoute, async (c) => {
    const { worker_id, acks } = c.req.valid("json");
    const outs = await jobs.ackMany(worker_id, acks);
    return c.json({
      results: outs.map((out, i) => ({
        id: acks[i].id,
        ...("error" in out ? { error: itemError(out.error) } : { status: out.status }),
      })),
    }, 200);
  });
  mountRoute(app, nackJobRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const out = await jobs.nack(id, { ...body, worker: body.worker_id });
    return c.json({
      id,
      status: out.status,
      run_at: out.run_at_ms === null ? null : iso(out.run_at_ms),
    }, 200);
  });
  mountRoute(app, releaseJobRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const out = await jobs.release(id, { ...body, worker: body.worker_id });
    return c.json({ id, status: out.status }, 200);
  });
}

function mountQueueRoutes(app: OpenAPIHono<GatewayEnv>, jobs: JobService): void {
  mountRoute(app, listQueuesRoute, async (c) => {
    const stats = await jobs.queues();
    return c.json({
      queues: stats.map(({ oldest_pending_age_ms, ...s }) => ({
        ...s,
        oldest_pending_age_seconds: oldest_pending_age_ms / 1000,
      })),
    }, 200);
  });
  mountRoute(app, listDeadRoute, async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await jobs.dead(c.req.valid("param").queue, cursor, limit), 200);
  });
  mountRoute(app, redriveDeadRoute, async (c) => {
    return c.json(await jobs.redrive(c.req.valid("param").queue, c.req.valid("json")), 200);
  });
  mountRoute(app, purgeDeadRoute, async (c) => {
    const { before, max } = c.req.valid("json");
    const out = await jobs.purge(c.req.valid("param").queue, {
      max,
      before_ms: before ? Date.parse(before) : undefined,
    });
    return c.json(out, 200);
  });
}
