/**
 * Builds byte arrays from numbers and binary strings (one byte per char code, ATLAS's string
 * form) without node:buffer: its pooled allocations and latin1 writes were about an eighth of a
 * Raft node's CPU under write load (entries encoded on the leader, snapshots of the whole store).
 */
const CHUNK_BYTES = 1024 * 1024;

export class ByteWriter {
  #chunks: Uint8Array[] = [];
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;

  /** `sizeHint`: the exact size when known (one allocation, no copy at the end). */
  constructor(sizeHint = CHUNK_BYTES) {
    this.#buf = new Uint8Array(sizeHint);
    this.#view = new DataView(this.#buf.buffer);
  }

  u8(value: number): void {
    this.#room(1);
    this.#buf[this.#pos++] = value;
  }

  u32(value: number): void {
    this.#room(4);
    this.#view.setUint32(this.#pos, value >>> 0, true);
    this.#pos += 4;
  }

  f64(value: number): void {
    this.#room(8);
    this.#view.setFloat64(this.#pos, value, true);
    this.#pos += 8;
  }

  /** A binary string's bytes (chars must be 0–255; ATLAS keys and values are). */
  binary(text: string): void {
    const n = text.length;
    this.#room(n);
    const buf = this.#buf;
    const p = this.#pos;
    for (let i = 0; i < n; i++) buf[p + i] = text.charCodeAt(i);
    this.#pos = p + n;
  }

  bytes(data: Uint8Array): void {
    this.#room(data.length);
    this.#buf.set(data, this.#pos);
    this.#pos += data.length;
  }

  /** Everything written, as one array (no copy when it all fit the first buffer). */
  finish(): Uint8Array {
    if (this.#chunks.length === 0) return this.#buf.subarray(0, this.#pos);
    const parts = [...this.#chunks, this.#buf.subarray(0, this.#pos)];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.#chunks.push(this.#buf.subarray(0, this.#pos));
    this.#buf = new Uint8Array(Math.max(CHUNK_BYTES, n));
    this.#view = new DataView(this.#buf.buffer);
    this.#pos = 0;
  }
}
