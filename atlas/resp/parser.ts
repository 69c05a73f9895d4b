/**
 * Incremental, bounded RESP request parser (multibulk and inline commands, pipelining).
 *
 * The owner reads straight into `spare()` and calls `commit(n)`; `next()` then yields one argv
 * at a time as binary strings (latin1Slice from the read buffer: no per-argument Uint8Array).
 * Finished arguments of an incomplete multibulk are kept, so a huge request arriving in many
 * reads is parsed once. Errors mirror Redis (`Protocol error: ...`); after one, the parser stays
 * failed and the connection must be closed.
 */
import { type Latin1Buffer, latin1View } from "./latin1.ts";
import { DEFAULT_RESP_LIMITS, type RespLimits } from "./limits.ts";
import { splitInlineArgs } from "./inline.ts";
import { SHORT_STRING_MAX, shortString } from "./short_string.ts";

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
const READ_CHUNK_BYTES = 64 * 1024;
/** Small at first: an idle connection should cost little; busy ones grow to their read size. */
const INITIAL_BYTES = 8 * 1024;
const SHRINK_ABOVE_BYTES = 512 * 1024;
const UNAUTHENTICATED_ITEMS_MAX = 10;
const UNAUTHENTICATED_BULK_BYTES_MAX = 16 * 1024;

export class RespParser {
  #buf: Uint8Array;
  #view: Latin1Buffer;
  #start = 0;
  #end = 0;
  #args: string[] | null = null;
  #argsLeft = 0;
  #bulkLen = -1;
  /** Bytes of the arguments already parsed of the incomplete command in #args. */
  #argBytes = 0;
  #limits: RespLimits;
  /** Set once a protocol error was seen: the text to send (without `-`), then close. */
  error: string | null = null;
  /**
   * Before AUTH (when a password is required) Redis accepts at most 10 items and 16 KiB bulks,
   * so an unauthenticated peer cannot make the server buffer large requests.
   */
  unauthenticated = false;

  constructor(limits: RespLimits = DEFAULT_RESP_LIMITS) {
    this.#limits = limits;
    this.#buf = new Uint8Array(INITIAL_BYTES);
    this.#view = latin1View(this.#buf);
  }

  /** Bytes received but not yet consumed (for CLIENT LIST qbuf and memory bounds). */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /**
   * Bytes of the arguments already parsed of a command still arriving (Redis's argv_len_sum):
   * a huge request keeps them here while its last arguments are read.
   */
  get partialArgBytes(): number {
    return this.#argBytes;
  }

  /** Buffer capacity in bytes (memory held by this parser's read buffer). */
  get capacityBytes(): number {
    return this.#buf.length;
  }

  /** A writable region of at least `minBytes` bytes to read into; follow with `commit(n)`. */
  spare(minBytes = READ_CHUNK_BYTES): Uint8Array {
    let want = minBytes;
    if (this.#bulkLen >= 0) {
      // Grow towards a declared bulk only as its bytes arrive (at most doubling), so a huge
      // declared length with no data behind it costs nothing.
      const missing = this.#bulkLen + 2 - (this.#end - this.#start);
      want = Math.max(minBytes, Math.min(missing, this.#buf.length));
    }
    if (this.#buf.length - this.#end < want) this.#makeRoom(want);
    // Usually everything was consumed: the whole buffer, without a new view per read.
    return this.#end === 0 ? this.#buf : this.#buf.subarray(this.#end);
  }

  /** Records that `n` bytes were written into the last `spare()` region. */
  commit(n: number): void {
    this.#end += n;
  }

  /** Copies `bytes` in (tests and in-process use). */
  feed(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      const room = this.spare(Math.min(bytes.length - off, READ_CHUNK_BYTES));
      const n = Math.min(room.length, bytes.length - off);
      room.set(bytes.subarray(off, off + n));
      this.commit(n);
      off += n;
    }
  }

  /** The next complete command, or null (need more bytes, or `error` is set). */
  next(): string[] | null {
    while (this.error === null && this.#start < this.#end) {
      if (this.#args === null && this.#buf[this.#start] !== STAR) {
        const argv = this.#inline();
        if (argv === null) return null;
        if (argv.length > 0) return argv;
        continue;
      }
      const argv = this.#multibulk();
      if (argv === null) return null;
      if (argv.length > 0) return argv;
    }
    return null;
  }

  #fail(text: string): null {
    this.error = `Protocol error: ${text}`;
    return null;
  }

  /** Index of the first CR at or after `from` (before #end), or -1. */
  #findCr(from: number): number {
    const buf = this.#buf;
    const end = this.#end;
    for (let i = from; i < end; i++) if (buf[i] === CR) return i;
    return -1;
  }

  #multibulk(): string[] | null {
    if (this.#args === null) {
      const cr = this.#findCr(this.#start);
      if (cr < 0) {
        if (this.#end - this.#start > this.#limits.inlineBytesMax) {
          return this.#fail("too big mbulk count string");
        }
        return null;
      }
      if (cr + 1 >= this.#end) return null; // wait for the LF
      const count = parseLength(this.#buf, this.#start + 1, cr);
      if (count === null || count > this.#limits.multibulkItemsMax) {
        return this.#fail("invalid multibulk length");
      }
      if (this.unauthenticated && count > UNAUTHENTICATED_ITEMS_MAX) {
        return this.#fail("unauthenticated multibulk length");
      }
      this.#start = cr + 2;
      if (count <= 0) return EMPTY;
      this.#args = new Array<string>(count);
      this.#argsLeft = count;
    }
    const args = this.#args;
    while (this.#argsLeft > 0) {
      if (this.#bulkLen < 0 && !this.#shortBulkHeader()) {
        if (this.#start >= this.#end) return null;
        const cr = this.#findCr(this.#start);
        if (cr < 0) {
          if (this.#end - this.#start > this.#limits.inlineBytesMax) {
            return this.#fail("too big bulk count string");
          }
          return null;
        }
        if (cr + 1 >= this.#end) return null;
        if (this.#buf[this.#start] !== DOLLAR) {
          return this.#fail(`expected '$', got '${String.fromCharCode(this.#buf[this.#start])}'`);
        }
        const len = parseLength(this.#buf, this.#start + 1, cr);
        if (len === null || len < 0 || len > this.#limits.bulkBytesMax) {
          return this.#fail("invalid bulk length");
        }
        if (this.unauthenticated && len > UNAUTHENTICATED_BULK_BYTES_MAX) {
          return this.#fail("unauthenticated bulk length");
        }
        this.#bulkLen = len;
        this.#start = cr + 2;
      }
      // Like Redis, the two bytes after the payload are skipped, not checked.
      if (this.#end - this.#start < this.#bulkLen + 2) return null;
      args[args.length - this.#argsLeft] = this.#bulkLen <= SHORT_STRING_MAX
        ? shortString(this.#buf, this.#start, this.#bulkLen)
        : this.#view.latin1Slice(this.#start, this.#start + this.#bulkLen);
      this.#start += this.#bulkLen + 2;
      this.#argBytes += this.#bulkLen;
      this.#bulkLen = -1;
      this.#argsLeft--;
    }
    this.#args = null;
    this.#argBytes = 0;
    this.#consumed();
    return args;
  }

  /**
   * Fast path for the usual bulk header, `$` and one or two digits then CRLF, all buffered:
   * sets #bulkLen and skips the header. False (nothing consumed) sends anything else, errors
   * included, through the general path.
   */
  #shortBulkHeader(): boolean {
    const buf = this.#buf;
    const start = this.#start;
    if (start + 5 > this.#end || buf[start] !== DOLLAR) return false;
    const d1 = buf[start + 1] - 48;
    const c2 = buf[start + 2];
    let len: number;
    let cr: number;
    if (c2 === CR && d1 >= 0 && d1 <= 9) {
      len = d1;
      cr = start + 2;
    } else {
      const d2 = c2 - 48;
      // No leading zero (Redis rejects "$01"), and the CR right after the second digit.
      if (d1 < 1 || d1 > 9 || d2 < 0 || d2 > 9 || buf[start + 3] !== CR) return false;
      len = d1 * 10 + d2;
      cr = start + 3;
    }
    if (len > this.#limits.bulkBytesMax) return false; // the general path reports it
    this.#bulkLen = len;
    this.#start = cr + 2;
    return true;
  }

  #inline(): string[] | null {
    const buf = this.#buf;
    let nl = -1;
    for (let i = this.#start; i < this.#end; i++) {
      if (buf[i] === LF) {
        nl = i;
        break;
      }
    }
    if (nl < 0) {
      if (this.#end - this.#start > this.#limits.inlineBytesMax) {
        return this.#fail("too big inline request");
      }
      return null;
    }
    const lineEnd = nl > this.#start && buf[nl - 1] === CR ? nl - 1 : nl;
    const argv = splitInlineArgs(this.#view.latin1Slice(this.#start, lineEnd));
    this.#start = nl + 1;
    this.#consumed();
    if (argv === null) return this.#fail("unbalanced quotes in request");
    return argv;
  }

  /** Resets offsets when everything was consumed, so the buffer is reused from its start. */
  #consumed(): void {
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
      // Give back memory after an unusually large request (not after every 64 KiB read).
      if (this.#buf.length > SHRINK_ABOVE_BYTES) this.#resize(INITIAL_BYTES);
    }
  }

  #makeRoom(want: number): void {
    const live = this.#end - this.#start;
    if (this.#start > 0 && this.#buf.length - live >= want) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#start = 0;
      this.#end = live;
      return;
    }
    let capacity = Math.max(this.#buf.length * 2, live + want);
    // For a declared bulk, no more than it still needs, as Redis sizes its buffer to a big
    // argument: a 300 KB argument holds 300 KB, not 512 (maxmemory-clients counts it).
    if (this.#bulkLen >= 0) capacity = Math.min(capacity, Math.max(live + want, this.#bulkLen + 2));
    this.#resize(capacity);
  }

  #resize(capacity: number): void {
    const live = this.#end - this.#start;
    const next = new Uint8Array(Math.max(capacity, live));
    next.set(this.#buf.subarray(this.#start, this.#end));
    this.#buf = next;
    this.#view = latin1View(next);
    this.#start = 0;
    this.#end = live;
  }
}

const EMPTY: string[] = [];

/** Strict decimal like Redis string2ll: optional '-', no '+', no leading zeros, ≤ 18 digits. */
function parseLength(buf: Uint8Array, from: number, to: number): number | null {
  if (from >= to || to - from > 19) return null;
  let i = from;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    i++;
    if (i === to) return null;
  }
  if (buf[i] === 48 && to - i > 1) return null;
  let n = 0;
  for (; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}
