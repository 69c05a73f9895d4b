/**
 * Where a PUBLISH or SPUBLISH goes. On one node: to its subscribers, at once. In a Raft cluster
 * (an executor with `publish`): through the log to every node, each delivering to its own
 * subscribers as it applies the entry, so a subscriber connected to any node gets the message
 * once, after the writes the publisher made before it (Celery's result backend publishes a
 * task's result after storing it; its client may wait on another node).
 */
import { integer, type Reply } from "../store/reply.ts";
import type { ServerContext } from "./context.ts";

/**
 * PUBLISH / SPUBLISH as a client sends it. A Raft cluster's executor sends the message through
 * its log to every node's subscribers (CommandExecutor.publish); the reply then counts this
 * node's receivers, as Redis Cluster's does.
 */
export function publishEverywhere(
  ctx: ServerContext,
  kind: "publish" | "spublish",
  channel: string,
  message: string,
): Reply | Promise<Reply> {
  if (ctx.executor.publish === undefined) return integer(publishHere(ctx, kind, channel, message));
  const receivers = kind === "publish"
    ? ctx.pubsub.receivers(channel)
    : ctx.pubsub.shardReceivers(channel);
  return ctx.executor.publish(kind, channel, message).then((reply) =>
    reply.kind === "error" ? reply : integer(receivers)
  );
}

/** Delivers to this node's subscribers; returns how many received it. */
export function publishHere(
  ctx: ServerContext,
  kind: "publish" | "spublish",
  channel: string,
  message: string,
): number {
  ctx.stats.pubsubMessages++;
  return kind === "publish"
    ? ctx.pubsub.publish(channel, message)
    : ctx.pubsub.spublish(channel, message);
}
