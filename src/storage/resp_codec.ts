/**
 * The client side of RESP2: commands out as multibulk arrays, replies in through an incremental,
 * bounded parser. Bulk strings stay binary strings (one char per byte); callers decode UTF-8.
 */
import { binaryToBytes, bytesToBinary, type Reply } from "../../atlas/mod.ts";

const CR = 13;
const LF = 10;
const encoder = new TextEncoder();

/** Bounds on what a server may send us; a reply beyond them is a protocol error. */
export interface ReplyLimits {
  bulkBytesMax: number;
  arrayLengthMax: number;
  depthMax: number;
}

export const DEFAULT_REPLY_LIMITS: ReplyLimits = {
  bulkBytesMax: 512 * 1024 * 1024,
  arrayLengthMax: 16_000_000,
  depthMax: 16,
};

export class RespProtocolError extends Error {
  override name = "RespProtocolError";
}

/** One command (argv of binary strings) as RESP2 multibulk bytes. */
export function encodeCommand(argv: readonly string[]): Uint8Array {
  let text = `*${argv.length}\r\n`;
  for (const arg of argv) text += `$${arg.length}\r\n${arg}\r\n`;
  // Every char is 0–255, so latin1 gives exactly the bytes.
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? encoder.encode(text) : binaryToBytes(text);
}

/** Accumulates bytes and yields complete replies in order. */
export class ReplyParser {
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  #pos = 0;

  constructor(private readonly limits: ReplyLimits = DEFAULT_REPLY_LIMITS) {}

  feed(bytes: Uint8Array): void {
    if (this.#buf.length - this.#end < bytes.length) {
      const used = this.#end - this.#start;
      const size = Math.max(this.#buf.length, (used + bytes.length) * 2);
      const next = size > this.#buf.length ? new Uint8Array(size) : this.#buf;
      next.set(this.#buf.subarray(this.#start, this.#end), 0);
      this.#buf = next;
      this.#end = used;
      this.#start = 0;
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  /** The next complete reply, or undefined when more bytes are needed. Throws on bad input. */
  next(): Reply | undefined {
    if (this.#start >= this.#end) return undefined;
    this.#pos = this.#start;
    const reply = this.#parse(0);
    if (reply === undefined) return undefined;
    this.#start = this.#pos;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return reply;
  }

  #line(): string | undefined {
    const buf = this.#buf;
    for (let i = this.#pos; i < this.#end - 1; i++) {
      if (buf[i] === CR && buf[i + 1] === LF) {
        const text = bytesToBinary(buf, this.#pos, i);
        this.#pos = i + 2;
        return text;
      }
    }
    if (this.#end - this.#pos > 64 * 1024) throw new RespProtocolError("Reply line too long");
    return undefined;
  }

  #int(text: string): number {
    if (!/^-?\d{1,18}$/.test(text)) throw new RespProtocolError(`Bad length "${text}"`);
    return Number(text);
  }

  #parse(depth: number): Reply | undefined {
    if (depth > this.limits.depthMax) throw new RespProtocolError("Reply nested too deep");
    if (this.#pos >= this.#end) return undefined;
    const type = this.#buf[this.#pos++];
    const line = this.#line();
    if (line === undefined) return undefined;
    switch (type) {
      case 43: // +
        return { kind: "simple", value: line };
      case 45: // -
        return { kind: "error", value: line };
      case 58: // :
        return { kind: "integer", value: this.#integer(line) };
      case 36: // $
        return this.#bulk(this.#int(line));
      case 42: // *
        return this.#array(this.#int(line), depth);
      default:
        throw new RespProtocolError(`Unknown reply type byte ${type}`);
    }
  }

  #integer(line: string): number | bigint {
    if (!/^-?\d+$/.test(line)) throw new RespProtocolError(`Bad integer "${line}"`);
    const n = Number(line);
    return Number.isSafeInteger(n) ? n : BigInt(line);
  }

  #bulk(length: number): Reply | undefined {
    if (length === -1) return { kind: "nil" };
    if (length < 0 || length > this.limits.bulkBytesMax) {
      throw new RespProtocolError(`Bulk length ${length} out of bounds`);
    }
    if (this.#end - this.#pos < length + 2) return undefined;
    const value = bytesToBinary(this.#buf, this.#pos, this.#pos + length);
    this.#pos += length + 2;
    return { kind: "bulk", value };
  }

  #array(length: number, depth: number): Reply | undefined {
    if (length === -1) return { kind: "nilArray" };
    if (length < 0 || length > this.limits.arrayLengthMax) {
      throw new RespProtocolError(`Array length ${length} out of bounds`);
    }
    const items: Reply[] = [];
    for (let i = 0; i < length; i++) {
      const item = this.#parse(depth + 1);
      if (item === undefined) return undefined;
      items.push(item);
    }
    return { kind: "array", value: items };
  }
}
