import type { Logger } from "../src/observability/logger.ts";
import type { AuthVariables } from "../src/auth/middleware.ts";

/** Typed Hono context variables shared by every gateway route and middleware. */
export interface GatewayVariables extends AuthVariables {
  requestId: string;
  /** The request-scoped logger (carries request_id). */
  logger: Logger;
}

export interface GatewayEnv {
  Variables: GatewayVariables;
}
