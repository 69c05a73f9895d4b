/**
 * RESP3 reply shapes that depend on the command, not on the Reply kinds: Redis 7 answers
 * "member, score" lists (ZRANGE ... WITHSCORES, ZPOPMIN key count, ZRANDMEMBER ... WITHSCORES,
 * ZUNION/ZINTER/ZDIFF ... WITHSCORES), and HRANDFIELD ... WITHVALUES its [field, value] list,
 * as an array of pairs under RESP3, but as a flat array under RESP2 — while ZPOPMIN without a
 * count stays flat in both. The store answers protocol-independently (flat, marked `pairs`), so
 * RESP3 clients get the pairs nested here.
 */
import type { Reply } from "../store/reply.ts";
import { cWord } from "../store/util.ts";

const WITHSCORES_COMMANDS = new Set([
  "zrange",
  "zrangebyscore",
  "zrevrange",
  "zrevrangebyscore",
  "zrandmember",
  "zunion",
  "zinter",
  "zdiff",
]);

/** Whether this command's reply must be nested into pairs for a RESP3 client. */
export function nestsPairs(name: string, argv: readonly string[]): boolean {
  if (name === "zpopmin" || name === "zpopmax") return argv.length === 3;
  // Option words as the commands read them: C strings, up to a NUL.
  if (name === "hrandfield") return argv.length === 4 && cWord(argv[3]) === "withvalues";
  if (!WITHSCORES_COMMANDS.has(name)) return false;
  for (let i = 2; i < argv.length; i++) if (cWord(argv[i]) === "withscores") return true;
  return false;
}

/**
 * [m1, s1, m2, s2] -> [[m1, s1], [m2, s2]] when the store marked the array as pairs (or, for
 * replies not so marked, when it is exactly member/double pairs); anything else (an error, nil)
 * passes unchanged.
 */
export function nestPairs(reply: Reply): Reply {
  if (reply.kind !== "array" || reply.value.length % 2 !== 0) return reply;
  const items = reply.value;
  const pairs: Reply[] = [];
  for (let i = 0; i < items.length; i += 2) {
    if (reply.pairs !== true && items[i + 1].kind !== "double") return reply;
    pairs.push({ kind: "array", value: [items[i], items[i + 1]] });
  }
  return { kind: "array", value: pairs };
}
