/**
 * Header bytes as JS strings, one char per byte (like ByteString in Headers): the proxy passes
 * header octets on unchanged, whatever their encoding. Decoding uses node:buffer's native
 * latin1Slice (exactly latin-1; 45-80 ns for a 60-500 byte head, where String.fromCharCode over
 * the bytes took 170-1000 ns); encoding uses TextEncoder.encodeInto for long ASCII text.
 */
import { Buffer } from "node:buffer";
import { allocBytes } from "./slab.ts";

const encoder = new TextEncoder();

/** Decodes bytes of one buffer; `latin1Slice` is Buffer's, present at runtime but untyped. */
export interface Latin1Decoder {
  latin1Slice(start: number, end: number): string;
}

/**
 * A decoder bound to `buffer`. Making one creates a Buffer view (about 80 ns here), so the
 * owner of a long-lived buffer (a connection's read buffer) keeps its own.
 */
export function latin1Decoder(buffer: Uint8Array): Latin1Decoder {
  return Buffer.from(
    buffer.buffer,
    buffer.byteOffset,
    buffer.byteLength,
  ) as unknown as Latin1Decoder;
}

/** The decoder of the buffer decoded last, for callers without a decoder of their own. */
let lastBuffer: Uint8Array | null = null;
let lastDecoder: Latin1Decoder | null = null;

export function latin1(buffer: Uint8Array, from: number, to: number): string {
  if (buffer !== lastBuffer) {
    lastBuffer = buffer;
    lastDecoder = latin1Decoder(buffer);
  }
  return lastDecoder!.latin1Slice(from, to);
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
