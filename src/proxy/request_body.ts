/**
 * Streams the client's request body upstream without buffering, and records whether any of it
 * was handed to an attempt. An attempt that failed before reading the body (connection refused)
 * leaves it intact, so the next attempt can still send it; once read, it is gone and the
 * request must not be retried.
 */
export class RequestBody {
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** True once any byte (or the end of the body) was passed to an upstream attempt. */
  sent = false;

  constructor(private readonly source: ReadableStream<Uint8Array>) {}

  /** A fresh stream for one attempt over the same underlying body. */
  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        this.sent = true;
        this.reader ??= this.source.getReader();
        const { done, value } = await this.reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: async (reason) => {
        // An attempt that never read anything leaves the body for the next one.
        if (this.sent) await (this.reader ?? this.source).cancel(reason);
      },
    }, { highWaterMark: 0 });
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
