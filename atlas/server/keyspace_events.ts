/**
 * Keyspace notifications (notify-keyspace-events): subscribes to the store's event hook and
 * publishes each event, as Redis's notifyKeyspaceEvent does, on `__keyspace@<db>__:<key>`
 * (message: the event) when K is on, then on `__keyevent@<db>__:<event>` (message: the key) when E
 * is on, `<db>` being the database of the key (always 0 in a Raft cluster). Events are per node: each node publishes what its
 * own store applies (a Raft follower publishes on apply; nothing is replicated).
 */
import {
  EventClass,
  formatKeyspaceEvents,
  INVALID_EVENT_CLASS,
  parseKeyspaceEvents,
} from "../store/notify.ts";
import type { PubSub } from "./pubsub.ts";
import type { StoreHooks } from "./types.ts";

export class KeyspaceEvents {
  #flags = 0;

  constructor(private readonly pubsub: PubSub, private readonly store: StoreHooks | undefined) {}

  /** The flags in Redis's canonical letters (CONFIG GET notify-keyspace-events). */
  get text(): string {
    return formatKeyspaceEvents(this.#flags);
  }

  /** Applies flag letters (CONFIG SET); returns Redis's error text for a bad letter, or null. */
  configure(text: string): string | null {
    const flags = parseKeyspaceEvents(text);
    if (flags === null) return INVALID_EVENT_CLASS;
    this.#flags = flags;
    const publishes = (flags & (EventClass.Keyspace | EventClass.Keyevent)) !== 0;
    // Without K or E nothing is published: the store then skips events altogether.
    this.store?.setKeyspaceEventListener?.(flags, publishes ? this.#publish : null);
    return null;
  }

  /** Stops listening (server close). */
  close(): void {
    if (this.#flags !== 0) this.store?.setKeyspaceEventListener?.(0, null);
    this.#flags = 0;
  }

  readonly #publish = (event: string, key: string, db: number): void => {
    const pubsub = this.pubsub;
    if (pubsub.channels.size === 0 && pubsub.patterns.size === 0) return; // nobody listens
    const flags = this.#flags;
    if ((flags & EventClass.Keyspace) !== 0) pubsub.publish(`__keyspace@${db}__:${key}`, event);
    if ((flags & EventClass.Keyevent) !== 0) pubsub.publish(`__keyevent@${db}__:${event}`, key);
  };
}
