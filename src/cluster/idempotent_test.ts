import assert from "node:assert/strict";
import { Store } from "../../atlas/mod.ts";
import { registerIdempotentCommand } from "./idempotent.ts";

const ctx = (nowMs: number) => ({ nowMs, random: () => 0.5 });

Deno.test("HELIOS.IDEMPOTENT applies a command once per request id and replays its reply", () => {
  const store = new Store();
  registerIdempotentCommand(store);
  const first = store.execute(
    ["HELIOS.IDEMPOTENT", "req-1", "60000", "INCR", "counter"],
    ctx(1000),
  );
  assert.deepEqual(first.reply, { kind: "integer", value: 1 });
  // The log holds the command and the record, with an absolute deadline: replay is exact.
  assert.deepEqual(first.log?.map((c) => c[0]), ["INCR", "SET"]);
  assert.ok(first.log?.[1].includes("61000"));
  const retry = store.execute(
    ["HELIOS.IDEMPOTENT", "req-1", "60000", "INCR", "counter"],
    ctx(2000),
  );
  assert.deepEqual(retry.reply, { kind: "integer", value: 1 });
  assert.equal(retry.log, null);
  assert.deepEqual(store.execute(["GET", "counter"], ctx(2000)).reply, {
    kind: "bulk",
    value: "1",
  });
  // Another id applies; after the window the same id applies again.
  assert.deepEqual(
    store.execute(["HELIOS.IDEMPOTENT", "req-2", "60000", "INCR", "counter"], ctx(3000)).reply,
    {
      kind: "integer",
      value: 2,
    },
  );
  assert.deepEqual(
    store.execute(["HELIOS.IDEMPOTENT", "req-1", "60000", "INCR", "counter"], ctx(62_000)).reply,
    {
      kind: "integer",
      value: 3,
    },
  );
});

Deno.test("HELIOS.IDEMPOTENT records errors too and rejects bad ids and windows", () => {
  const store = new Store();
  registerIdempotentCommand(store);
  store.execute(["SET", "s", "text"], ctx(0));
  const wrong = store.execute(["HELIOS.IDEMPOTENT", "r", "1000", "INCR", "s"], ctx(0)).reply;
  assert.equal(wrong.kind, "error");
  assert.deepEqual(
    store.execute(["HELIOS.IDEMPOTENT", "r", "1000", "INCR", "s"], ctx(1)).reply,
    wrong,
  );
  assert.match(
    (store.execute(["HELIOS.IDEMPOTENT", "bad id", "1000", "PING"], ctx(0)).reply as {
      value: string;
    }).value,
    /request id/,
  );
  assert.match(
    (store.execute(["HELIOS.IDEMPOTENT", "ok", "0", "PING"], ctx(0)).reply as { value: string })
      .value,
    /ttl-ms/,
  );
});
