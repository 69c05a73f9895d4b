/**
 * Reads the RDB primitives a DUMP payload is made of: lengths, strings (raw, integer-encoded,
 * LZF-compressed), doubles (text and binary), millisecond times and raw bytes. Every read is
 * bounds-checked and throws RdbFormatError, which RESTORE answers as "ERR Bad data format".
 */
import { Buffer } from "node:buffer";
import { lzfDecompress } from "./lzf.ts";
import { parseDouble } from "./numbers.ts";

/** A malformed payload (RESTORE: "ERR Bad data format"). */
export class RdbFormatError extends Error {}

/** A well-formed payload whose value ATLAS cannot hold (RESTORE answers `message` as is). */
export class RdbLimitError extends Error {}

/** Buffer#latin1Slice (missing from the typings): one flat one-byte JS string per call. */
interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

/** A binary string (one char per byte) of bytes[start, end), flat (never a V8 sliced string). */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return (buf as unknown as Latin1Slicer).latin1Slice(start, end);
}

/** The top two bits of a length byte select the form (2: a 32/64-bit length follows). */
const LEN_6BIT = 0;
const LEN_14BIT = 1;
const LEN_ENCODED = 3;
const LEN_32BIT_MARK = 0x80;
const LEN_64BIT_MARK = 0x81;

/** Special string encodings (the low 6 bits of an encoded length byte). */
const ENC_INT8 = 0;
const ENC_INT16 = 1;
const ENC_INT32 = 2;
const ENC_LZF = 3;

/** A length, or a special string encoding when `encoded`. */
interface Length {
  value: bigint | number;
  encoded: boolean;
}

export class RdbReader {
  pos = 0;
  readonly #view: DataView;

  /** `maxStringBytes` bounds decompressed strings (ATLAS's value limit). */
  constructor(readonly bytes: Uint8Array, readonly maxStringBytes: number) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  #need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new RdbFormatError("truncated payload");
    }
  }

  byte(): number {
    this.#need(1);
    return this.bytes[this.pos++];
  }

  /** n bytes as a view into the payload (no copy). */
  raw(n: number): Uint8Array {
    this.#need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  #length(): Length {
    const first = this.byte();
    const kind = first >> 6;
    if (kind === LEN_6BIT) return { value: first & 0x3f, encoded: false };
    if (kind === LEN_14BIT) return { value: ((first & 0x3f) << 8) | this.byte(), encoded: false };
    if (kind === LEN_ENCODED) return { value: first & 0x3f, encoded: true };
    if (first === LEN_32BIT_MARK) {
      this.#need(4);
      const v = this.#view.getUint32(this.pos, false);
      this.pos += 4;
      return { value: v, encoded: false };
    }
    if (first === LEN_64BIT_MARK) {
      this.#need(8);
      const v = this.#view.getBigUint64(this.pos, false);
      this.pos += 8;
      return { value: v, encoded: false };
    }
    throw new RdbFormatError(`unknown length encoding ${first}`);
  }

  /** An unsigned 64-bit length (stream IDs, counters). */
  lengthBig(): bigint {
    const len = this.#length();
    if (len.encoded) throw new RdbFormatError("encoded length where a number was expected");
    return BigInt(len.value);
  }

  /**
   * A count of things that follow, each taking at least `minBytesEach` payload bytes: bounded by
   * what is left, so a forged count cannot make us allocate or loop beyond the payload.
   */
  count(minBytesEach = 1): number {
    const len = this.#length();
    if (len.encoded) throw new RdbFormatError("encoded length where a count was expected");
    const n = Number(len.value);
    if (n * minBytesEach > this.remaining) throw new RdbFormatError("count beyond the payload");
    return n;
  }

  /** A string's bytes: a view of the payload when stored raw, else newly made. */
  blob(): Uint8Array {
    const len = this.#length();
    if (!len.encoded) {
      const n = Number(len.value);
      this.#need(n);
      if (n > this.maxStringBytes) throw new RdbLimitError(stringTooLong());
      return this.raw(n);
    }
    switch (len.value) {
      case ENC_INT8:
        return ascii(String(this.#signed(1)));
      case ENC_INT16:
        return ascii(String(this.#signed(2)));
      case ENC_INT32:
        return ascii(String(this.#signed(4)));
      case ENC_LZF:
        return this.#lzf();
      default:
        throw new RdbFormatError(`unknown string encoding ${len.value}`);
    }
  }

  /** A string as a binary string (one char per byte). */
  string(): string {
    const b = this.blob();
    return latin1(b);
  }

  #signed(size: 1 | 2 | 4): number {
    this.#need(size);
    const v = size === 1
      ? this.#view.getInt8(this.pos)
      : size === 2
      ? this.#view.getInt16(this.pos, true)
      : this.#view.getInt32(this.pos, true);
    this.pos += size;
    return v;
  }

  #lzf(): Uint8Array {
    const compressed = this.count();
    const length = this.#length();
    if (length.encoded) throw new RdbFormatError("bad LZF length");
    const n = Number(length.value);
    if (n > this.maxStringBytes) throw new RdbLimitError(stringTooLong());
    // A compressed byte expands to at most 264 bytes (a back reference of maximal length).
    if (n > compressed * 264 + 264) throw new RdbFormatError("implausible LZF length");
    this.#need(compressed);
    const out = lzfDecompress(this.bytes, this.pos, this.pos + compressed, n);
    if (out === null) throw new RdbFormatError("invalid LZF data");
    this.pos += compressed;
    return out;
  }

  /** RDB_TYPE_ZSET's text double: a length byte (253 NaN, 254 +inf, 255 -inf) and "%.17g". */
  textDouble(): number {
    const len = this.byte();
    if (len === 253) return NaN;
    if (len === 254) return Infinity;
    if (len === 255) return -Infinity;
    const text = latin1(this.raw(len));
    const v = parseDouble(text);
    if (v === null) throw new RdbFormatError("bad double");
    return v;
  }

  /** An IEEE 754 double, little-endian (RDB_TYPE_ZSET_2). */
  binaryDouble(): number {
    this.#need(8);
    const v = this.#view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A signed 64-bit little-endian millisecond time (stream PEL delivery / seen times). */
  millisecondTime(): number {
    this.#need(8);
    const v = this.#view.getBigInt64(this.pos, true);
    this.pos += 8;
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new RdbFormatError("time out of range");
    return n;
  }

  /** A big-endian unsigned 64-bit number inside raw bytes (stream IDs). */
  static u64BigEndian(bytes: Uint8Array, offset: number): bigint {
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(
      offset,
      false,
    );
  }
}

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function stringTooLong(): string {
  return "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
}
