/**
 * Header bytes as JS strings, one char per byte (like ByteString in Headers): the proxy passes
 * header octets on unchanged, whatever their encoding. ASCII, the common case, takes the
 * native TextDecoder/TextEncoder paths.
 */
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const NON_ASCII = /[\u0080-\uffff]/;

export function latin1(buffer: Uint8Array, from: number, to: number): string {
  // Any byte above 0x7f decodes to a non-ASCII char (itself or U+FFFD), so this test is exact.
  const ascii = decoder.decode(buffer.subarray(from, to));
  if (!NON_ASCII.test(ascii)) return ascii;
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
  if (!NON_ASCII.test(text)) {
    return encoder.encodeInto(text, buffer.subarray(offset)).written;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    buffer[offset + i] = c > 0xff ? 63 : c;
  }
  return text.length;
}

export function latin1Bytes(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(text.length);
  latin1Into(text, out, 0);
  return out;
}
