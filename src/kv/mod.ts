/** The KV module: the domain service, its limits, ETags, and the ATLAS module commands. */
export { type KvEntry, type KvPage, KvService, type ListOptions } from "./service.ts";
export { DEFAULT_KV_LIMITS, KV_NAMESPACE, type KvLimits } from "./limits.ts";
export { etagOfText, parsePrecondition, type Precondition } from "./etag.ts";
export { register as registerKvCommands } from "./atlas_command.ts";
