/**
 * An ATLAS value → a DUMP payload Redis 7.0 RESTOREs, byte for byte what redis-server 7.0.15
 * DUMPs for the same value held in the encoding OBJECT ENCODING reports: the object, then the RDB
 * version (10, u16 LE) and the CRC-64 of everything before.
 *
 * - Every string in the object (a string value, a set member, a hash field or value, a sorted set
 *   member, a listpack or intset blob) is written as Redis's rdbSaveRawString writes it: as an
 *   8/16/32-bit integer when it is the canonical text of one, else LZF-compressed when longer than
 *   20 bytes and the compressor (a port of liblzf 3.6 as Redis configures it) saves at least 4
 *   bytes, else raw.
 * - string: RDB_TYPE_STRING.
 * - list: RDB_TYPE_LIST_QUICKLIST_2, listpack nodes filled from the head as RPUSH fills Redis's
 *   quicklist under list-max-listpack-size (at the default -2, an element joins the node while the
 *   node's bytes + the element's length + 8 stay within 8 KiB).
 * - set: RDB_TYPE_SET_INTSET when Redis would hold an intset (at most set-max-intset-entries
 *   canonical int64s: sorted, in the narrowest width), else RDB_TYPE_SET in ATLAS's order.
 * - hash: RDB_TYPE_HASH_LISTPACK within hash-max-listpack-entries / -value (fields in insertion
 *   order, as Redis's listpack keeps them), else RDB_TYPE_HASH.
 * - sorted set: RDB_TYPE_ZSET_LISTPACK when Redis would hold a listpack (listpackSized), else
 *   RDB_TYPE_ZSET_2 from the highest score down, as Redis walks its skiplist.
 * - stream: RDB_TYPE_STREAM_LISTPACKS_2 (rdb_stream.ts).
 *
 * Redis's hashtable sets and hashes come out in its dict order, which varies per process; ATLAS
 * writes its own order there. A value whose history Redis would remember (a set or hash that grew
 * past the limits and shrank back, an intset once widened, a list pushed from the head) is written
 * as its content alone says.
 */
import { Buffer } from "node:buffer";
import { crc64LittleEndian } from "./crc64.ts";
import { HashValue, listpackSized as hashListpackSized } from "./hash_value.ts";
import { DEFAULT_ENCODING_LIMITS, type EncodingLimits, type Value } from "./keyspace.ts";
import { ListValue } from "./list_value.ts";
import { buildListpack, listpackElement } from "./listpack.ts";
import { latin1 } from "./rdb_reader.ts";
import { encodeStream } from "./rdb_stream.ts";
import * as T from "./rdb_types.ts";
import { binaryDouble, rdbLength, rdbSavedString } from "./rdb_writer.ts";
import { SetValue } from "./set_value.ts";
import { StreamValue } from "./stream_value.ts";
import { listpackScoreText, listpackSized, type ZSetValue } from "./zset_value.ts";

/** A quicklist node's listpack bytes under list-max-listpack-size -1 ... -5. */
const QUICKLIST_NODE_BYTES = [4096, 8192, 16384, 32768, 65536];
/** The node bytes a count limit (list-max-listpack-size > 0) never goes past. */
const QUICKLIST_SAFETY_BYTES = 8192;
/** quicklist.c's SIZE_ESTIMATE_OVERHEAD: what it adds to an element's length when it checks. */
const QUICKLIST_ENTRY_ESTIMATE = 8;
/** An empty listpack: the 6-byte header and the end byte. */
const LISTPACK_EMPTY_BYTES = 7;

/** The whole DUMP payload for a value. */
export function encodeDumpPayload(
  value: Value,
  limits: EncodingLimits = DEFAULT_ENCODING_LIMITS,
): string {
  const body = encodeRdbValue(value, limits) +
    String.fromCharCode(T.RDB_VERSION & 0xff, T.RDB_VERSION >> 8);
  // A Buffer view of the body for the CRC: one copy, where binaryToBytes would make two.
  return body + latin1(crc64LittleEndian(Buffer.from(body, "latin1")));
}

/** The object alone: type byte and encoding. */
export function encodeRdbValue(
  value: Value,
  limits: EncodingLimits = DEFAULT_ENCODING_LIMITS,
): string {
  const type = (t: number) => String.fromCharCode(t);
  if (typeof value === "string") return type(T.RDB_TYPE_STRING) + rdbSavedString(value);
  if (value instanceof ListValue) return encodeList(value, limits.listMaxListpackSize);
  if (value instanceof StreamValue) return encodeStream(value);
  const parts: string[] = [];
  if (value instanceof SetValue) {
    const ints = intsetMembers(value, limits);
    if (ints !== null) return type(T.RDB_TYPE_SET_INTSET) + rdbSavedString(intsetBlob(ints));
    parts.push(type(T.RDB_TYPE_SET), rdbLength(value.size));
    for (const m of value.set) parts.push(rdbSavedString(m));
  } else if (value instanceof HashValue) {
    if (hashListpackSized(value, limits)) {
      const elements: string[] = [];
      for (const [f, v] of value.map) elements.push(listpackElement(f), listpackElement(v));
      return type(T.RDB_TYPE_HASH_LISTPACK) + rdbSavedString(buildListpack(elements));
    }
    parts.push(type(T.RDB_TYPE_HASH), rdbLength(value.size));
    for (const [f, v] of value.map) parts.push(rdbSavedString(f), rdbSavedString(v));
  } else {
    if (listpackSized(value, limits)) return type(T.RDB_TYPE_ZSET_LISTPACK) + zsetListpack(value);
    parts.push(type(T.RDB_TYPE_ZSET_2), rdbLength(value.size));
    for (let n = value.tail; n !== null; n = n.backward) {
      parts.push(rdbSavedString(n.member), binaryDouble(n.score));
    }
  }
  return parts.join("");
}

/**
 * Whether RPUSH puts the next element into the last node (_quicklistNodeAllowInsert): within the
 * byte limit of a negative fill, or within 8 KiB and the count of a positive one. It estimates
 * with the element's length, not its encoding.
 */
function nodeTakes(fill: number, nodeBytes: number, count: number, length: number): boolean {
  const bytes = nodeBytes + length + QUICKLIST_ENTRY_ESTIMATE;
  if (fill < 0) return bytes <= QUICKLIST_NODE_BYTES[-fill - 1];
  return bytes <= QUICKLIST_SAFETY_BYTES && count < fill;
}

function encodeList(list: ListValue, listMaxListpackSize: number): string {
  // quicklistSetFill's clamp.
  const fill = Math.max(-5, Math.min(listMaxListpackSize, 32767));
  const nodes: string[] = [];
  let elements: string[] = [];
  let bytes = LISTPACK_EMPTY_BYTES;
  const flush = () => {
    const lp = buildListpack(elements);
    nodes.push(rdbLength(T.QUICKLIST_NODE_PACKED) + rdbSavedString(lp));
    elements = [];
    bytes = LISTPACK_EMPTY_BYTES;
  };
  for (let i = 0; i < list.length; i++) {
    const s = list.get(i);
    if (elements.length > 0 && !nodeTakes(fill, bytes, elements.length, s.length)) flush();
    const e = listpackElement(s);
    elements.push(e);
    bytes += e.length;
  }
  if (elements.length > 0) flush();
  return String.fromCharCode(T.RDB_TYPE_LIST_QUICKLIST_2) + rdbLength(nodes.length) +
    nodes.join("");
}

// ---- the compact encodings Redis holds small collections in ----

const INT16_MIN = -32768n;
const INT16_MAX = 32767n;
const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;

/** The members as int64s when Redis would hold the set as an intset, else null. */
function intsetMembers(set: SetValue, limits: EncodingLimits): bigint[] | null {
  if (!set.isIntset(limits.setMaxIntsetEntries)) return null;
  return Array.from(set.ordered(limits.setMaxIntsetEntries), (m) => BigInt(m));
}

/** An intset: encoding (2, 4 or 8: the narrowest that holds every member), length, sorted LE. */
function intsetBlob(members: bigint[]): string {
  members.sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
  let width = 2;
  for (const v of members) {
    if (v < INT32_MIN || v > INT32_MAX) width = 8;
    else if ((v < INT16_MIN || v > INT16_MAX) && width < 4) width = 4;
  }
  const out = new DataView(new ArrayBuffer(8 + width * members.length));
  out.setUint32(0, width, true);
  out.setUint32(4, members.length, true);
  members.forEach((v, i) => {
    const at = 8 + width * i;
    if (width === 2) out.setInt16(at, Number(v), true);
    else if (width === 4) out.setInt32(at, Number(v), true);
    else out.setBigInt64(at, v, true);
  });
  return latin1(new Uint8Array(out.buffer));
}

/** member, score, ... in order; scores as zzlInsertAt writes them. */
function zsetListpack(zset: ZSetValue): string {
  const elements: string[] = [];
  for (let n = zset.first(); n !== null; n = n.next) {
    elements.push(listpackElement(n.member), listpackElement(listpackScoreText(n.score)));
  }
  return rdbSavedString(buildListpack(elements));
}
