/**
 * The gateway's entry points. `createGateway` (assemble.ts) builds the real gateway with auth,
 * KV, jobs and docs — helios serve, helios gateway and the framework API use it; `buildGateway`
 * (build.ts) is the synchronous assembly it wraps; `createGatewayApp` (app.ts) is the bare
 * skeleton: middleware in order (request id → metrics → access log → security headers → CORS →
 * body limit → timeout → auth context → rate limit), health routes, /openapi.json, the
 * problem+json funnel.
 */
export { createGatewayApp, type GatewayDeps } from "./app.ts";
export { buildGateway, type BuildGatewayOptions, type Gateway } from "./build.ts";
export {
  createGateway,
  type CreateGatewayOptions,
  registerGatewayCommands,
  type RunningGateway,
} from "./assemble.ts";
