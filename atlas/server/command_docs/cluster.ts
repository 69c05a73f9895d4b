/** COMMAND DOCS: the cluster commands (see types.ts). */
import { type CommandDoc, doc } from "./types.ts";

export const DOCS: Readonly<Record<string, CommandDoc>> = {
  asking: doc(
    "Lets a cluster client reach a slot being imported; refused, cluster mode being off",
    "3.0.0",
    "cluster",
    "O(1)",
  ),
  cluster: doc(
    "Groups the Redis Cluster subcommands; all refused, ATLAS not being sharded",
    "3.0.0",
    "cluster",
    "Depends on the subcommand",
  ),
  readonly: doc(
    "Allows reads from a cluster replica; refused, cluster mode being off",
    "3.0.0",
    "cluster",
    "O(1)",
  ),
  readwrite: doc(
    "Undoes READONLY on a cluster replica; refused, cluster mode being off",
    "3.0.0",
    "cluster",
    "O(1)",
  ),
};
