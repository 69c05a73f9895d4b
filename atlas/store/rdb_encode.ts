/**
 * An ATLAS value → a DUMP payload Redis 7.0 RESTOREs: the object in the simplest encoding Redis
 * loads for its type, then the RDB version (10, u16 LE) and the CRC-64 of everything before.
 *
 * - string: RDB_TYPE_STRING, integer-encoded like Redis when it is a small canonical integer,
 *   else raw (never LZF-compressed; Redis loads raw strings of any size).
 * - list: RDB_TYPE_LIST_QUICKLIST_2 with listpack nodes of up to 8 KiB each (Redis's default
 *   list-max-listpack-size -2), a larger element alone in its node.
 * - set: RDB_TYPE_SET, hash: RDB_TYPE_HASH, sorted set: RDB_TYPE_ZSET_2 (binary scores). Redis
 *   picks its own compact encoding (intset, listpack) when it loads them, as for any RDB.
 * - stream: RDB_TYPE_STREAM_LISTPACKS_2 (rdb_stream.ts).
 */
import { Buffer } from "node:buffer";
import { crc64LittleEndian } from "./crc64.ts";
import { HashValue } from "./hash_value.ts";
import type { Value } from "./keyspace.ts";
import { ListValue } from "./list_value.ts";
import { buildListpack, listpackElement } from "./listpack.ts";
import { latin1 } from "./rdb_reader.ts";
import { encodeStream } from "./rdb_stream.ts";
import * as T from "./rdb_types.ts";
import { binaryDouble, rdbLength, rdbString } from "./rdb_writer.ts";
import { SetValue } from "./set_value.ts";
import { StreamValue } from "./stream_value.ts";

/** Redis's default list-max-listpack-size (-2): a quicklist node's listpack up to 8 KiB. */
const QUICKLIST_NODE_BYTES = 8192;
/** An empty listpack: the 6-byte header and the end byte. */
const LISTPACK_EMPTY_BYTES = 7;

/** The whole DUMP payload for a value. */
export function encodeDumpPayload(value: Value): string {
  const body = encodeRdbValue(value) +
    String.fromCharCode(T.RDB_VERSION & 0xff, T.RDB_VERSION >> 8);
  // A Buffer view of the body for the CRC: one copy, where binaryToBytes would make two.
  return body + latin1(crc64LittleEndian(Buffer.from(body, "latin1")));
}

/** The object alone: type byte and encoding. */
export function encodeRdbValue(value: Value): string {
  if (typeof value === "string") return String.fromCharCode(T.RDB_TYPE_STRING) + rdbString(value);
  if (value instanceof ListValue) return encodeList(value);
  if (value instanceof StreamValue) return encodeStream(value);
  const parts: string[] = [];
  if (value instanceof SetValue) {
    parts.push(String.fromCharCode(T.RDB_TYPE_SET), rdbLength(value.size));
    for (const m of value.set) parts.push(rdbString(m));
  } else if (value instanceof HashValue) {
    parts.push(String.fromCharCode(T.RDB_TYPE_HASH), rdbLength(value.size));
    for (const [f, v] of value.map) parts.push(rdbString(f), rdbString(v));
  } else {
    parts.push(String.fromCharCode(T.RDB_TYPE_ZSET_2), rdbLength(value.size));
    for (let n = value.first(); n !== null; n = n.next) {
      parts.push(rdbString(n.member), binaryDouble(n.score));
    }
  }
  return parts.join("");
}

function encodeList(list: ListValue): string {
  const nodes: string[] = [];
  let elements: string[] = [];
  let bytes = LISTPACK_EMPTY_BYTES;
  const flush = () => {
    const lp = buildListpack(elements);
    nodes.push(rdbLength(T.QUICKLIST_NODE_PACKED) + rdbString(lp));
    elements = [];
    bytes = LISTPACK_EMPTY_BYTES;
  };
  for (let i = 0; i < list.length; i++) {
    const e = listpackElement(list.get(i));
    if (elements.length > 0 && bytes + e.length > QUICKLIST_NODE_BYTES) flush();
    elements.push(e);
    bytes += e.length;
  }
  if (elements.length > 0) flush();
  return String.fromCharCode(T.RDB_TYPE_LIST_QUICKLIST_2) + rdbLength(nodes.length) +
    nodes.join("");
}
