/**
 * Streams the client's request body upstream without buffering it whole, and knows whether it
 * may be sent again. An attempt that never read the body leaves it intact. An attempt whose
 * connection failed (refused, DNS) may have pulled bytes into fetch without sending any, so the
 * first `REPLAY_BYTES_MAX` bytes handed out are kept and replayed to the next attempt; once
 * more than that was read, or an upstream received the body, it is never sent again.
 */
export const REPLAY_BYTES_MAX = 64 * 1024;

export class RequestBody {
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private readonly replay: Uint8Array[] = [];
  private replayBytes = 0;
  private overflowed = false;
  private ended = false;
  /** True once any byte (or the end of the body) was handed to an upstream attempt. */
  touched = false;
  /**
   * Reading the client's body failed (malformed chunked framing, or the client went away): an
   * attempt that failed after this is the client's doing, not the target's.
   */
  clientFailed = false;

  constructor(private readonly source: ReadableStream<Uint8Array>) {}

  /**
   * May the body go to another attempt? Always if untouched; after a connect failure only when
   * everything handed out is still held for replay.
   */
  mayResend(connectFailed: boolean): boolean {
    return !this.touched || (connectFailed && !this.overflowed);
  }

  /** A fresh stream for one attempt: replayed bytes first, then the rest of the client's body. */
  stream(): ReadableStream<Uint8Array> {
    let index = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        this.touched = true;
        if (index < this.replay.length) {
          controller.enqueue(this.replay[index++]);
          return;
        }
        if (this.ended) {
          controller.close();
          return;
        }
        this.reader ??= this.source.getReader();
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await this.reader.read();
        } catch (error) {
          this.clientFailed = true;
          throw error;
        }
        const { done, value } = chunk;
        if (done) {
          this.ended = true;
          controller.close();
          return;
        }
        this.keep(value);
        index = this.replay.length;
        controller.enqueue(value);
      },
      // The source stays open: a next attempt may still need it; discard() releases it.
    }, { highWaterMark: 0 });
  }

  private keep(chunk: Uint8Array): void {
    if (this.overflowed) return;
    if (this.replayBytes + chunk.length > REPLAY_BYTES_MAX) {
      this.overflowed = true;
      this.replay.length = 0;
      return;
    }
    this.replay.push(chunk);
    this.replayBytes += chunk.length;
  }

  /** Releases the client's body when the proxy gives up on the request. */
  async discard(): Promise<void> {
    try {
      if (this.reader) await this.reader.cancel();
      else if (!this.source.locked) await this.source.cancel();
    } catch {
      // The client body is already closed or errored: nothing left to release.
    }
  }
}
