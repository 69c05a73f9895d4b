/**
 * A DUMP payload's value (Redis's rdbLoadObject for one object) → an ATLAS value. Reads every
 * encoding Redis 7.0 writes or still loads: strings (raw, integer, LZF), lists (QUICKLIST_2 with
 * listpack or plain nodes, QUICKLIST and ZIPLIST of older versions, the original linked list),
 * sets (plain, intset), sorted sets (ZSET_2 binary scores, listpack, ziplist, the original text
 * scores), hashes (plain, listpack, ziplist, zipmap) and streams (7.0's and older).
 *
 * Redis refuses what it would load as an empty collection or with duplicates ("Bad data format");
 * so does this, and it also checks the compact encodings fully (Redis checks only their headers
 * unless sanitize-dump-payload is on), so a forged payload cannot break an ATLAS value.
 */
import type { AtlasLimits } from "../limits.ts";
import { HashValue } from "./hash_value.ts";
import type { Value } from "./keyspace.ts";
import { ListValue } from "./list_value.ts";
import { parseListpack } from "./listpack.ts";
import { parseDouble } from "./numbers.ts";
import { RdbFormatError, RdbLimitError, RdbReader } from "./rdb_reader.ts";
import { decodeStream } from "./rdb_stream.ts";
import * as T from "./rdb_types.ts";
import { SetValue } from "./set_value.ts";
import { parseIntset, parseZiplist, parseZipmap } from "./ziplist.ts";
import { ZSetValue } from "./zset_value.ts";

/** Decodes the object at the start of a payload (trailing bytes are ignored, as Redis does). */
export function decodeRdbValue(payload: Uint8Array, limits: AtlasLimits): Value {
  const r = new RdbReader(payload, limits.valueBytesMax);
  return readRdbValue(r, r.byte(), limits);
}

/** Reads an object of `type` (its type byte read already) from `r`, e.g. in an RDB file. */
export function readRdbValue(r: RdbReader, type: number, limits: AtlasLimits): Value {
  switch (type) {
    case T.RDB_TYPE_STRING:
      return r.string();
    case T.RDB_TYPE_LIST:
    case T.RDB_TYPE_LIST_ZIPLIST:
    case T.RDB_TYPE_LIST_QUICKLIST:
    case T.RDB_TYPE_LIST_QUICKLIST_2:
      return toList(readListElements(r, type), limits);
    case T.RDB_TYPE_SET:
      return toSet(readPlain(r, limits, 1), limits);
    case T.RDB_TYPE_SET_INTSET:
      return toSet(parseIntset(r.blob()), limits);
    case T.RDB_TYPE_HASH:
      return toHash(readPlain(r, limits, 2), limits);
    case T.RDB_TYPE_HASH_ZIPMAP:
      return toHash(parseZipmap(r.blob()), limits);
    case T.RDB_TYPE_HASH_ZIPLIST:
      return toHash(parseZiplist(r.blob()), limits);
    case T.RDB_TYPE_HASH_LISTPACK:
      return toHash(parseListpack(r.blob()), limits);
    case T.RDB_TYPE_ZSET:
    case T.RDB_TYPE_ZSET_2:
      return readPlainZset(r, limits, type === T.RDB_TYPE_ZSET_2);
    case T.RDB_TYPE_ZSET_ZIPLIST:
      return toZset(parseZiplist(r.blob()), limits);
    case T.RDB_TYPE_ZSET_LISTPACK:
      return toZset(parseListpack(r.blob()), limits);
    case T.RDB_TYPE_STREAM_LISTPACKS:
    case T.RDB_TYPE_STREAM_LISTPACKS_2:
      return decodeStream(r, type, limits);
    default:
      // Module types (6, 7) and anything unknown to Redis 7.0, which answers "Bad data format"
      // for them: 7.2's SET_LISTPACK (20) and STREAM_LISTPACKS_3 (21) come in version-11
      // payloads, refused before this, so inside a version-10 one they are bad data too.
      throw new RdbFormatError(`unsupported object type ${type}`);
  }
}

function readListElements(r: RdbReader, type: number): string[] {
  if (type === T.RDB_TYPE_LIST) {
    const out: string[] = [];
    for (let n = r.count(); n > 0; n--) out.push(r.string());
    return out;
  }
  if (type === T.RDB_TYPE_LIST_ZIPLIST) return parseZiplist(r.blob());
  const out: string[] = [];
  for (let nodes = r.count(); nodes > 0; nodes--) {
    // Empty nodes are skipped, as Redis does; a list left empty is refused below.
    if (type === T.RDB_TYPE_LIST_QUICKLIST) {
      for (const e of parseZiplist(r.blob())) out.push(e);
      continue;
    }
    const container = Number(r.lengthBig());
    if (container === T.QUICKLIST_NODE_PLAIN) out.push(r.string());
    else if (container === T.QUICKLIST_NODE_PACKED) {
      for (const e of parseListpack(r.blob())) out.push(e);
    } else throw new RdbFormatError(`unknown quicklist container ${container}`);
  }
  return out;
}

/** `count` items (or pairs, `per` = 2) of plain strings. */
function readPlain(r: RdbReader, limits: AtlasLimits, per: number): string[] {
  const n = r.count(per);
  checkLength(n, limits);
  const out: string[] = new Array(n * per);
  for (let i = 0; i < out.length; i++) out[i] = r.string();
  return out;
}

function checkLength(n: number, limits: AtlasLimits): void {
  if (n > limits.collectionLengthMax) {
    throw new RdbLimitError(
      `ERR collection would exceed ${limits.collectionLengthMax} elements (collectionLengthMax)`,
    );
  }
}

function checkElement(e: string, limits: AtlasLimits): void {
  if (e.length > limits.elementBytesMax) {
    throw new RdbLimitError(
      `ERR element exceeds the limit of ${limits.elementBytesMax} bytes (elementBytesMax)`,
    );
  }
}

function nonEmpty(n: number): void {
  if (n === 0) throw new RdbFormatError("empty collection");
}

function toList(elements: string[], limits: AtlasLimits): ListValue {
  nonEmpty(elements.length);
  checkLength(elements.length, limits);
  const list = new ListValue(elements.length);
  for (const e of elements) {
    checkElement(e, limits);
    list.pushBack(e);
  }
  return list;
}

function toSet(members: string[], limits: AtlasLimits): SetValue {
  nonEmpty(members.length);
  checkLength(members.length, limits);
  const set = new SetValue();
  for (const m of members) {
    checkElement(m, limits);
    if (!set.add(m)) throw new RdbFormatError("duplicate set member");
  }
  return set;
}

function toHash(pairs: string[], limits: AtlasLimits): HashValue {
  if (pairs.length % 2 !== 0) throw new RdbFormatError("odd hash element count");
  nonEmpty(pairs.length);
  checkLength(pairs.length / 2, limits);
  const hash = new HashValue();
  for (let i = 0; i < pairs.length; i += 2) {
    checkElement(pairs[i], limits);
    checkElement(pairs[i + 1], limits);
    if (!hash.set(pairs[i], pairs[i + 1])) throw new RdbFormatError("duplicate hash field");
  }
  return hash;
}

/** Member / score pairs of the compact encodings, scores as text (or integers). */
function toZset(pairs: string[], limits: AtlasLimits): ZSetValue {
  if (pairs.length % 2 !== 0) throw new RdbFormatError("odd zset element count");
  const scores: number[] = [];
  for (let i = 1; i < pairs.length; i += 2) {
    const score = parseDouble(pairs[i]);
    if (score === null) throw new RdbFormatError("bad zset score");
    scores.push(score);
  }
  return buildZset(pairs.filter((_, i) => i % 2 === 0), scores, limits);
}

function readPlainZset(r: RdbReader, limits: AtlasLimits, binary: boolean): ZSetValue {
  const n = r.count(2);
  checkLength(n, limits);
  const members: string[] = new Array(n);
  const scores: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    members[i] = r.string();
    scores[i] = binary ? r.binaryDouble() : r.textDouble();
  }
  return buildZset(members, scores, limits);
}

function buildZset(members: string[], scores: number[], limits: AtlasLimits): ZSetValue {
  nonEmpty(members.length);
  checkLength(members.length, limits);
  const zset = new ZSetValue();
  for (let i = 0; i < members.length; i++) {
    checkElement(members[i], limits);
    if (Number.isNaN(scores[i])) throw new RdbFormatError("NaN zset score");
    if (!zset.add(members[i], scores[i])) throw new RdbFormatError("duplicate zset member");
  }
  return zset;
}
