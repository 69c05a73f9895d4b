/**
 * ATLAS keys, values and command arguments are *binary strings*: JS strings in which every char
 * code is 0–255 and stands for one byte (latin1). They are binary-safe like Redis strings, compact
 * in V8 (one byte per char), and hash fast as Map keys. Convert only at the edges.
 *
 * Never use TextDecoder("latin1") here: WHATWG maps it to windows-1252, which rewrites 0x80–0x9F.
 */
import { Buffer } from "node:buffer";

/**
 * Up to this many bytes a char-by-char loop decodes fastest, up to BYTES_APPLY_MAX one
 * String.fromCharCode call over them: node:buffer's latin1 decode is JavaScript in Deno and costs
 * ~300 ns even for 3 bytes (a loop: 40 ns; 20 bytes: 180 ns by one call, 320 by Buffer), but
 * beats both from ~50 bytes on (300 bytes: 180 ns against 1.3 µs).
 */
const BYTES_LOOP_MAX = 12;
const BYTES_APPLY_MAX = 48;

/** Bytes → binary string (exact, one char per byte). */
export function bytesToBinary(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const length = end - start;
  if (length <= BYTES_LOOP_MAX) {
    let text = "";
    for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]);
    return text;
  }
  if (length <= BYTES_APPLY_MAX) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
    "latin1",
    start,
    end,
  );
}

/** Binary string → bytes. */
export function binaryToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  writeBinaryString(out, 0, text);
  return out;
}

/** From this length on, TextEncoder.encodeInto beats a loop (measured: ~60 chars here). */
const ENCODE_INTO_MIN = 64;
const asciiEncoder = new TextEncoder();

/**
 * Copies a binary string into `out` at `offset`, one byte per char (`out` must have room);
 * returns the end offset. node:buffer's latin1 write is JavaScript in Deno and slower than a
 * plain loop (1 µs for 300 chars); TextEncoder.encodeInto is native, and for ASCII text — JSON,
 * keys, most values — its UTF-8 is the very same bytes (80 ns for 300 chars, 1 µs for 64 KiB
 * against 78 µs by loop). A char of 0x80 or more takes two UTF-8 bytes, so such a string cannot
 * be read whole into `length` bytes: that tells it apart, and the loop writes it instead.
 */
export function writeBinaryString(out: Uint8Array, offset: number, text: string): number {
  const length = text.length;
  if (length >= ENCODE_INTO_MIN) {
    const { read } = asciiEncoder.encodeInto(text, out.subarray(offset, offset + length));
    if (read === length) return offset + length;
  }
  for (let i = 0; i < length; i++) out[offset + i] = text.charCodeAt(i);
  return offset + length;
}

/** Byte length of a binary string (one char per byte). */
export function binaryLength(text: string): number {
  return text.length;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** A JS (UTF-16) string → the binary string of its UTF-8 bytes. */
export function utf8ToBinary(text: string): string {
  // Pure ASCII needs no conversion: the binary form is the same string.
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return bytesToBinary(encoder.encode(text));
}

/** A binary string holding UTF-8 → a JS string (invalid sequences become U+FFFD). */
export function binaryToUtf8(binary: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(binary)) return binary;
  return decoder.decode(binaryToBytes(binary));
}
