import assert from "node:assert/strict";
import { Logger } from "./logger.ts";

function capture(level: "debug" | "info" | "warn" | "error" = "info") {
  const lines: string[] = [];
  const logger = new Logger("gateway", { level, sink: (line) => lines.push(line), clock: () => 0 });
  return { lines, logger };
}

Deno.test("logger writes one JSON object per line in the documented shape", () => {
  const { lines, logger } = capture();
  logger.info("Request processed", { endpoint: "/api/v1/kv/foo", duration_ms: 5 });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0].includes("\n"));
  assert.deepEqual(JSON.parse(lines[0]), {
    timestamp: "1970-01-01T00:00:00.000Z",
    level: "INFO",
    component: "gateway",
    message: "Request processed",
    extra: { endpoint: "/api/v1/kv/foo", duration_ms: 5 },
  });
});

Deno.test("logger lifts request_id, trace_id and node_id to the top level", () => {
  const { lines, logger } = capture();
  logger.with({ request_id: "r1" }).warn("Slow request", {
    trace_id: "abc",
    node_id: "node-1",
    ms: 9,
  });
  const record = JSON.parse(lines[0]);
  assert.equal(record.request_id, "r1");
  assert.equal(record.trace_id, "abc");
  assert.equal(record.node_id, "node-1");
  assert.deepEqual(record.extra, { ms: 9 });
  assert.equal(record.level, "WARN");
});

Deno.test("logger drops lines below its level and child keeps the sink", () => {
  const { lines, logger } = capture("warn");
  logger.info("Ignored");
  logger.debug("Ignored too");
  logger.child("atlas").error("Write failed", { error: new Error("disk full") });
  assert.equal(lines.length, 1);
  const record = JSON.parse(lines[0]);
  assert.equal(record.component, "atlas");
  assert.deepEqual(record.extra.error, { name: "Error", message: "disk full" });
});

Deno.test("setLevel changes the level of a logger and of every logger derived from it", () => {
  const { lines, logger } = capture("info");
  const child = logger.child("resp").with({ request_id: "r1" });
  child.debug("Hidden");
  logger.setLevel("debug");
  child.debug("Shown");
  assert.equal(child.level, "debug");
  child.setLevel("warn");
  logger.info("Hidden too");
  logger.warn("Warned");
  assert.deepEqual(lines.map((line) => JSON.parse(line).message), ["Shown", "Warned"]);
  // A logger built with other options keeps its own level.
  const other = capture("info");
  assert.equal(other.logger.level, "info");
});
