/**
 * Renders `Reply` values as RESP2 or RESP3 into a reusable, growable byte buffer. The server
 * encodes a whole read batch, writes `bytes()` once, then `reset()`s: no per-reply allocation.
 */
import { writeBinaryString } from "../store/binary.ts";
import { array, type Reply } from "../store/reply.ts";
import { formatDouble } from "./double.ts";

export type ProtocolVersion = 2 | 3;

const INITIAL_BYTES = 4 * 1024;

export class RespWriter {
  #buf: Uint8Array;
  #pos = 0;

  constructor(initialBytes = INITIAL_BYTES) {
    this.#buf = new Uint8Array(initialBytes);
  }

  get length(): number {
    return this.#pos;
  }

  /** The encoded bytes (a view: valid until the next write or reset). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }

  /** Forgets the content; shrinks back after an unusually large batch. */
  reset(): void {
    this.#pos = 0;
    if (this.#buf.length > INITIAL_BYTES * 64) {
      this.#buf = new Uint8Array(INITIAL_BYTES);
    }
  }

  /** Appends already-encoded bytes. */
  raw(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  reply(r: Reply, proto: ProtocolVersion): void {
    switch (r.kind) {
      case "simple":
        return this.#line(43, r.value);
      case "error":
        return this.#line(45, r.value);
      case "integer":
        return this.#integer(58, r.value);
      case "bulk":
        if (r.attributes !== undefined && proto === 3) {
          this.#integer(124, r.attributes.length);
          for (const [k, v] of r.attributes) {
            this.reply(k, proto);
            this.reply(v, proto);
          }
        }
        if (r.text === true && proto === 3) return this.#verbatimText(r.value);
        if (r.bigNumber === true && proto === 3) return this.#line(40, r.value);
        return this.bulk(r.value);
      case "nil":
        return proto === 3 ? this.#ascii("_\r\n") : this.#ascii("$-1\r\n");
      case "nilArray":
        return proto === 3 ? this.#ascii("_\r\n") : this.#ascii("*-1\r\n");
      case "array":
        return this.#aggregate(42, r.value, proto);
      case "set":
        return this.#aggregate(proto === 3 ? 126 : 42, r.value, proto);
      case "push":
        return this.#aggregate(proto === 3 ? 62 : 42, r.value, proto);
      case "double": {
        const text = r.text ?? formatDouble(r.value);
        return proto === 3 ? this.#line(44, text) : this.bulk(text);
      }
      case "bool":
        if (proto === 3) return this.#ascii(r.value ? "#t\r\n" : "#f\r\n");
        return this.#ascii(r.value ? ":1\r\n" : ":0\r\n");
      case "map":
        if (proto === 2 && r.resp2Pairs === true) {
          return this.#aggregate(42, r.value.map(([k, v]) => array([k, v])), proto);
        }
        return this.#map(r.value, proto);
    }
  }

  /** A bulk string reply. */
  bulk(value: string): void {
    this.#integer(36, value.length);
    this.#string(value);
    this.#crlf();
  }

  /** RESP3's verbatim string of format `txt`: `=N\r\ntxt:<value>\r\n`. */
  #verbatimText(value: string): void {
    this.#integer(61, value.length + 4);
    this.#string("txt:");
    this.#string(value);
    this.#crlf();
  }

  /** An array/push header `*N` (or `>N` when `push` and RESP3). */
  arrayHeader(count: number, marker: "*" | ">" = "*"): void {
    this.#integer(marker === ">" ? 62 : 42, count);
  }

  #aggregate(marker: number, items: readonly Reply[], proto: ProtocolVersion): void {
    this.#integer(marker, items.length);
    for (let i = 0; i < items.length; i++) this.reply(items[i], proto);
  }

  #map(entries: readonly (readonly [Reply, Reply])[], proto: ProtocolVersion): void {
    if (proto === 3) this.#integer(37, entries.length);
    else this.#integer(42, entries.length * 2);
    for (let i = 0; i < entries.length; i++) {
      this.reply(entries[i][0], proto);
      this.reply(entries[i][1], proto);
    }
  }

  /** `<marker><text>\r\n`; CR/LF inside the text would break framing, so they become spaces. */
  #line(marker: number, text: string): void {
    this.#ensure(text.length + 3);
    this.#buf[this.#pos++] = marker;
    const buf = this.#buf;
    let p = this.#pos;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      buf[p++] = c === 13 || c === 10 ? 32 : c;
    }
    this.#pos = p;
    this.#crlf();
  }

  #integer(marker: number, value: number | bigint): void {
    this.#ensure(24);
    const buf = this.#buf;
    buf[this.#pos++] = marker;
    if (typeof value === "bigint" || !Number.isSafeInteger(value)) {
      this.#asciiNoMarker(String(value));
    } else {
      let n = value;
      if (n < 0) {
        buf[this.#pos++] = 45;
        n = -n;
      }
      if (n < 10) buf[this.#pos++] = 48 + n;
      else {
        let digits = 0;
        for (let t = n; t > 0; t = Math.floor(t / 10)) digits++;
        let p = this.#pos + digits;
        this.#pos = p;
        while (n > 0) {
          const q = Math.floor(n / 10);
          buf[--p] = 48 + (n - q * 10);
          n = q;
        }
      }
    }
    this.#crlf();
  }

  #string(value: string): void {
    this.#ensure(value.length + 2);
    this.#pos = writeBinaryString(this.#buf, this.#pos, value);
  }

  #asciiNoMarker(text: string): void {
    this.#ensure(text.length);
    this.#string(text);
  }

  #ascii(text: string): void {
    this.#string(text);
  }

  #crlf(): void {
    this.#ensure(2);
    this.#buf[this.#pos++] = 13;
    this.#buf[this.#pos++] = 10;
  }

  #ensure(extra: number): void {
    if (this.#pos + extra <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + extra + 1024));
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }
}
