/**
 * Passes the upstream response body through chunk by chunk (SSE events flush as they come),
 * aborting the upstream exchange when no chunk arrives within the idle timeout, and calling
 * `done` exactly once when the body ends, fails or the client goes away.
 */
export function relayBody(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
  abort: AbortController,
  done: (ok: boolean) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  const finish = (ok: boolean) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done(ok);
  };
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => abort.abort(new DOMException("upstream idle", "TimeoutError")),
      idleMs,
    );
  };
  arm();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: end, value } = await reader.read();
        if (end) {
          finish(true);
          controller.close();
          return;
        }
        arm();
        controller.enqueue(value);
      } catch (error) {
        finish(false);
        controller.error(error);
      }
    },
    async cancel(reason) {
      finish(true);
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
