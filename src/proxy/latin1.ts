/**
 * Header bytes as JS strings, one char per byte (like ByteString in Headers): the proxy passes
 * header octets on unchanged, whatever their encoding. Short heads are decoded in JS
 * (String.fromCharCode over the bytes is exactly latin-1), long ASCII ones natively.
 */
import { allocBytes } from "./slab.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Up to this many bytes are decoded in JS (a TextDecoder call costs more for short heads). */
const JS_DECODE_MAX = 2048;

export function latin1(buffer: Uint8Array, from: number, to: number): string {
  if (to - from <= JS_DECODE_MAX) {
    return String.fromCharCode.apply(null, buffer.subarray(from, to) as unknown as number[]);
  }
  // Long: the native decoder when it is all ASCII (where UTF-8 and latin-1 agree).
  const text = decoder.decode(buffer.subarray(from, to));
  if (text.length === to - from && !text.includes("\uFFFD")) return text;
  let out = "";
  for (let i = from; i < to; i += 4096) {
    out += String.fromCharCode.apply(
      null,
      buffer.subarray(i, Math.min(to, i + 4096)) as unknown as number[],
    );
  }
  return out;
}

/**
 * Writes `text` at `offset` (the caller made room: text.length bytes); returns bytes written.
 * Chars above 0xff (never produced by latin1()) are written as "?".
 */
export function latin1Into(text: string, buffer: Uint8Array, offset: number): number {
  if (text.length < 64) {
    // Short strings (request ids, framing): a plain loop beats encodeInto's call overhead.
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      buffer[offset + i] = c > 0xff ? 63 : c;
    }
    return text.length;
  }
  const target = buffer.subarray(offset, offset + text.length);
  const { read, written } = encoder.encodeInto(text, target);
  // Both equal to the length only when every char was ASCII (one byte each).
  if (read === text.length && written === text.length) return written;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    target[i] = c > 0xff ? 63 : c;
  }
  return text.length;
}

export function latin1Bytes(text: string): Uint8Array {
  const out = allocBytes(text.length);
  latin1Into(text, out, 0);
  return out;
}
