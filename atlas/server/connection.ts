/**
 * One connection's loop: read (64 KiB), parse every complete command, execute them in order,
 * then — if any of them wrote — wait for the executor's group commit before the batched replies
 * leave in one write. Async results (a replicated executor) keep their order; a blocking
 * command stops input processing until it is served, times out, or the peer goes away.
 */
import { argvBytes, evictClients } from "./client_memory.ts";
import { outputOverflows } from "./output_limits.ts";
import type { Reply } from "../store/reply.ts";
import type { Client } from "./client.ts";
import type { ServerContext } from "./context.ts";
import { gateReply } from "./client_reply.ts";
import { dispatch } from "./dispatch.ts";
import { Blocked, type HandlerResult, ReplyList } from "./types.ts";

/** client-query-buffer-limit's default (Settings.queryBufferBytesMax), as Redis's. */
export const QUERY_BUFFER_BYTES_DEFAULT = 1024 * 1024 * 1024;
const SCRATCH_BYTES = 16 * 1024;
const SMALL_READ_BYTES = 8 * 1024;
const BIG_READ_BYTES = 64 * 1024;

type Pending = Reply | Promise<Reply> | ReplyList;

export async function serveConnection(ctx: ServerContext, client: Client): Promise<void> {
  try {
    while (!client.closed) {
      let n: number | null;
      if (client.pendingRead !== null) n = await readPending(client);
      else {
        // 8 KiB reads until one fills its buffer, then 64 KiB: idle clients stay small.
        const region = client.parser.spare(client.bigReads ? BIG_READ_BYTES : SMALL_READ_BYTES);
        try {
          n = await client.conn.read(region);
        } catch {
          n = null; // reset by peer, or closed by us: same outcome
        }
        if (n !== null) {
          client.parser.commit(n);
          client.bigReads = n === region.length;
        }
      }
      if (n === null) break;
      ctx.stats.netInputBytes += n;
      ctx.stats.reads++;
      const batch = processBatch(ctx, client);
      // Its read buffer, partial request, queued replies, MULTI queue, watches... as they are now.
      ctx.clientsMemory.update(client);
      if (batch === SYNC_THEN_REPLY) {
        // The common write path, inline (no extra async frames): durability, then the replies.
        client.needsSync = false;
        try {
          await ctx.executor.sync();
        } catch (err) {
          dropUnacknowledged(ctx, client, err);
        } finally {
          client.output.release();
        }
      } else if (batch !== undefined) await batch;
      if (client.output.pendingBytes > 0) await client.output.flush();
      if (client.closeAfterFlush || client.output.failed) break;
      if (client.parser.bufferedBytes > ctx.settings.queryBufferBytesMax) {
        ctx.logger.warn("Closing client that reached the query buffer limit", {
          addr: client.addr,
        });
        break;
      }
    }
  } catch (err) {
    ctx.logger.error("Connection failed", { addr: client.addr, error: String(err) });
  } finally {
    ctx.disconnect(client);
  }
}

/** Consumes a read that was started while the client was blocked (into `scratch`). */
async function readPending(client: Client): Promise<number | null> {
  const n = await client.pendingRead;
  client.pendingRead = null;
  if (n === null || n === undefined) return null;
  client.parser.feed(client.scratch!.subarray(0, n));
  return n;
}

/** processBatch's answer when its replies only wait for sync(); the output is still held. */
const SYNC_THEN_REPLY = 1;

/**
 * Runs every parsed command of this read. The common case (synchronous results, nothing to
 * await) stays synchronous: no promise per batch. Returns SYNC_THEN_REPLY when the encoded
 * replies only wait for durability (the caller syncs, then releases the output), or a Promise
 * when the batch must wait for more (an async result, a blocking command).
 */
function processBatch(
  ctx: ServerContext,
  client: Client,
): Promise<void> | typeof SYNC_THEN_REPLY | undefined {
  const output = client.output;
  output.hold();
  let handedOff = false;
  try {
    client.lastInteractionMs = Date.now();
    // The slow log's batch timing (command_timing.ts): one clock pair per read, not per command.
    const timing = ctx.timing;
    const timed = timing.batchGated && !timing.exactFor(client);
    const t0 = timed ? performance.now() : 0;
    let commands = 0;
    const normalLimit = ctx.settings.outputLimits.normal;
    const limited = normalLimit.hardBytes > 0 || normalLimit.softBytes > 0;
    // Under maxmemory or maxmemory-clients this client's memory is re-read before each command:
    // a pipeline of large replies evicts keys (or this client) as it grows, not once the whole
    // read has run.
    const counted = ctx.clientsMemory.limited();
    for (let argv = client.parser.next(); argv !== null; argv = client.parser.next()) {
      if (counted) {
        // Before it runs, with its arguments, as Redis's processCommand evicts: a client whose
        // request alone passes maxmemory-clients goes without running it.
        client.argvBytes = argvBytes(argv);
        ctx.clientsMemory.update(client);
        if (ctx.clientsMemory.overLimit()) evictClients(ctx);
        if (client.closed) break;
      }
      let result: HandlerResult = dispatch(ctx, client, argv);
      if (client.replyGated) result = gateReply(client, result); // CLIENT REPLY OFF / SKIP
      commands++;
      if (ctx.blocking.hasReady) void ctx.blocking.serveReady();
      if (result instanceof Blocked || result instanceof Promise) {
        if (timed) timing.batchDone(client, commands, (performance.now() - t0) * 1000);
        handedOff = true;
        return continueBatch(ctx, client, result);
      }
      encode(client, result);
      if (limited && client.subscriptionCount === 0) {
        if (outputOverflows(normalLimit, client, output.unsentBytes)) closeOverLimit(ctx, client);
      }
      if (client.closeAfterFlush) break;
    }
    if (timed && commands > 0) {
      timing.batchDone(client, commands, (performance.now() - t0) * 1000);
    }
    client.argvBytes = 0;
    if (client.parser.error !== null) {
      encode(client, { kind: "error", value: `ERR ${client.parser.error}` });
      client.closeAfterFlush = true;
    }
    // After our own writes, or when this batch may have read someone else's write that is not
    // yet durable, the replies wait for sync() like Redis's wait for its AOF flush.
    if (client.needsSync || ctx.executor.hasUnsyncedWrites?.()) {
      handedOff = true;
      return SYNC_THEN_REPLY;
    }
  } finally {
    if (!handedOff) output.release();
  }
  return undefined;
}

/**
 * A normal client over client-output-buffer-limit: closed without sending what it has not taken
 * yet, as Redis frees it (the commands it sent ran; their replies are dropped).
 */
function closeOverLimit(ctx: ServerContext, client: Client): void {
  ctx.logger.warn("Closing client over the output buffer limit", {
    addr: client.addr,
    class: "normal",
    unsentBytes: client.output.unsentBytes,
  });
  client.closeAfterFlush = true;
  client.output.failed = true;
}

/** Never acknowledge a write whose durability failed: drop the connection instead. */
function dropUnacknowledged(ctx: ServerContext, client: Client, err: unknown): void {
  ctx.logger.error("Sync failed; closing client without replying", { error: String(err) });
  client.closeAfterFlush = true;
  client.output.failed = true;
}

/** The rest of a batch once something must be awaited (output is held on entry). */
async function continueBatch(
  ctx: ServerContext,
  client: Client,
  first: Blocked | Promise<Reply>,
): Promise<void> {
  const output = client.output;
  let pending: Pending[] | null = null;
  let held = true;
  let result: HandlerResult | null = first;
  try {
    while (true) {
      if (result === null) {
        if (client.closeAfterFlush) break;
        const argv = client.parser.next();
        if (argv === null) break;
        output.repliesQueued = pending !== null;
        result = dispatch(ctx, client, argv);
        if (client.replyGated) result = gateReply(client, result);
        if (ctx.blocking.hasReady) void ctx.blocking.serveReady();
      }
      if (result instanceof Blocked) {
        if (!(await finishSegment(ctx, client, pending))) return;
        pending = null;
        output.release();
        held = false;
        await output.flush();
        const reply = await waitBlocked(ctx, client, result.promise);
        if (reply === null) return;
        client.lastInteractionMs = Date.now(); // served: idle from now (the `timeout` sweep)
        output.hold();
        held = true;
        client.needsSync = true;
        encode(client, reply);
      } else if (pending === null && !(result instanceof Promise)) {
        encode(client, result);
      } else {
        (pending ??= []).push(result);
      }
      result = null;
    }
    if (client.parser.error !== null) {
      (pending ??= []).push({ kind: "error", value: `ERR ${client.parser.error}` });
      client.closeAfterFlush = true;
    }
    await finishSegment(ctx, client, pending);
  } finally {
    output.repliesQueued = false;
    if (held) output.release();
  }
}

/** Waits for durability of this batch's writes, then encodes the queued replies in order. */
async function finishSegment(
  ctx: ServerContext,
  client: Client,
  pending: Pending[] | null,
): Promise<boolean> {
  // Also when this batch only read: it may have seen another client's write not yet durable.
  if (client.needsSync || ctx.executor.hasUnsyncedWrites?.()) {
    client.needsSync = false;
    try {
      await ctx.executor.sync();
    } catch (err) {
      dropUnacknowledged(ctx, client, err);
      return false;
    }
  }
  if (pending === null) return true;
  for (const item of pending) {
    let reply: Reply | ReplyList;
    try {
      reply = item instanceof Promise ? await item : item;
    } catch (err) {
      reply = { kind: "error", value: `ERR ${err instanceof Error ? err.message : String(err)}` };
    }
    encode(client, reply);
  }
  return true;
}

function encode(client: Client, reply: Reply | ReplyList | Promise<Reply>): void {
  const w = client.output.writer;
  if (reply instanceof ReplyList) {
    for (const r of reply.replies) w.reply(r, client.proto);
  } else w.reply(reply as Reply, client.proto);
}

/**
 * Waits for a blocking command while watching the socket: EOF cancels the wait (so no element
 * is popped for a client that is gone); bytes that arrive meanwhile are queued in the parser.
 */
async function waitBlocked(
  ctx: ServerContext,
  client: Client,
  promise: Promise<Reply>,
): Promise<Reply | null> {
  const done = promise.then((reply) => ({ reply }));
  while (true) {
    if (client.pendingRead === null) {
      client.scratch ??= new Uint8Array(SCRATCH_BYTES);
      client.pendingRead = client.conn.read(client.scratch).catch(() => null);
    }
    const outcome = await Promise.race([done, client.pendingRead.then((n) => ({ n }))]);
    if ("reply" in outcome) return outcome.reply;
    client.pendingRead = null;
    if (outcome.n === null || client.parser.bufferedBytes > ctx.settings.queryBufferBytesMax) {
      client.unblock?.();
      client.closed = true;
      return null;
    }
    client.parser.feed(client.scratch!.subarray(0, outcome.n));
    ctx.clientsMemory.update(client);
  }
}
