/**
 * Container commands (SLOWLOG, LATENCY, PUBSUB): Redis 7 checks a subcommand's name and arity
 * before running it, with its own error texts; these helpers give the same answers.
 */
import { error, type Reply, simple } from "../store/reply.ts";

/** Error texts quote user input: Redis turns its line breaks into spaces (one-line replies). */
function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, " ");
}

/**
 * Checks `argv[1]` against `arities` (Redis arities, the container's name counted as argv[0]):
 * an error reply for an unknown subcommand or a wrong argument count, else null.
 */
export function checkSubcommand(
  container: string,
  arities: Readonly<Record<string, number>>,
  argv: readonly string[],
): Reply | null {
  const sub = argv[1].toLowerCase();
  const arity = Object.hasOwn(arities, sub) ? arities[sub] : undefined;
  if (arity === undefined) {
    return error(oneLine(
      `ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`,
    ));
  }
  if (arity > 0 ? argv.length !== arity : argv.length < -arity) {
    return error(`ERR wrong number of arguments for '${container}|${sub}' command`);
  }
  return null;
}

/** Redis's reply for arguments a subcommand cannot take (addReplySubcommandSyntaxError). */
export function subcommandSyntaxError(container: string, argv: readonly string[]): Reply {
  return error(oneLine(
    `ERR unknown subcommand or wrong number of arguments for '${
      argv[1].slice(0, 128)
    }'. Try ${container.toUpperCase()} HELP.`,
  ));
}

/** A HELP reply: one status line each, as Redis's addReplyHelp sends them. */
export function helpReply(lines: readonly string[]): Reply {
  return { kind: "array", value: lines.map(simple) };
}

/**
 * A rejection a container answers before running the subcommand (unknown name, wrong count):
 * Redis never "calls" those, so the slow log skips them.
 */
export function isSubcommandRejection(reply: Reply): boolean {
  return reply.kind === "error" &&
    (reply.value.startsWith("ERR unknown subcommand '") ||
      reply.value.startsWith("ERR wrong number of arguments for '"));
}
