/**
 * The KV domain: get/set/delete/list over any AtlasClient (embedded or remote), with ETags and
 * atomic conditional writes. Keys are namespaced under `kv:` in ATLAS so API callers can never
 * touch other modules' data (users, sessions, jobs).
 */
import {
  AppError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  UnavailableError,
  ValidationError,
} from "../errors/app_error.ts";
import { type AtlasClient, isErrorValue, type Value } from "../storage/atlas_client.ts";
import { etagOfText, type Precondition } from "./etag.ts";
import { DEFAULT_KV_LIMITS, KV_NAMESPACE, type KvLimits } from "./limits.ts";
import { decodeCursor, encodeCursor, globEscape } from "./cursor.ts";

export interface KvEntry {
  key: string;
  value: string;
  /** Seconds left before the key expires, or null when it does not. */
  ttl: number | null;
  etag: string;
}

export interface KvPage {
  keys: string[];
  /** Opaque; pass back to get the next page. Null when the listing is complete. */
  cursor: string | null;
}

export interface ListOptions {
  prefix?: string;
  cursor?: string;
  limit?: number;
}

/** UTF-8 length of a JS string without encoding it (no allocation on the hot path). */
export function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
        i++;
        continue;
      }
      bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

export class KvService {
  readonly limits: KvLimits;

  constructor(private readonly atlas: AtlasClient, limits: Partial<KvLimits> = {}) {
    this.limits = { ...DEFAULT_KV_LIMITS, ...limits };
  }

  /** Throws ValidationError for an empty, oversized or control-character key. */
  checkKey(key: string): void {
    if (key.length === 0) throw new ValidationError("Key must not be empty");
    if (utf8ByteLength(key) > this.limits.keyBytesMax) {
      throw new ValidationError(`Key exceeds ${this.limits.keyBytesMax} bytes`);
    }
    if (CONTROL.test(key)) throw new ValidationError("Key must not contain control characters");
  }

  async get(key: string): Promise<KvEntry> {
    this.checkKey(key);
    const name = KV_NAMESPACE + key;
    const [value, pttl] = await this.atlas.transaction([["GET", name], ["PTTL", name]]);
    this.#raise(value, "GET");
    if (value === null) throw new NotFoundError(`Key "${key}" does not exist`, "key_not_found");
    return { key, value: String(value), ttl: ttlSeconds(pttl), etag: etagOfText(String(value)) };
  }

  /** Writes the value. `created` is true only for a create-only write (If-None-Match: *). */
  async set(
    key: string,
    value: string,
    ttlS: number | null,
    precondition: Precondition = { kind: "none" },
  ): Promise<{ entry: KvEntry; created: boolean }> {
    this.checkKey(key);
    this.#checkValue(value, ttlS);
    const name = KV_NAMESPACE + key;
    const ttlArgs = ttlS === null ? [] : ["EX", ttlS];
    const entry = { key, value, ttl: ttlS, etag: etagOfText(value) };
    switch (precondition.kind) {
      case "none": {
        this.#raise(await this.atlas.call("SET", name, value, ...ttlArgs), "SET");
        return { entry, created: false };
      }
      case "absent":
      case "present": {
        const flag = precondition.kind === "absent" ? "NX" : "XX";
        const reply = await this.atlas.call("SET", name, value, flag, ...ttlArgs);
        this.#raise(reply, "SET");
        if (reply === null) {
          throw new PreconditionFailedError(
            precondition.kind === "absent"
              ? `Key "${key}" already exists`
              : `Key "${key}" does not exist`,
          );
        }
        return { entry, created: precondition.kind === "absent" };
      }
      case "match": {
        const ttlMs = ttlS === null ? 0 : ttlS * 1000;
        const reply = await this.atlas.call("KV.CAS", name, precondition.etag, value, ttlMs);
        this.#raise(reply, "KV.CAS");
        this.#checkCompared(reply, key);
        return { entry, created: false };
      }
    }
  }

  /** Deletes the key; 404 when it does not exist, 412 when If-Match does not match. */
  async delete(key: string, precondition: Precondition = { kind: "none" }): Promise<void> {
    this.checkKey(key);
    const name = KV_NAMESPACE + key;
    if (precondition.kind === "match") {
      const reply = await this.atlas.call("KV.CAD", name, precondition.etag);
      this.#raise(reply, "KV.CAD");
      this.#checkCompared(reply, key);
      return;
    }
    if (precondition.kind === "absent") {
      throw new ValidationError("If-None-Match does not apply to DELETE");
    }
    const removed = await this.atlas.call("DEL", name);
    this.#raise(removed, "DEL");
    if (removed === 0) throw new NotFoundError(`Key "${key}" does not exist`, "key_not_found");
  }

  /** One page of keys starting with `prefix`, in SCAN order (bounded work per call). */
  async list(options: ListOptions = {}): Promise<KvPage> {
    const limit = Math.min(options.limit ?? 100, this.limits.listLimitMax);
    const prefix = options.prefix ?? "";
    if (prefix.length > 0) this.checkKey(prefix);
    let { scan, skip } = options.cursor ? decodeCursor(options.cursor) : { scan: "0", skip: 0 };
    const pattern = KV_NAMESPACE + globEscape(prefix) + "*";
    const keys: string[] = [];
    for (let round = 0; round < this.limits.listScansMax; round++) {
      const reply = await this.atlas.call("SCAN", scan, "MATCH", pattern, "COUNT", limit);
      this.#raise(reply, "SCAN");
      const [next, batch] = reply as [string, string[]];
      const fresh = batch.slice(skip);
      const room = limit - keys.length;
      if (fresh.length > room) {
        // Keep our place inside this batch: resume the same SCAN cursor, skipping what we sent.
        keys.push(...fresh.slice(0, room).map(strip));
        return { keys, cursor: encodeCursor({ scan, skip: skip + room }) };
      }
      keys.push(...fresh.map(strip));
      skip = 0;
      scan = String(next);
      if (scan === "0") return { keys, cursor: null };
      if (keys.length === limit) break;
    }
    return { keys, cursor: encodeCursor({ scan, skip: 0 }) };
  }

  #checkValue(value: string, ttlS: number | null): void {
    if (utf8ByteLength(value) > this.limits.valueBytesMax) {
      throw new PayloadTooLargeError(`Value exceeds ${this.limits.valueBytesMax} bytes`);
    }
    if (ttlS !== null && (!Number.isInteger(ttlS) || ttlS < 1 || ttlS > this.limits.ttlSMax)) {
      throw new ValidationError(`ttl must be an integer from 1 to ${this.limits.ttlSMax} seconds`);
    }
  }

  #checkCompared(reply: Value, key: string): void {
    if (reply === 1) return;
    throw new PreconditionFailedError(
      reply === -1 ? `Key "${key}" does not exist` : `Key "${key}" has changed (ETag mismatch)`,
    );
  }

  /** Error replies become typed errors; a missing module command is an operator problem. */
  #raise(reply: Value, command: string): void {
    if (!isErrorValue(reply)) return;
    const text = reply.error;
    if (text.startsWith("WRONGTYPE")) {
      throw new ConflictError("The key holds a value that is not a string", "wrong_type");
    }
    if (/unknown command/i.test(text)) {
      throw new UnavailableError(
        `ATLAS does not know ${command}: register the KV module (src/kv/atlas_command.ts)`,
        "atlas_module_missing",
      );
    }
    if (text.startsWith("OOM") || /limit/i.test(text)) {
      throw new AppError("atlas_rejected", 507, "Insufficient storage", { detail: text });
    }
    throw new Error(`ATLAS answered ${command} with an error: ${text}`);
  }
}

function strip(name: string): string {
  return name.slice(KV_NAMESPACE.length);
}

function ttlSeconds(pttl: Value): number | null {
  return typeof pttl === "number" && pttl >= 0 ? Math.ceil(pttl / 1000) : null;
}
