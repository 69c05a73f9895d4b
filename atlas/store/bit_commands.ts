/**
 * Bit commands on string values: SETBIT GETBIT BITCOUNT BITPOS (bit 0 is the most significant bit
 * of byte 0, as Redis). Values are immutable JS strings, so SETBIT rewrites the value: O(length)
 * per call, fine for bitmaps of kilobytes, not for huge ones.
 */
import { type BuiltinCommand, command } from "./command_table.ts";
import { ERR_NOT_INTEGER, ERR_STRING_TOO_LONG, ERR_SYNTAX, WRONGTYPE } from "./errors.ts";
import type { Keyspace } from "./keyspace.ts";
import { EventClass } from "./notify.ts";
import { parseInt64 } from "./numbers.ts";
import { error, integer, type Reply } from "./reply.ts";
import { cWord, parseIntArg } from "./util.ts";

const S = "bitmap";
const ERR_OFFSET = error("ERR bit offset is not an integer or out of range");

function bitAt(value: string, index: number): number {
  const byte = index >> 3;
  if (byte >= value.length) return 0;
  return (value.charCodeAt(byte) >> (7 - (index & 7))) & 1;
}

function setbit(ks: Keyspace, argv: string[]): Reply {
  const [, key, offsetText, bitText] = argv;
  const offset = parseIntArg(offsetText);
  if (offset === null || offset < 0 || offset >= 4294967296) return ERR_OFFSET;
  if (bitText !== "0" && bitText !== "1") return error("ERR bit is not an integer or out of range");
  const old = ks.lookup(key);
  if (old !== undefined && typeof old !== "string") return WRONGTYPE;
  // ATLAS's own bound (Redis would allocate up to 512 MB): after the bit and the type, which
  // Redis checks first.
  if (Math.floor(offset / 8) >= ks.limits.valueBytesMax) return ERR_STRING_TOO_LONG;
  const current = old ?? "";
  const index = offset;
  const byte = Math.floor(index / 8);
  const previous = bitAt(current, index);
  const mask = 1 << (7 - (index % 8));
  const oldByte = byte < current.length ? current.charCodeAt(byte) : 0;
  const newByte = bitText === "1" ? oldByte | mask : oldByte & ~mask;
  const next = byte < current.length
    ? [current.slice(0, byte), String.fromCharCode(newByte), current.slice(byte + 1)].join("")
    : [current, "\0".repeat(byte - current.length), String.fromCharCode(newByte)].join("");
  // Redis 7.0 counts a change (WATCH, keyspace event, propagation) only for a new key, a longer
  // string or a flipped bit; setting a bit already so leaves the key untouched (but raw).
  if (old === undefined || byte >= current.length || newByte !== oldByte) {
    ks.setValue(key, next, true);
    ks.notify(EventClass.String, "setbit", key);
    ks.emit(argv);
  }
  ks.markRaw(key);
  return integer(previous);
}

function getbit(ks: Keyspace, argv: string[]): Reply {
  const offset = parseIntArg(argv[2]);
  if (offset === null || offset < 0 || offset >= 4294967296) return ERR_OFFSET;
  const v = ks.lookup(argv[1]);
  if (v === undefined) return integer(0);
  if (typeof v !== "string") return WRONGTYPE;
  return integer(bitAt(v, offset));
}

/** Resolves [start, end] (bytes or bits, negative from the end) to a bit range; null = empty. */
function bitRange(
  start: number,
  end: number,
  length: number,
  isBit: boolean,
): [number, number] | null {
  const total = isBit ? length * 8 : length;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return null;
  return isBit ? [start, end] : [start * 8, end * 8 + 7];
}

function popcount(byte: number): number {
  byte = byte - ((byte >> 1) & 0x55);
  byte = (byte & 0x33) + ((byte >> 2) & 0x33);
  return (byte + (byte >> 4)) & 0x0f;
}

function bitcount(ks: Keyspace, argv: string[]): Reply {
  const v = ks.lookup(argv[1]);
  if (v === undefined) return integer(0);
  if (typeof v !== "string") return WRONGTYPE;
  if (argv.length !== 2 && argv.length !== 4 && argv.length !== 5) return ERR_SYNTAX;
  let isBit = false;
  let start = 0;
  let end = -1;
  if (argv.length >= 4) {
    const a = parseIntArg(argv[2]);
    const b = parseIntArg(argv[3]);
    if (a === null || b === null) return ERR_NOT_INTEGER;
    start = a;
    end = b;
    if (argv.length === 5) {
      const unit = cWord(argv[4]);
      if (unit === "bit") isBit = true;
      else if (unit !== "byte") return ERR_SYNTAX;
    }
  }
  // Redis 7.0's BITCOUNT (not BITPOS) answers 0 at once for two negative indexes in the wrong
  // order, even when both would clamp to the first byte (compared exactly, past 2^53 too).
  if (start < 0 && end < 0 && parseInt64(argv[2])! > parseInt64(argv[3])!) return integer(0);
  const range = bitRange(start, end, v.length, isBit);
  if (range === null) return integer(0);
  let count = 0;
  let i = range[0];
  for (; i <= range[1] && (i & 7) !== 0; i++) count += bitAt(v, i);
  for (; i + 7 <= range[1]; i += 8) count += popcount(v.charCodeAt(i >> 3));
  for (; i <= range[1]; i++) count += bitAt(v, i);
  return integer(count);
}

/** BITPOS key bit [start [end [BYTE|BIT]]]. */
function bitpos(ks: Keyspace, argv: string[]): Reply {
  const bit = parseIntArg(argv[2]);
  if (bit === null) return ERR_NOT_INTEGER;
  if (bit !== 0 && bit !== 1) return error("ERR The bit argument must be 1 or 0.");
  const v = ks.lookup(argv[1]);
  if (v === undefined) return integer(bit === 1 ? -1 : 0);
  if (typeof v !== "string") return WRONGTYPE;
  if (argv.length > 6) return ERR_SYNTAX; // after the bit and the key, as Redis
  let start = 0;
  let end = -1;
  let isBit = false;
  const endGiven = argv.length >= 5;
  if (argv.length >= 4) {
    const a = parseIntArg(argv[3]);
    if (a === null) return ERR_NOT_INTEGER;
    start = a;
    if (argv.length === 6) {
      const unit = cWord(argv[5]);
      if (unit === "bit") isBit = true;
      else if (unit !== "byte") return ERR_SYNTAX;
    }
    if (endGiven) {
      const b = parseIntArg(argv[4]);
      if (b === null) return ERR_NOT_INTEGER;
      end = b;
    }
  }
  const range = bitRange(start, end, v.length, isBit);
  if (range === null) return integer(-1);
  for (let i = range[0]; i <= range[1]; i++) {
    if ((i & 7) === 0 && i + 7 <= range[1]) {
      const byte = v.charCodeAt(i >> 3);
      if (byte === (bit === 1 ? 0 : 0xff)) {
        i += 7; // the whole byte has no match
        continue;
      }
    }
    if (bitAt(v, i) === bit) return integer(i);
  }
  // Looking for 0 with no explicit end: the string is right-padded with zeros.
  return integer(bit === 0 && !endGiven ? range[1] + 1 : -1);
}

const K: [number, number, number] = [1, 1, 1];

export const BIT_COMMANDS: readonly BuiltinCommand[] = [
  command("setbit", 4, "write denyoom", K, S, setbit),
  command("getbit", 3, "readonly fast", K, S, getbit),
  command("bitcount", -2, "readonly", K, S, bitcount),
  command("bitpos", -3, "readonly", K, S, bitpos),
];
