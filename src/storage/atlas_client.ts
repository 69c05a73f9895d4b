/**
 * How Helios's own features (auth, rate limits, KV API, jobs) talk to ATLAS. The same domain code
 * runs embedded (in-process engine) and remote (RESP to `helios atlasd`, one node or a cluster).
 *
 * Domain code speaks JS strings: arguments are UTF-8 encoded on the way in, bulk replies decoded
 * from UTF-8 on the way out. Error replies come back as values (`{kind:"error"}`), never thrown;
 * only an unreachable or failed store throws (UnavailableError).
 */
import type { Reply } from "../../atlas/mod.ts";

export type { Reply };

/** A reply with bulk strings decoded to JS strings. */
export type Value =
  | string
  | number
  | bigint
  | boolean
  | null
  | Value[]
  | { error: string };

export interface AtlasClient {
  /** Runs one command; resolves once the store acknowledged it as durable as configured. */
  call(command: string, ...args: (string | number)[]): Promise<Value>;
  /** Runs the commands as one atomic transaction (MULTI/EXEC); one result per command. */
  transaction(commands: (string | number)[][]): Promise<Value[]>;
  /**
   * Whether the store can be reached now (the gateway's /readyz). Absent: always (an embedded
   * engine is loaded before anything is served).
   */
  ready?(): boolean;
  close(): Promise<void>;
}

/** Thrown by helpers that expect success when the store answered an error reply. */
export class AtlasReplyError extends Error {
  override name = "AtlasReplyError";
  constructor(readonly reply: string, command: string) {
    super(`ATLAS answered ${command} with an error: ${reply}`);
  }
}

export function isErrorValue(value: Value): value is { error: string } {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "error" in value;
}
