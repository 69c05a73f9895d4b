/**
 * The running configuration as one immutable snapshot: router, upstream pools and trusted
 * proxies. A reload builds a new snapshot and swaps one reference; requests already in flight
 * keep the snapshot they started with, so nothing is dropped. Target state (health, breaker,
 * ejection) carries over for URLs that stay in the same upstream.
 */
import type { Clock } from "../lib/clock.ts";
import { CidrSet } from "./cidr.ts";
import type { RoutesFile } from "./config.ts";
import { compileRoute, Router } from "./router.ts";
import type { Target, TargetSettings } from "./target.ts";
import { Upstream, type UpstreamEvents } from "./upstream.ts";

export interface Snapshot {
  readonly file: RoutesFile;
  readonly router: Router;
  readonly upstreams: Map<string, Upstream>;
  readonly trusted: CidrSet;
  readonly version: number;
}

export function buildSnapshot(
  file: RoutesFile,
  previous: Snapshot | null,
  defaults: TargetSettings,
  clock: Clock,
  events: UpstreamEvents,
  random?: () => number,
): Snapshot {
  const upstreams = new Map<string, Upstream>();
  for (const [name, config] of Object.entries(file.upstreams)) {
    const old = previous?.upstreams.get(name);
    if (old) {
      // Same pool: keep it (its balancer position, pending waiters and budget) and update it.
      old.apply(config, old.targets);
      upstreams.set(name, old);
    } else {
      upstreams.set(name, new Upstream(name, config, defaults, clock, events, random));
    }
  }
  for (const [name, old] of previous?.upstreams ?? []) {
    if (!upstreams.has(name)) { for (const target of old.targets) target.h1?.close(); }
  }
  return {
    file,
    router: new Router(file.routes.map(compileRoute)),
    upstreams,
    trusted: new CidrSet(file.trusted_proxies),
    version: (previous?.version ?? 0) + 1,
  };
}

export function* allTargets(snapshot: Snapshot): Iterable<Target> {
  for (const upstream of snapshot.upstreams.values()) yield* upstream.targets;
}
