/**
 * A connection's outgoing bytes: replies and pushes are encoded into the current RespWriter;
 * `flush()` swaps in the spare writer and sends the filled one with one write (looping over
 * partial writes). While held (a batch is being executed or awaiting durability), flushes are
 * deferred, so a pub/sub push arriving meanwhile cannot release replies to unsynced writes.
 */
import { RespWriter } from "../resp/encoder.ts";

export interface ByteSink {
  write(bytes: Uint8Array): Promise<number>;
}

export class Output {
  #cur = new RespWriter();
  /** Allocated on the first flush, so an idle connection holds one buffer. */
  #spare: RespWriter | null = null;
  #sink: ByteSink;
  #flushing: Promise<void> | null = null;
  #held = 0;
  /** The part of the buffer being written that the socket has not taken yet. */
  #inFlightBytes = 0;
  /** Bytes written to the socket so far (INFO total_net_output_bytes). */
  bytesWritten = 0;
  /** Socket writes so far (INFO total_writes_processed). */
  writes = 0;
  /** Set when a write failed (peer gone); later flushes are no-ops. */
  failed = false;
  /**
   * Set by the connection while earlier replies of the batch await (async results) unencoded:
   * a handler that encodes its reply into `writer` itself (EXEC) must not, or it would overtake
   * them.
   */
  repliesQueued = false;
  /**
   * Told when unsentBytes may have changed: output was added (every addition is followed by a
   * flush) or the socket took some. The server keeps clients' memory with it (client_memory.ts).
   */
  onResize: (() => void) | null = null;

  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  /** Where to encode the next reply or push. */
  get writer(): RespWriter {
    return this.#cur;
  }

  /** Bytes encoded but not yet handed to the socket. */
  get pendingBytes(): number {
    return this.#cur.length;
  }

  /** Output not yet taken by the socket: what is encoded plus the rest of a write under way. */
  get unsentBytes(): number {
    return this.#cur.length + this.#inFlightBytes;
  }

  /** Whether flushes are deferred now (a batch runs or awaits durability). */
  get held(): boolean {
    return this.#held > 0;
  }

  hold(): void {
    this.#held++;
  }

  release(): void {
    this.#held--;
  }

  /** Sends everything encoded so far (unless held); resolves when the socket took it. */
  flush(): Promise<void> {
    this.onResize?.();
    if (this.#held > 0 || this.failed) return Promise.resolve();
    if (this.#flushing !== null) return this.#flushing;
    if (this.#cur.length === 0) return Promise.resolve();
    this.#flushing = this.#drain();
    return this.#flushing;
  }

  /**
   * Sends `bytes` after everything encoded before them, without copying them into a reply buffer
   * (the chunks of SYNC's RDB file). Resolves when the socket took them; call it while not held.
   */
  async send(bytes: Uint8Array): Promise<void> {
    if (this.#held > 0) throw new Error("Output.send while the output is held");
    while ((this.#flushing !== null || this.#cur.length > 0) && !this.failed) await this.flush();
    if (this.failed) return;
    this.#flushing = this.#write(bytes).finally(() => (this.#flushing = null));
    await this.#flushing;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#cur.length > 0 && !this.failed) {
        const full = this.#cur;
        this.#cur = this.#spare ?? new RespWriter();
        this.#spare = full;
        const bytes = full.bytes();
        let off = 0;
        try {
          while (off < bytes.length) {
            this.writes++;
            this.#inFlightBytes = bytes.length - off;
            off += await this.#sink.write(off === 0 ? bytes : bytes.subarray(off));
            if (off < bytes.length) { // a slow reader: part of it is left
              this.#inFlightBytes = bytes.length - off;
              this.onResize?.();
            }
          }
        } catch {
          // The peer went away; the read side sees EOF/error and closes the connection.
          this.failed = true;
        }
        this.#inFlightBytes = 0;
        this.bytesWritten += off;
        full.reset();
        this.onResize?.();
      }
    } finally {
      this.#flushing = null;
    }
  }

  /** send()'s write (the reply path keeps its own loop in #drain: no extra async frame there). */
  async #write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    try {
      while (off < bytes.length) {
        this.writes++;
        off += await this.#sink.write(off === 0 ? bytes : bytes.subarray(off));
      }
    } catch {
      // The peer went away; the read side sees EOF/error and closes the connection.
      this.failed = true;
    }
    this.bytesWritten += off;
  }
}
