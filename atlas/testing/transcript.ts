/**
 * Byte-level transcripts of several connections to one server: each step sends one command on
 * one connection, then records what every connection received meanwhile (replies, pub/sub
 * messages, keyspace events). Two servers given the same steps should give equal transcripts:
 * the pub/sub and script side-by-side tests compare atlasd's with redis-server's this way.
 */
import { encodeCommand } from "./atlasd_harness.ts";

/** `quiet`: the sender gets nothing back (a silenced reply); `pick`: compare only these parts. */
export interface StepOptions {
  quiet?: boolean;
  pick?: RegExp;
}

export type TranscriptStep<Conn extends string> = readonly [Conn, string[], StepOptions?];

const latin1 = (bytes: Uint8Array) => {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
};

/** HELLO's `id` names the connection: not compared. */
const normalise = (text: string) => text.replace(/\$2\r\nid\r\n:\d+\r\n/g, "$2\r\nid\r\n:ID\r\n");

/** Runs `steps` against one server: per step, what each connection received meanwhile. */
export async function transcript<Conn extends string>(
  port: number,
  names: readonly Conn[],
  steps: readonly TranscriptStep<Conn>[],
): Promise<string[]> {
  const conns = {} as Record<Conn, Deno.TcpConn>;
  const received = {} as Record<Conn, string>;
  const readers: Promise<void>[] = [];
  for (const name of names) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conns[name] = conn;
    received[name] = "";
    readers.push(
      (async () => {
        const buf = new Uint8Array(65536);
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
          received[name] += latin1(buf.subarray(0, n));
        }
      })().catch(() => {}),
    );
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const out: string[] = [];
  for (const [name, argv, opts] of steps) {
    const before = received[name].length;
    await conns[name].write(encodeCommand(argv));
    // Wait for the sender's answer, then a little for the pushes to the others.
    for (let i = 0; i < 200 && !opts?.quiet && received[name].length === before; i++) {
      await sleep(5);
    }
    await sleep(opts?.quiet ? 60 : 25);
    const got: string[] = [];
    for (const conn of names) {
      let text = normalise(received[conn]);
      received[conn] = "";
      if (opts?.pick && conn === name) text = (text.match(opts.pick) ?? []).join(" | ");
      if (text !== "") got.push(`${conn}: ${JSON.stringify(text)}`);
    }
    out.push(`${name}: ${JSON.stringify(argv.join(" "))} -> ${got.join(", ")}`);
  }
  for (const name of names) conns[name].close();
  await Promise.all(readers);
  return out;
}

/** The lines where two transcripts of the same steps differ (redis's first). */
export function transcriptDifferences(want: string[], got: string[]): string[] {
  return want.flatMap((line, i) => line === got[i] ? [] : [`redis:  ${line}\n  atlasd: ${got[i]}`]);
}
