/**
 * CLIENT REPLY ON|OFF|SKIP. OFF silences every reply (errors too) until ON; SKIP silences the
 * next command's. The connection calls `gateReply` after each dispatch only while
 * `client.replyGated` is set, so a client that never used them pays one field read per command.
 * The decision is taken in dispatch order, not when the reply is encoded, so a pipeline with
 * async replies is silenced exactly where the client asked. Pushes (pub/sub messages,
 * invalidations) are not replies and still arrive, as in Redis.
 */
import { error, type Reply, simple } from "../store/reply.ts";
import type { Client } from "./client.ts";
import { Blocked, type HandlerResult, ReplyList } from "./types.ts";

/** Encodes nothing. */
const SILENT = new ReplyList([]);

/** Replaces a silenced command's reply with nothing; moves SKIP on to the next command. */
export function gateReply(client: Client, result: HandlerResult): HandlerResult {
  const silent = client.replyOff || client.replySkip;
  client.replySkip = client.replySkipNext;
  client.replySkipNext = false;
  client.replyGated = client.replyOff || client.replySkip;
  if (!silent) return result;
  // Still wait for it (order and durability), but send nothing.
  // The connection encodes whatever a pending promise resolves to, a ReplyList included.
  const silenced = (p: Promise<Reply>) => p.then(() => SILENT) as unknown as Promise<Reply>;
  if (result instanceof Blocked) return new Blocked(silenced(result.promise));
  if (result instanceof Promise) return silenced(result);
  return SILENT;
}

/**
 * RESET: Redis clears REPLY OFF and a SKIP not yet in force before replying, so "+RESET" is
 * sent under OFF; a SKIP already in force (CLIENT REPLY SKIP just before) still silences it.
 */
export function resetReplyMode(client: Client): void {
  client.replyOff = false;
  client.replySkipNext = false;
  client.replyGated = client.replySkip;
}

/** The subcommand; its own reply goes through gateReply like any other. */
export function clientReply(client: Client, mode: string): Reply {
  switch (mode.toLowerCase()) {
    case "on":
      client.replyOff = false;
      client.replySkip = false;
      client.replyGated = client.replySkipNext;
      return simple("OK");
    case "off":
      client.replyOff = true;
      client.replyGated = true;
      return simple("OK"); // silenced by the gate: Redis sends nothing
    case "skip":
      // Silence this reply and the next one (SKIP under OFF changes nothing).
      if (!client.replyOff) {
        client.replySkip = true;
        client.replySkipNext = true;
      }
      client.replyGated = true;
      return simple("OK");
    default:
      return error("ERR syntax error");
  }
}
