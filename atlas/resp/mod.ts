export { RespParser } from "./parser.ts";
export { type ProtocolVersion, RespWriter } from "./encoder.ts";
export { DEFAULT_RESP_LIMITS, type RespLimits } from "./limits.ts";
export { formatDouble } from "./double.ts";
export { splitInlineArgs } from "./inline.ts";
