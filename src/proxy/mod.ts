/** The reverse proxy: `helios proxy` and anything embedding it use this entry point. */
export { mountProxyAdmin } from "./admin.ts";
export {
  backendsConfig,
  parseRoutesText,
  RoutesConfigError,
  type RoutesFile,
  routesFileSchema,
  validateRoutes,
} from "./config.ts";
export { type ProxyOptions, ProxyService } from "./service.ts";
export { type RoutesReloader, watchRoutesFile } from "./reload.ts";
