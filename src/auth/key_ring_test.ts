/**
 * Two gateways starting at once on one ATLAS: one signing key wins, and no gateway lists or
 * trusts the loser's, even one that reloaded between the loser writing it and deleting it.
 */
import assert from "node:assert/strict";
import { systemClock } from "../lib/clock.ts";
import type { AtlasClient, Value } from "../storage/atlas_client.ts";
import { authAtlas } from "./testing/harness.ts";
import { KeyRing } from "./key_ring.ts";
import { keys } from "./records.ts";

/** Holds this client's `SET ... NX` until `release()`: the other gateway runs meanwhile. */
class GatedAtlas implements AtlasClient {
  reached = Promise.withResolvers<void>();
  #gate = Promise.withResolvers<void>();
  constructor(private readonly inner: AtlasClient) {}
  release(): void {
    this.#gate.resolve();
  }
  async call(command: string, ...args: (string | number)[]): Promise<Value> {
    if (command === "SET" && args.includes("NX")) {
      this.reached.resolve();
      await this.#gate.promise;
    }
    return await this.inner.call(command, ...args);
  }
  transaction(commands: (string | number)[][]): Promise<Value[]> {
    return this.inner.transaction(commands);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

Deno.test("KeyRing: a start-up race's losing key is never listed or trusted", async () => {
  const atlas = await authAtlas();
  const gated = new GatedAtlas(atlas);
  const options = { secret: "", retireAfterMs: 60_000 };
  const loser = new KeyRing(gated, systemClock, options);
  const winner = new KeyRing(atlas, systemClock, options);
  const loading = loser.load();
  await gated.reached.promise; // the loser's candidate key is in ATLAS now
  await winner.load(); // reloads while that key is there, and wins the NX
  gated.release();
  await loading;
  assert.equal(loser.signing().kid, winner.signing().kid);
  assert.deepEqual(winner.jwks().keys.map((k) => k.kid), [winner.signing().kid]);
  assert.deepEqual(loser.jwks().keys.map((k) => k.kid), [winner.signing().kid]);
  assert.deepEqual(await atlas.call("HKEYS", keys.jwks()), [winner.signing().kid]);
});
