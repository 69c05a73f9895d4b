/** The job queue: state machine (ATLAS module), service, worker runner and handlers. */
export { registerQueueCommands } from "./module.ts";
export {
  type ClaimInput,
  type EnqueueInput,
  errorFromReply,
  JobService,
  type JobServiceOptions,
  type LeaseRef,
} from "./service.ts";
export { DEFAULT_QUEUE_SETTINGS, type QueueSettings, queueSettingsFrom } from "./settings.ts";
export { iso, type JobView, parseStored } from "./view.ts";
export { QUEUE_LIMITS } from "./limits.ts";
export type * from "./types.ts";
export {
  defaultHandlers,
  HandlerRegistry,
  httpHandler,
  HttpJobApi,
  InProcessJobApi,
  type JobContext,
  JobFailure,
  type JobHandler,
  RespJobApi,
  type RespJobApiOptions,
  startEmbeddedWorker,
  type WorkerJobApi,
  WorkerRunner,
  workerSettingsFrom,
} from "./worker/mod.ts";
