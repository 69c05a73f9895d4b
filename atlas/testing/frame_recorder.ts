/**
 * Named raw connections to one server that record every byte they receive, for tests that
 * compare whole transcripts — replies and pushes — between atlasd and redis-server. The
 * transcripts are ASCII, so any single-byte decoding will do.
 */
import assert from "node:assert/strict";
import { encodeCommand, parseValue, type RespValue } from "./atlasd_harness.ts";

const latin1 = new TextDecoder("latin1");

export interface FrameRecorder<Name extends string> {
  /** Sends one command on a connection (no wait for the reply). */
  send(name: Name, argv: string[]): Promise<void>;
  /** What a connection received so far, as text. */
  text(name: Name): string;
  /** Forgets what every connection received so far (setup that is not compared). */
  clear(): void;
  /** Waits long enough for the replies and pushes of the last command to arrive. */
  settle(): Promise<void>;
  /** Closes every connection; resolves with each one's frames in order. */
  finish(): Promise<Record<Name, RespValue[]>>;
}

export async function recordFrames<Name extends string>(
  port: number,
  names: readonly Name[],
): Promise<FrameRecorder<Name>> {
  const conns = {} as Record<Name, Deno.TcpConn>;
  const received = {} as Record<Name, string>;
  const readers: Promise<void>[] = [];
  for (const name of names) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conns[name] = conn;
    received[name] = "";
    readers.push(
      (async () => {
        const buf = new Uint8Array(65536);
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
          received[name] += latin1.decode(buf.subarray(0, n));
        }
      })().catch(() => {}),
    );
  }
  return {
    async send(name, argv) {
      await conns[name].write(encodeCommand(argv));
    },
    text: (name) => received[name],
    clear() {
      for (const name of names) received[name] = "";
    },
    settle: () => new Promise((resolve) => setTimeout(resolve, 40)),
    async finish() {
      for (const name of names) conns[name].close();
      await Promise.all(readers);
      const frames = {} as Record<Name, RespValue[]>;
      for (const name of names) {
        const text = received[name];
        frames[name] = [];
        for (let pos = 0; pos < text.length;) {
          const parsed = parseValue(text, pos);
          assert.ok(parsed !== null, `${name}: incomplete frame at ${pos}`);
          frames[name].push(parsed[0]);
          pos = parsed[1];
        }
      }
      return frames;
    },
  };
}
