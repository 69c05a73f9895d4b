import type { Balancer } from "./balancer.ts";
import { ConsistentHash } from "./consistent_hash.ts";
import { LeastConnections } from "./least_connections.ts";
import { PowerOfTwo } from "./power_of_two.ts";
import { RoundRobin } from "./round_robin.ts";
import { WeightedRoundRobin } from "./weighted_round_robin.ts";

export type { Balancer, BalancerTarget } from "./balancer.ts";
export { ConsistentHash, fnv1a } from "./consistent_hash.ts";
export { LeastConnections } from "./least_connections.ts";
export { PowerOfTwo } from "./power_of_two.ts";
export { RoundRobin } from "./round_robin.ts";
export { WeightedRoundRobin } from "./weighted_round_robin.ts";

export type BalancerKind =
  | "round_robin"
  | "weighted_round_robin"
  | "least_connections"
  | "power_of_two"
  | "consistent_hash";

export function createBalancer(kind: BalancerKind, random: () => number = Math.random): Balancer {
  switch (kind) {
    case "round_robin":
      return new RoundRobin();
    case "weighted_round_robin":
      return new WeightedRoundRobin();
    case "least_connections":
      return new LeastConnections();
    case "power_of_two":
      return new PowerOfTwo(random);
    case "consistent_hash":
      return new ConsistentHash();
  }
}
