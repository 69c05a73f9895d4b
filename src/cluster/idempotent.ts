/**
 * `HELIOS.IDEMPOTENT <request-id> <ttl-ms> <command> [args...]`: runs the command at most once
 * per request id. The reply is kept under `helios:idem:<request-id>` for `ttl-ms`; a retry with
 * the same id within that window gets the recorded reply and changes nothing. The record is an
 * ordinary key written in the same atomic step (so it is in the AOF, in snapshots and replicated
 * through Raft), and its deadline is absolute, stamped from the command's time.
 *
 * This is how a client that retries after an ambiguous error (a timeout, a lost connection, a
 * TRYAGAIN that says "may or may not have been applied") avoids applying a write twice.
 */
import { error, type Store } from "../../atlas/mod.ts";
import { decodeReply, encodeReply } from "./reply_codec.ts";

export const IDEMPOTENT = "helios.idempotent";
export const IDEMPOTENCY_KEY_PREFIX = "helios:idem:";
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TTL_MS_MAX = 7 * 24 * 3600 * 1000;

export function registerIdempotentCommand(store: Store): void {
  if (store.commands.has(IDEMPOTENT)) return;
  store.registerCommand(
    {
      name: IDEMPOTENT,
      arity: -4,
      flags: ["write", "denyoom"],
      firstKey: 0,
      lastKey: 0,
      step: 0,
      group: "server",
    },
    (inner, argv, ctx) => {
      const [, requestId, ttlText] = argv;
      const ttlMs = Number(ttlText);
      if (!REQUEST_ID.test(requestId)) {
        return {
          reply: error("ERR request id must be 1-128 characters of [A-Za-z0-9._:-]"),
          log: null,
        };
      }
      if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > TTL_MS_MAX) {
        return { reply: error(`ERR ttl-ms must be an integer in 1..${TTL_MS_MAX}`), log: null };
      }
      const recordKey = IDEMPOTENCY_KEY_PREFIX + requestId;
      const recorded = inner.execute(["GET", recordKey], ctx).reply;
      if (recorded.kind === "bulk") return { reply: decodeReply(recorded.value), log: null };
      const result = inner.execute(argv.slice(3), ctx);
      const deadline = String(ctx.nowMs + ttlMs);
      const record = inner.execute(
        ["SET", recordKey, encodeReply(result.reply), "PXAT", deadline],
        ctx,
      );
      const log = [...(result.log ?? []), ...(record.log ?? [])];
      return { reply: result.reply, log: log.length > 0 ? log : null };
    },
  );
}
