/**
 * A command's reply, independent of the protocol version. The RESP encoder (atlas/resp) renders
 * each kind as RESP2 or RESP3; in-process callers (the gateway's embedded mode) read it directly.
 *
 * Strings in replies are binary strings: one JS char per byte, char codes 0–255 (see binary.ts).
 * Error texts carry their Redis prefix: "ERR ...", "WRONGTYPE ...", "OOM ...", "NOAUTH ...".
 */
export type Reply =
  | { readonly kind: "simple"; readonly value: string }
  // `counted`: already counted in INFO errorstats where it arose (a command a script ran); the
  // script's reply carrying it on does not count it again (Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE).
  | { readonly kind: "error"; readonly value: string; readonly counted?: true }
  | { readonly kind: "integer"; readonly value: number | bigint }
  // `text`: a text Redis sends RESP3 clients as a verbatim string (`=N\r\ntxt:...`: INFO, CLIENT
  // INFO / LIST, the DOCTORs); a plain bulk string in RESP2 and to in-process callers.
  // `bigNumber`: RESP3 `(` (a script's {big_number=s}); a bulk string otherwise.
  // `attributes`: RESP3 `|` pairs sent ahead of it (DEBUG PROTOCOL attrib); dropped in RESP2.
  | {
    readonly kind: "bulk";
    readonly value: string;
    readonly text?: true;
    readonly bigNumber?: true;
    readonly attributes?: readonly (readonly [Reply, Reply])[];
  }
  | { readonly kind: "nil" } // RESP2 `$-1`, RESP3 `_`
  | { readonly kind: "nilArray" } // RESP2 `*-1`, RESP3 `_`
  // `pairs`: Redis 7 RESP3 nests these items two by two as 2-element arrays (ZRANGE WITHSCORES,
  // ZPOPMIN/ZPOPMAX with a count, ZRANDMEMBER WITHSCORES, HRANDFIELD WITHVALUES); RESP2 keeps the
  // flat array. An encoder that ignores the flag renders the flat form, which RESP2 expects.
  | { readonly kind: "array"; readonly value: readonly Reply[]; readonly pairs?: boolean }
  // RESP3 `,`; RESP2 bulk string. `text` overrides the %.17g rendering where Redis prints the
  // number its own way (GEOPOS coordinates).
  | { readonly kind: "double"; readonly value: number; readonly text?: string }
  | { readonly kind: "bool"; readonly value: boolean } // RESP3 `#`; RESP2 integer 1/0
  // RESP2: a flat array, or with `resp2Pairs` an array of [key, value] arrays (XREAD, XREADGROUP).
  | {
    readonly kind: "map";
    readonly value: readonly (readonly [Reply, Reply])[];
    readonly resp2Pairs?: boolean;
  }
  | { readonly kind: "set"; readonly value: readonly Reply[] } // RESP2: array
  | { readonly kind: "push"; readonly value: readonly Reply[] }; // RESP3 `>`; RESP2: array

export const OK: Reply = Object.freeze({ kind: "simple", value: "OK" });
export const QUEUED: Reply = Object.freeze({ kind: "simple", value: "QUEUED" });
export const PONG: Reply = Object.freeze({ kind: "simple", value: "PONG" });
export const NIL: Reply = Object.freeze({ kind: "nil" });
export const NIL_ARRAY: Reply = Object.freeze({ kind: "nilArray" });
export const EMPTY_ARRAY: Reply = Object.freeze({ kind: "array", value: Object.freeze([]) });

const SMALL_INTEGERS: Reply[] = Array.from(
  { length: 1025 },
  (_, i) => Object.freeze({ kind: "integer", value: i - 1 }) as Reply,
);

/** An integer reply; -1..1023 are shared constants, so the hot path allocates nothing. */
export function integer(value: number | bigint): Reply {
  if (typeof value === "number" && value >= -1 && value <= 1023 && Number.isInteger(value)) {
    return SMALL_INTEGERS[value + 1];
  }
  return { kind: "integer", value };
}

export function bulk(value: string): Reply {
  return { kind: "bulk", value };
}

/** Human-readable text: a verbatim string (format `txt`) in RESP3, a bulk string in RESP2. */
export function verbatimText(value: string): Reply {
  return { kind: "bulk", value, text: true };
}

export function bulkOrNil(value: string | undefined | null): Reply {
  return value === undefined || value === null ? NIL : { kind: "bulk", value };
}

export function simple(value: string): Reply {
  return { kind: "simple", value };
}

/** An error reply. `text` includes the Redis prefix, e.g. "ERR syntax error". */
export function error(text: string): Reply {
  return { kind: "error", value: text };
}

/** An error reply whose error was counted where it arose (see Reply's `counted`). */
export function countedError(text: string): Reply {
  return { kind: "error", value: text, counted: true };
}

export function array(value: readonly Reply[]): Reply {
  return { kind: "array", value };
}

/** A flat [a1, b1, a2, b2, ...] array that RESP3 renders as [[a1, b1], [a2, b2], ...]. */
export function pairsArray(flat: readonly Reply[]): Reply {
  return { kind: "array", value: flat, pairs: true };
}

export function isError(reply: Reply): reply is { kind: "error"; value: string } {
  return reply.kind === "error";
}
