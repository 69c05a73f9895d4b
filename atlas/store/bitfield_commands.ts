/**
 * BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
 * [OVERFLOW WRAP|SAT|FAIL] ... and BITFIELD_RO key [GET type offset] ..., as Redis 7.0: every
 * operation is parsed before any runs (an argument error answers alone), GET-only calls are
 * reads, and any SET/INCRBY first creates or zero-extends the string to the farthest bit written,
 * even when OVERFLOW FAIL then writes nothing. As in Redis 7.0, the call counts as a change
 * (keyspace event, WATCH, client tracking) only when a SET/INCRBY stored (not refused by FAIL)
 * and either the string grew or the field's value changed; a string grown (or created) by a
 * refused write alone is not signalled.
 *
 * Logged as given: given the same value, the same operations produce the same bytes, so replay
 * (AOF, Raft) is deterministic.
 */
import { bytesToBinary } from "./binary.ts";
import {
  type FieldType,
  fieldValue,
  type OverflowMode,
  parseFieldOffset,
  parseFieldType,
  readField,
  updateField,
  writeField,
} from "./bitfield.ts";
import { cWord } from "./util.ts";
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_NOT_INTEGER, ERR_STRING_TOO_LONG, ERR_SYNTAX, WRONGTYPE } from "./errors.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { normalizeInt64, parseInt64 } from "./numbers.ts";
import { array, error, integer, NIL, type Reply } from "./reply.ts";

const ERR_TYPE = error(
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
);
const ERR_OFFSET = error("ERR bit offset is not an integer or out of range");
const ERR_OVERFLOW_TYPE = error("ERR Invalid OVERFLOW type specified");
const ERR_RO = error("ERR BITFIELD_RO only supports the GET subcommand");

interface FieldOp {
  readonly kind: "get" | "set" | "incrby";
  readonly type: FieldType;
  readonly offset: number;
  /** SET's value or INCRBY's increment (0 for GET). */
  readonly operand: bigint;
  readonly mode: OverflowMode;
}

interface ParsedOps {
  readonly ops: FieldOp[];
  /** Whether any op writes; the farthest bit written. */
  readonly writes: boolean;
  readonly highestBit: number;
}

/** Parses argv[2..] into operations; an error Reply on the first bad argument. */
function parseOps(argv: string[]): ParsedOps | Reply {
  const ops: FieldOp[] = [];
  let mode: OverflowMode = "wrap";
  let writes = false;
  let highestBit = 0;
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const word = cWord(argv[j]);
    let kind: FieldOp["kind"];
    if (word === "get" && remaining >= 2) kind = "get";
    else if (word === "set" && remaining >= 3) kind = "set";
    else if (word === "incrby" && remaining >= 3) kind = "incrby";
    else if (word === "overflow" && remaining >= 1) {
      const name = cWord(argv[++j]);
      if (name !== "wrap" && name !== "sat" && name !== "fail") return ERR_OVERFLOW_TYPE;
      mode = name;
      continue;
    } else return ERR_SYNTAX;
    const type = parseFieldType(argv[j + 1]);
    if (type === null) return ERR_TYPE;
    const offset = parseFieldOffset(argv[j + 2], type.bits);
    if (offset === null) return ERR_OFFSET;
    let operand = 0n;
    if (kind !== "get") {
      writes = true;
      highestBit = Math.max(highestBit, offset + type.bits - 1);
      const parsed = parseInt64(argv[j + 3]);
      if (parsed === null) return ERR_NOT_INTEGER;
      operand = BigInt(parsed);
    }
    ops.push({ kind, type, offset, operand, mode });
    j += kind === "get" ? 2 : 3;
  }
  return { ops, writes, highestBit };
}

/**
 * The bytes the writes touch, copied out of the (zero-extended) string so the operations can edit
 * them in place; reads outside the window see the original string.
 */
class WriteWindow {
  readonly first: number;
  readonly bytes: Uint8Array;
  /** SET/INCRBY operations that stored a value different from the field's old one. */
  changed = 0;

  constructor(readonly source: string, ops: readonly FieldOp[], highestBit: number) {
    let lowestBit = highestBit;
    for (const op of ops) if (op.kind !== "get") lowestBit = Math.min(lowestBit, op.offset);
    this.first = Math.floor(lowestBit / 8);
    const last = Math.floor(highestBit / 8);
    this.bytes = new Uint8Array(last - this.first + 1);
    const end = Math.min(last + 1, source.length);
    for (let i = this.first; i < end; i++) this.bytes[i - this.first] = source.charCodeAt(i);
  }

  readonly byteAt = (i: number): number => {
    const at = i - this.first;
    if (at >= 0 && at < this.bytes.length) return this.bytes[at];
    return i < this.source.length ? this.source.charCodeAt(i) : 0;
  };

  /** The whole new value: the source, zero-extended past the window if needed, with the window. */
  result(): string {
    const end = this.first + this.bytes.length;
    const head = this.source.length >= this.first
      ? this.source.slice(0, this.first)
      : this.source + "\0".repeat(this.first - this.source.length);
    return head + bytesToBinary(this.bytes) + this.source.slice(end);
  }
}

function runOp(op: FieldOp, window: WriteWindow | null, byteAt: (i: number) => number): Reply {
  const current = fieldValue(readField(byteAt, op.offset, op.type.bits), op.type);
  if (op.kind === "get") return integer(normalizeInt64(current));
  // SET stores its argument (an unsigned field sees it as uint64, as Redis casts it) and answers
  // the old value; INCRBY stores and answers the sum.
  const update = op.kind === "set"
    ? updateField(
      op.type.signed ? op.operand : BigInt.asUintN(64, op.operand),
      0n,
      op.type,
      op.mode,
    )
    : updateField(current, op.operand, op.type, op.mode);
  if (update.stored === null) return NIL;
  if (update.stored !== current) window!.changed++;
  writeField(window!.bytes, window!.first, op.offset, op.type.bits, update.stored);
  return integer(normalizeInt64(op.kind === "set" ? current : update.stored));
}

function bitfieldGeneric(ks: Keyspace, argv: string[], readOnly: boolean): Reply {
  const parsed = parseOps(argv);
  if (!("ops" in parsed)) return parsed;
  const key = argv[1];
  if (!parsed.writes) {
    // A read lookup (keyspace hits / misses, "keymiss") even in BITFIELD, as Redis's GET-only path.
    const value = ks.lookupRead(key);
    if (value !== undefined && typeof value !== "string") return WRONGTYPE;
    const source = value ?? "";
    const byteAt = (i: number) => (i < source.length ? source.charCodeAt(i) : 0);
    return array(parsed.ops.map((op) => runOp(op, null, byteAt)));
  }
  if (readOnly) return ERR_RO;
  const value = ks.lookup(key);
  if (value !== undefined && typeof value !== "string") return WRONGTYPE;
  if (Math.floor(parsed.highestBit / 8) >= ks.limits.valueBytesMax) return ERR_STRING_TOO_LONG;
  const window = new WriteWindow(value ?? "", parsed.ops, parsed.highestBit);
  const replies = parsed.ops.map((op) => runOp(op, window, window.byteAt));
  const grew = value === undefined || Math.floor(parsed.highestBit / 8) >= value.length;
  // Redis counts a change per SET/INCRBY that stored (not refused by OVERFLOW FAIL) into a grown
  // string or with a new value; without one the key is not signalled (WATCH, client tracking,
  // event). The string still grows, or is created ("new" event only): logged so replay grows it
  // too, but the touch is withdrawn. With nothing changed and nothing grown it is left alone.
  const changes = window.changed !== 0 ||
    (grew && parsed.ops.some((op, i) => op.kind !== "get" && replies[i].kind !== "nil"));
  if (grew || changes) {
    const mark = ks.touched.length;
    ks.setValue(key, window.result(), true);
    if (!changes) ks.untouch(mark);
    ks.emit(argv);
  }
  ks.markRaw(key);
  if (changes) ks.notify(EventClass.String, "setbit", key);
  return array(replies);
}

const K: [number, number, number] = [1, 1, 1];

export const BITFIELD_COMMANDS: readonly BuiltinCommand[] = [
  command(
    "bitfield",
    -2,
    "write denyoom",
    K,
    "bitmap",
    (ks, argv) => bitfieldGeneric(ks, argv, false),
  ),
  command(
    "bitfield_ro",
    -2,
    "readonly fast",
    K,
    "bitmap",
    (ks, argv) => bitfieldGeneric(ks, argv, true),
  ),
];
