/**
 * A whole-keyspace Redis RDB file (version 10, as redis-server 7.0.15 writes one for a replica or
 * `redis-cli --rdb`), made from the entries of a point-in-time view opened with
 * `Store.snapshotView("rdb")`, whose values are already RDB objects (rdbFileObject: DUMP's
 * encoders, rdb_encode.ts, with strings over 1 MiB left uncompressed):
 *
 *   "REDIS0010"
 *   AUX redis-ver, redis-bits, ctime, used-mem, [repl-stream-db, repl-id, repl-offset], aof-base
 *   FUNCTION2 <library code>                     one per library (the "functions" store section)
 *   SELECTDB <db>, RESIZEDB <keys> <keys with TTL>  per database with keys, as Redis skips empty ones
 *   [EXPIRETIME_MS <u64 LE>] <type> <key> <value> per key
 *   EOF, CRC-64 (u64 LE) of every byte before it
 *
 * Every string (AUX names and values, keys) is written as rdbSaveRawString writes it. The file is
 * produced in chunks (`take()` whenever `pendingBytes` is large enough), with a running CRC, so
 * the caller can write each chunk and yield between them; nothing here does I/O or reads a clock.
 * Store sections other than the function libraries have no Redis form and are left out.
 */
import { writeBinaryString } from "./binary.ts";
import { crc64Halves } from "./crc64.ts";
import type { EncodingLimits, Value } from "./keyspace.ts";
import { encodeRdbValue } from "./rdb_encode.ts";
import { RDB_VERSION } from "./rdb_types.ts";
import { millisecondTime, rdbLength, rdbSavedString, withLzfLimit } from "./rdb_writer.ts";
import { TAG_DATABASE, TAG_SECTION } from "./serialize.ts";
import type { SnapshotEntry } from "./snapshot_view.ts";

/** The opcodes of an RDB file (Redis 7.0's numbering). */
export const RDB_OPCODE_FUNCTION2 = 245;
export const RDB_OPCODE_AUX = 250;
export const RDB_OPCODE_RESIZEDB = 251;
export const RDB_OPCODE_EXPIRETIME_MS = 252;
export const RDB_OPCODE_SELECTDB = 254;
export const RDB_OPCODE_EOF = 255;

/** The store section holding the function libraries (atlas/scripting's FUNCTIONS_SECTION). */
export const FUNCTIONS_SECTION = "functions";
/** A FUNCTION DUMP payload's footer: RDB version (u16) and CRC-64 (u64). */
const DUMP_FOOTER_BYTES = 10;

/**
 * Strings longer than this are written raw in the file (Redis would LZF-compress them): encoding
 * one value holds the event loop, and LZF on 1 MiB it cannot shrink takes ~20 ms.
 */
export const RDB_FILE_LZF_MAX_BYTES = 1 << 20;

/** A value's RDB object (type byte and value) as the file holds it: DUMP's, big strings raw. */
export function rdbFileObject(value: Value, limits: EncodingLimits): string {
  return withLzfLimit(RDB_FILE_LZF_MAX_BYTES, () => encodeRdbValue(value, limits));
}

/** The redis-ver the file names (the version atlasd reports in INFO and HELLO too). */
export const RDB_REDIS_VERSION = "7.0.15";

export interface RdbFileHeader {
  /** AUX ctime: Unix seconds when the view opened. */
  ctimeSeconds: number;
  /** AUX used-mem: the server's memory in use (INFO used_memory). */
  usedMemoryBytes: number;
  /**
   * The replication stream the file starts (a SYNC / PSYNC transfer): AUX repl-stream-db 0,
   * repl-id and repl-offset, as Redis writes them for a replica. null leaves them out.
   */
  replication: { id: string; offset: number } | null;
  /** RESIZEDB's hints: the view's keysAtOpen and expiresAtOpen. */
  keys: number;
  expires: number;
}

function aux(name: string, value: string | number): string {
  return String.fromCharCode(RDB_OPCODE_AUX) + rdbSavedString(name) + rdbSavedString(String(value));
}

export class RdbFileEncoder {
  #parts: string[] = [];
  #pending = 0;
  #crcLo = 0;
  #crcHi = 0;
  #dbSelected = false;
  #finished = false;
  readonly #header: RdbFileHeader;
  /** Bytes handed out by take() / finish() so far. */
  bytesTaken = 0;
  /** Keys and function libraries added so far. */
  keys = 0;
  libraries = 0;

  constructor(header: RdbFileHeader) {
    this.#header = header;
    const h = header;
    this.#push(`REDIS${String(RDB_VERSION).padStart(4, "0")}`);
    this.#push(aux("redis-ver", RDB_REDIS_VERSION));
    this.#push(aux("redis-bits", 64));
    this.#push(aux("ctime", h.ctimeSeconds));
    this.#push(aux("used-mem", h.usedMemoryBytes));
    if (h.replication !== null) {
      this.#push(aux("repl-stream-db", 0));
      this.#push(aux("repl-id", h.replication.id));
      this.#push(aux("repl-offset", h.replication.offset));
    }
    this.#push(aux("aof-base", 0));
  }

  /** Bytes added and not yet taken. */
  get pendingBytes(): number {
    return this.#pending;
  }

  /**
   * Adds one view entry: a key (its payload an RDB object: type byte, then the value), or a store
   * section. Sections come first (a view emits them before any key), as libraries must precede
   * the database in the file.
   */
  add(entry: SnapshotEntry): void {
    if (this.#finished) throw new Error("RDB file already finished");
    const payload = entry.payload;
    if (payload.charCodeAt(0) === TAG_SECTION.charCodeAt(0)) {
      this.#section(entry.key, payload);
      return;
    }
    if (payload[0] === TAG_DATABASE) {
      // Another database's keys follow (Store.snapshotView); the marker holds its sizes.
      const [keys, expires] = payload.slice(1).split(",").map(Number);
      this.#selectDb(Number(entry.key), keys, expires);
      return;
    }
    // Database 0's keys come first, unmarked: its RESIZEDB hint is the whole view's.
    if (!this.#dbSelected) this.#selectDb(0, this.#header.keys, this.#header.expires);
    let head = "";
    if (entry.expireAtMs !== null) {
      head = String.fromCharCode(RDB_OPCODE_EXPIRETIME_MS) + millisecondTime(entry.expireAtMs);
    }
    this.#push(head + payload[0] + rdbSavedString(entry.key));
    // The value as it is: a large one is not copied into a bigger string here.
    this.#push(payload.length === 1 ? "" : payload.slice(1));
    this.keys++;
  }

  #selectDb(index: number, keys: number, expires: number): void {
    this.#dbSelected = true;
    this.#push(
      String.fromCharCode(RDB_OPCODE_SELECTDB) + rdbLength(index) +
        String.fromCharCode(RDB_OPCODE_RESIZEDB) + rdbLength(keys) + rdbLength(expires),
    );
  }

  #section(name: string, payload: string): void {
    if (name !== FUNCTIONS_SECTION) return;
    if (this.#dbSelected) throw new Error("RDB file: function libraries after the keys");
    // The FUNCTION DUMP payload: FUNCTION2 records (the code as a raw length-prefixed string:
    // ATLAS never compresses it there), then that payload's own version and CRC footer. The file
    // gets each library's code as rdbSaveRawString writes it (LZF when that pays, as Redis's).
    const records = payload.slice(1, payload.length - DUMP_FOOTER_BYTES);
    for (let i = 0; i < records.length;) {
      if (records.charCodeAt(i) !== RDB_OPCODE_FUNCTION2) {
        throw new Error("RDB file: unexpected record in the functions section");
      }
      const { start, end } = rawString(records, i + 1);
      this.#push(
        String.fromCharCode(RDB_OPCODE_FUNCTION2) + rdbSavedString(records.slice(start, end)),
      );
      this.libraries++;
      i = end;
    }
  }

  /** The bytes added since the last take(), folded into the file's CRC. */
  take(): Uint8Array {
    const out = new Uint8Array(this.#pending);
    let at = 0;
    for (const part of this.#parts) at = writeBinaryString(out, at, part);
    this.#parts = [];
    this.#pending = 0;
    const crc = crc64Halves(out, 0, out.length, this.#crcLo, this.#crcHi);
    this.#crcLo = crc.lo;
    this.#crcHi = crc.hi;
    this.bytesTaken += out.length;
    return out;
  }

  /** The rest of the file: what is pending, EOF and the CRC-64 of the whole file. */
  finish(): Uint8Array {
    if (this.#finished) throw new Error("RDB file already finished");
    this.#push(String.fromCharCode(RDB_OPCODE_EOF));
    const body = this.take();
    this.#finished = true;
    const out = new Uint8Array(body.length + 8);
    out.set(body);
    const view = new DataView(out.buffer);
    view.setUint32(body.length, this.#crcLo, true);
    view.setUint32(body.length + 4, this.#crcHi, true);
    this.bytesTaken += 8;
    return out;
  }

  #push(part: string): void {
    if (part.length === 0) return;
    this.#parts.push(part);
    this.#pending += part.length;
  }
}

/** Where the bytes of the raw length-prefixed string at `at` start and end. */
function rawString(s: string, at: number): { start: number; end: number } {
  const first = s.charCodeAt(at);
  const kind = first >> 6;
  let start: number;
  let length: number;
  if (kind === 0) [start, length] = [at + 1, first & 0x3f];
  else if (kind === 1) [start, length] = [at + 2, ((first & 0x3f) << 8) | s.charCodeAt(at + 1)];
  else if (first === 0x80) {
    start = at + 5;
    length = 0;
    for (let i = 1; i <= 4; i++) length = length * 256 + s.charCodeAt(at + i);
  } else throw new Error("RDB file: unexpected string encoding in the functions section");
  if (start + length > s.length) throw new Error("RDB file: truncated functions section");
  return { start, end: start + length };
}

/**
 * A whole RDB file at once (tests, small keyspaces): every entry of `entries` through an
 * RdbFileEncoder.
 */
export function encodeRdbFile(
  header: RdbFileHeader,
  entries: Iterable<SnapshotEntry>,
): Uint8Array {
  const encoder = new RdbFileEncoder(header);
  const chunks: Uint8Array[] = [];
  for (const entry of entries) {
    encoder.add(entry);
    if (encoder.pendingBytes >= 1 << 20) chunks.push(encoder.take());
  }
  chunks.push(encoder.finish());
  const out = new Uint8Array(encoder.bytesTaken);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
