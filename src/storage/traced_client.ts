/**
 * An AtlasClient that carries the active trace across the RESP hop: while a span is active,
 * each command goes out as HELIOS.TRACE <traceparent> <command...> (see observability/tracing).
 */
import { currentTraceparent } from "../observability/tracing.ts";
import type { AtlasClient, Value } from "./atlas_client.ts";

export class TracedAtlasClient implements AtlasClient {
  constructor(private readonly inner: AtlasClient) {}

  call(command: string, ...args: (string | number)[]): Promise<Value> {
    const traceparent = currentTraceparent();
    return traceparent === null
      ? this.inner.call(command, ...args)
      : this.inner.call("HELIOS.TRACE", traceparent, command, ...args);
  }

  transaction(commands: (string | number)[][]): Promise<Value[]> {
    return this.inner.transaction(commands);
  }

  ready(): boolean {
    return this.inner.ready?.() ?? true;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
