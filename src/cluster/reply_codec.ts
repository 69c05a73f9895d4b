/**
 * A Reply as one string and back, with everything the RESP encoder reads: the kind and the
 * protocol hints (`pairs`, `resp2Pairs`, `text`, `bigNumber`, a double's text, nil vs nil
 * array). Neither RESP2 nor RESP3 on the wire keeps all of them, so a reply that crosses a node
 * (a follower's forwarded write, HELIOS.IDEMPOTENT's record) travels in this form and is rendered
 * for the client only where the client is. JSON of binary strings: every char stays 0–255.
 */
import type { Reply } from "../../atlas/mod.ts";

export function encodeReply(reply: Reply): string {
  return JSON.stringify(
    reply,
    (_key, value) => typeof value === "bigint" ? { bigint: value.toString() } : value,
  );
}

export function decodeReply(text: string): Reply {
  return JSON.parse(
    text,
    (_key, value) =>
      value !== null && typeof value === "object" && typeof value.bigint === "string" &&
        Object.keys(value).length === 1
        ? BigInt(value.bigint)
        : value,
  );
}
