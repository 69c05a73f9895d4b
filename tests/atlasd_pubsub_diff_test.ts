/**
 * Pub/sub side by side with redis-server 7.0.15, byte for byte: every step is sent on one of a few
 * connections to both servers, and what each connection received (replies and pushes, in order)
 * must be the same bytes. Pinned here: EXEC sends its array header first (one item per queued
 * command) and each reply as its command runs, so a PUBLISH to a channel the client itself is
 * subscribed to, or a keyspace event it receives through `__key*__:*`, lands inside the array just
 * before the PUBLISH's (or the write's) reply, RESP2 and RESP3, and SUBSCRIBE a b inside MULTI puts
 * its two confirmations there as one item (atlasd sent the pushes before the array and counted
 * every reply in the header); (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE confirmations are pushes, which
 * CLIENT REPLY OFF / SKIP do not silence, outside MULTI and in it (atlasd dropped them); a queued
 * CLIENT REPLY OFF / SKIP silences the replies inside EXEC as Redis does; a RESP2 subscriber's
 * refused container subcommand is named in full (`client|info`), after the subcommand's own
 * checks (unknown subcommand, wrong number of arguments) (atlasd said 'client' for all). The
 * other steps (empty unsubscribes, duplicates, counts, PING, RESET, PUBSUB subcommands, binary
 * names, glob specials, CLIENT INFO sub=/psub=, keyspace events) agreed already and stay as
 * neighbours. Orders Redis takes from its hash tables (PUBSUB CHANNELS with several names, the
 * pmessages of several patterns matching one channel, UNSUBSCRIBE with no argument over several
 * channels) are random per process and avoided.
 */
import assert from "node:assert/strict";
import { startAtlasd, startRedis } from "../atlas/testing/atlasd_harness.ts";
import {
  transcript,
  transcriptDifferences,
  type TranscriptStep,
} from "../atlas/testing/transcript.ts";

type Conn = "a" | "b" | "c" | "d";
const CONNS: Conn[] = ["a", "b", "c", "d"];

type Step = TranscriptStep<Conn>;

/** CLIENT INFO: only the subscription fields (the rest names the connection or varies). */
const SUBS = /flags=\S+ db=0 sub=\d+ psub=\d+ ssub=\d+ multi=-?\d+/g;
const quiet = { quiet: true };
const w = (s: string) => s.split(" ");

const STEPS: Step[] = [
  // Nothing subscribed: empty unsubscribes answer a nil name, RESP2 then RESP3.
  ["a", ["UNSUBSCRIBE"]],
  ["a", ["PUNSUBSCRIBE"]],
  ["a", ["SUNSUBSCRIBE"]],
  ["a", w("UNSUBSCRIBE x y")],
  ["a", ["SUBSCRIBE"]],
  ["b", w("HELLO 3")],
  ["b", ["UNSUBSCRIBE"]],
  ["b", ["PUNSUBSCRIBE"]],
  ["b", w("PUNSUBSCRIBE p*")],
  // Duplicates, counts (channels + patterns), RESP2 subscribed mode.
  ["a", w("SUBSCRIBE c1 c1 c2 c1")],
  ["a", w("PSUBSCRIBE p* p* c?")],
  ["a", w("UNSUBSCRIBE c1 c1 nope")],
  ["a", ["PING"]],
  ["a", w("PING hello")],
  ["a", w("PING a b")],
  ["a", w("GET x")],
  ["a", w("set x 1")],
  ["a", ["SET"]],
  ["a", ["nosuch"]],
  ["a", ["MULTI"]],
  ["a", w("WATCH x")],
  ["a", w("HELLO 3")],
  ["a", w("CLIENT INFO")],
  ["a", w("client Info")],
  ["a", w("CLIENT INFO x")],
  ["a", w("CLIENT FOO")],
  ["a", w("CLIENT NOSUCH lib-name x")],
  ["a", w("CONFIG GET")],
  ["a", w("CONFIG GET maxmemory")],
  ["a", w("PUBSUB NUMPAT")],
  ["a", w("PUBSUB NUMPAT x")],
  ["a", w("PUBSUB foo")],
  ["a", w("ACL WHOAMI")],
  ["a", w("OBJECT HELP")],
  ["a", w("COMMAND COUNT")],
  ["a", ["COMMAND"]],
  ["a", ["CLIENT"]],
  ["c", w("CLIENT INFO"), { pick: SUBS }],
  ["b", w("CLIENT LIST"), { pick: SUBS }],
  // PUBLISH counts: a channel and a pattern of the same client count twice.
  ["c", w("PUBLISH c2 m1")],
  ["c", w("PUBLISH c1 m2")],
  ["c", w("PUBLISH px m3")],
  ["c", w("PUBLISH none m4")],
  ["c", w("PUBSUB NUMSUB c1 c2 c2 none")],
  ["c", w("PUBSUB NUMSUB")],
  ["c", w("PUBSUB NUMPAT")],
  ["c", w("PUBSUB CHANNELS")],
  ["c", w("PUBSUB CHANNELS c*")],
  ["c", w("PUBSUB CHANNELS x*")],
  ["c", w("PUBSUB SHARDCHANNELS")],
  ["c", w("PUBSUB SHARDNUMSUB c2")],
  ["c", w("PUBSUB CHANNELS a b")],
  ["a", w("PUNSUBSCRIBE p* nope")],
  ["a", ["PUNSUBSCRIBE"]],
  ["a", ["RESET"]],
  ["a", ["PING"]],
  ["c", w("PUBSUB NUMSUB c2")],
  ["c", w("PUBSUB NUMPAT")],
  // RESP3 subscriber: any command runs; PING answers as usual.
  ["b", w("SUBSCRIBE r1")],
  ["b", w("PSUBSCRIBE r?")],
  ["b", ["PING"]],
  ["b", w("PING x")],
  ["b", w("GET x")],
  ["b", w("CLIENT INFO"), { pick: SUBS }],
  ["c", w("PUBLISH r1 both")],
  // A PUBLISH to the client's own channel inside MULTI: the push sits inside EXEC's array.
  ["b", ["MULTI"]],
  ["b", ["PING"]],
  ["b", w("PUBLISH r1 self")],
  ["b", w("PUBLISH r2 self2")],
  ["b", w("GET x")],
  ["b", ["EXEC"]],
  ["b", ["MULTI"]],
  ["b", w("SUBSCRIBE m1 m2")],
  ["b", w("PUBLISH m1 hi")],
  ["b", w("PSUBSCRIBE m?x")],
  ["b", w("PUBLISH m1x hi2")],
  ["b", w("UNSUBSCRIBE m2 m1")],
  ["b", w("PUNSUBSCRIBE m?x")],
  ["b", ["EXEC"]],
  ["b", ["RESET"]],
  // The same in RESP2: SUBSCRIBE inside MULTI, then the message to itself.
  ["d", ["MULTI"]],
  ["d", w("SUBSCRIBE d1 d2")],
  ["d", w("PUBLISH d1 hi")],
  ["d", ["PING"]],
  ["d", ["EXEC"]],
  ["d", ["PING"]],
  ["d", w("GET x")],
  ["d", ["RESET"]],
  ["d", ["MULTI"]],
  ["d", w("PSUBSCRIBE e*")],
  ["d", w("PUBLISH ex 1")],
  ["d", w("PUNSUBSCRIBE e*")],
  ["d", w("GET x")],
  ["d", ["EXEC"]],
  ["d", w("GET x")],
  // Keyspace events through a pattern, to another client and to the writer itself (in EXEC too).
  ["a", w("PSUBSCRIBE __key*__:*")],
  ["c", w("CONFIG SET notify-keyspace-events KEA")],
  ["c", w("SET k1 v")],
  ["c", w("DEL k1")],
  ["c", w("RPUSH k2 a")],
  ["b", w("HELLO 3")],
  ["b", w("PSUBSCRIBE __keyspace@0__:k*")],
  ["b", w("SET k3 v")],
  ["b", ["MULTI"]],
  ["b", w("SET k3 w")],
  ["b", w("INCR k4")],
  ["b", w("DEL nokey")],
  ["b", ["EXEC"]],
  ["c", w("CONFIG SET notify-keyspace-events")],
  ["c", ["CONFIG", "SET", "notify-keyspace-events", ""]],
  ["a", ["RESET"]],
  ["b", ["RESET"]],
  // CLIENT REPLY OFF / SKIP silence replies, not the subscription pushes.
  ["d", w("CLIENT REPLY OFF"), quiet],
  ["d", ["UNSUBSCRIBE"]],
  ["d", w("SUBSCRIBE q1")],
  ["d", w("PSUBSCRIBE q*")],
  ["d", w("SSUBSCRIBE sq")],
  ["c", w("PUBLISH q1 hello")],
  ["d", ["PING"], quiet],
  ["d", w("UNSUBSCRIBE q1")],
  ["d", ["PUNSUBSCRIBE"]],
  ["d", ["SUNSUBSCRIBE"]],
  ["d", w("CLIENT REPLY ON")],
  ["d", w("CLIENT REPLY SKIP"), quiet],
  ["d", w("SUBSCRIBE q2")],
  ["d", ["PING"]],
  ["d", ["RESET"]],
  ["d", ["MULTI"]],
  ["d", w("CLIENT REPLY OFF")],
  ["d", w("SUBSCRIBE q3")],
  ["d", ["PING"]],
  ["d", ["EXEC"]],
  ["d", w("CLIENT REPLY ON")],
  ["d", ["RESET"]],
  ["d", ["MULTI"]],
  ["d", w("PING one")],
  ["d", w("CLIENT REPLY SKIP")],
  ["d", w("PING two")],
  ["d", ["EXEC"]],
  ["d", w("PING three"), quiet],
  ["d", w("PING four")],
  ["d", w("HELLO 3")],
  ["d", w("SUBSCRIBE q4")],
  ["d", ["MULTI"]],
  ["d", w("CLIENT REPLY SKIP")],
  ["d", w("PUBLISH q4 self")],
  ["d", w("SUBSCRIBE q5")],
  ["d", ["EXEC"]],
  ["d", w("PING five"), quiet],
  ["d", w("PING six")],
  ["d", ["RESET"]],
  // Binary and empty names, glob specials.
  ["a", ["SUBSCRIBE", "", "a\r\nb", "\x00\xff"]],
  ["a", ["PSUBSCRIBE", ""]],
  ["c", ["PUBLISH", "", "m"]],
  ["c", ["PUBLISH", "a\r\nb", "x\r\ny"]],
  ["c", ["PUBLISH", "\x00\xff", "\x00"]],
  ["c", ["PUBSUB", "NUMSUB", "", "a\r\nb", "\x00\xff"]],
  ["c", ["PUBSUB", "CHANNELS", "a*"]],
  ["c", ["PUBSUB", "CHANNELS", "\x00?"]],
  ["a", ["RESET"]],
  ["a", ["PSUBSCRIBE", "h[^e]llo"]],
  ["b", ["PSUBSCRIBE", "h[!e]llo"]],
  ["d", ["PSUBSCRIBE", "h\\*llo"]],
  ["c", w("PUBLISH hallo 1")],
  ["c", w("PUBLISH hello 2")],
  ["c", w("PUBLISH h!llo 3")],
  ["c", w("PUBLISH h*llo 4")],
  ["c", w("PUBLISH hxllo 5")],
  ["a", ["RESET"]],
  ["b", ["RESET"]],
  ["d", ["RESET"]],
  ["a", ["PSUBSCRIBE", "h[c-a]"]],
  ["b", ["PSUBSCRIBE", "h[a"]],
  ["d", ["PSUBSCRIBE", "h[\\]]"]],
  ["c", w("PUBLISH hb 1")],
  ["c", w("PUBLISH ha 2")],
  ["c", w("PUBLISH h[a 3")],
  ["c", w("PUBLISH h] 4")],
  ["c", w("PUBSUB NUMPAT")],
  // QUIT while subscribed closes; its subscriptions go.
  ["a", ["QUIT"]],
  ["c", w("PUBSUB NUMPAT")],
];

Deno.test("pub/sub: atlasd sends the bytes redis-server sends, RESP2 and RESP3", async () => {
  const redis = await startRedis();
  const atlas = await startAtlasd(["--sync-mode", "none"]);
  try {
    const want = await transcript(redis.port, CONNS, STEPS);
    const got = await transcript(atlas.port, CONNS, STEPS);
    const differences = transcriptDifferences(want, got);
    assert.deepEqual(differences, []);
    assert.ok(want.filter((line) => !line.endsWith("-> ")).length > 150, "the steps answered");
  } finally {
    await atlas.stop();
    await redis.stop();
  }
});
