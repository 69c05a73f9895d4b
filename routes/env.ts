import type { Logger } from "../src/observability/logger.ts";

/** Typed Hono context variables shared by every gateway route and middleware. */
export interface GatewayVariables {
  requestId: string;
  /** The request-scoped logger (carries request_id). */
  logger: Logger;
}

export interface GatewayEnv {
  Variables: GatewayVariables;
}
