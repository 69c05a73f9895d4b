/** Small RespValue builders for server tests (the shapes RawClient parses). */
import type { RespValue } from "./atlasd_harness.ts";

export const int = (v: number): RespValue => ({ t: "integer", v });
export const bulk = (v: string): RespValue => ({ t: "bulk", v });
export const simple = (v: string): RespValue => ({ t: "simple", v });
export const err = (v: string): RespValue => ({ t: "error", v });
export const arr = (...v: RespValue[]): RespValue => ({ t: "array", v });
export const push = (...v: RespValue[]): RespValue => ({ t: "push", v });
export const NIL: RespValue = { t: "nil" };
export const OK: RespValue = simple("OK");
