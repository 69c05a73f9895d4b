/** The job worker: runner, protocol clients, handler registry and the built-in `http` handler. */
export { type ClaimRequest, InProcessJobApi, type WorkerJob, type WorkerJobApi } from "./api.ts";
export { HttpJobApi, type HttpJobApiOptions, WorkerApiError } from "./http_api.ts";
export { RespJobApi, type RespJobApiOptions } from "./resp_api.ts";
export { httpHandler, type WebhookPayload } from "./http_handler.ts";
export { HandlerRegistry, type JobContext, JobFailure, type JobHandler } from "./registry.ts";
export { type AbortReason, type WorkerOptions, WorkerRunner } from "./runner.ts";

import { httpHandler } from "./http_handler.ts";
import { HandlerRegistry } from "./registry.ts";

/** A registry with the built-in handlers (`http`). */
export function defaultHandlers(): HandlerRegistry {
  return new HandlerRegistry().handle("http", httpHandler);
}
export { startEmbeddedWorker, type WorkerSettings, workerSettingsFrom } from "./embedded.ts";
