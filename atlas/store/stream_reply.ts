/** Stream entries as replies: [id, [field, value, ...]]. */
import { array, bulk, type Reply } from "./reply.ts";
import { formatId } from "./stream_id.ts";
import type { StreamEntry } from "./stream_value.ts";

export function entryReply([id, fields]: StreamEntry): Reply {
  return array([bulk(formatId(id)), array(fields.map(bulk))]);
}

export function entriesReply(entries: readonly StreamEntry[]): Reply {
  return array(entries.map(entryReply));
}
