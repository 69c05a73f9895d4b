import { binaryToUtf8, type Reply, utf8ToBinary } from "../../atlas/mod.ts";
import type { Value } from "./atlas_client.ts";

/** A command as JS strings/numbers → argv of binary strings (UTF-8 bytes). */
export function toArgv(command: string, args: (string | number)[]): string[] {
  const argv = new Array<string>(args.length + 1);
  argv[0] = command;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    argv[i + 1] = typeof arg === "number" ? String(arg) : utf8ToBinary(arg);
  }
  return argv;
}

/** A protocol-neutral Reply → a plain value with bulk strings decoded from UTF-8. */
export function replyToValue(reply: Reply): Value {
  switch (reply.kind) {
    case "simple":
      return reply.value;
    case "error":
      return { error: reply.value };
    case "integer":
      return reply.value;
    case "bulk":
      return binaryToUtf8(reply.value);
    case "nil":
    case "nilArray":
      return null;
    case "double":
      return reply.value;
    case "bool":
      return reply.value;
    case "array":
    case "set":
    case "push":
      return reply.value.map(replyToValue);
    case "map":
      return reply.value.flatMap(([key, value]) => [replyToValue(key), replyToValue(value)]);
  }
}
