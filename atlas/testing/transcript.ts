/**
 * Byte-level transcripts of several connections to one server: each step sends one command on
 * one connection, then records what every connection received meanwhile (replies, pub/sub
 * messages, keyspace events). Two servers given the same steps should give equal transcripts:
 * the pub/sub and script side-by-side tests compare atlasd's with redis-server's this way.
 */
import { recordFrames } from "./frame_recorder.ts";

/** `quiet`: the sender gets nothing back (a silenced reply); `pick`: compare only these parts. */
export interface StepOptions {
  quiet?: boolean;
  pick?: RegExp;
}

export type TranscriptStep<Conn extends string> = readonly [Conn, string[], StepOptions?];

/** HELLO's `id` names the connection: not compared. */
const normalise = (text: string) => text.replace(/\$2\r\nid\r\n:\d+\r\n/g, "$2\r\nid\r\n:ID\r\n");

/** Runs `steps` against one server: per step, what each connection received meanwhile. */
export async function transcript<Conn extends string>(
  port: number,
  names: readonly Conn[],
  steps: readonly TranscriptStep<Conn>[],
): Promise<string[]> {
  const rec = await recordFrames(port, names);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const out: string[] = [];
  for (const [name, argv, opts] of steps) {
    await rec.send(name, argv);
    // Wait for the sender's answer, then a little for the pushes to the others.
    for (let i = 0; i < 200 && !opts?.quiet && rec.text(name) === ""; i++) {
      await sleep(5);
    }
    await sleep(opts?.quiet ? 60 : 25);
    const got: string[] = [];
    for (const conn of names) {
      let text = normalise(rec.text(conn));
      if (opts?.pick && conn === name) text = (text.match(opts.pick) ?? []).join(" | ");
      if (text !== "") got.push(`${conn}: ${JSON.stringify(text)}`);
    }
    rec.clear();
    out.push(`${name}: ${JSON.stringify(argv.join(" "))} -> ${got.join(", ")}`);
  }
  await rec.finish();
  return out;
}

/** The lines where two transcripts of the same steps differ (redis's first). */
export function transcriptDifferences(want: string[], got: string[]): string[] {
  return want.flatMap((line, i) => line === got[i] ? [] : [`redis:  ${line}\n  atlasd: ${got[i]}`]);
}
