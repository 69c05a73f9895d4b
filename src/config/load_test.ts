import assert from "node:assert/strict";
import { ConfigError, envOverrides, loadConfig, metricsListen, redactSecrets } from "./load.ts";
import { configSchema } from "./schema.ts";

const files = (content: Record<string, string>) => (path: string) => {
  if (!(path in content)) throw new Deno.errors.NotFound(`no such file: ${path}`);
  return content[path];
};

Deno.test("configs/config.yaml documents exactly the defaults", () => {
  const fromFile = loadConfig({
    file: new URL("../../configs/config.yaml", import.meta.url).pathname,
  });
  assert.deepEqual(fromFile, configSchema.parse({}));
});

Deno.test("precedence: flags > environment > file > defaults", () => {
  const readFile = files({
    "c.yaml":
      "gateway:\n  listen: ':1000'\n  rate_limit:\n    default_capacity: 5\natlas:\n  aof_fsync: none\n",
  });
  const config = loadConfig({
    file: "c.yaml",
    readFile,
    env: {
      HELIOS_GATEWAY__RATE_LIMIT__DEFAULT_CAPACITY: "100",
      HELIOS_ATLAS__AOF_FSYNC: "interval",
      HELIOS_TOKEN: "not-a-config-key",
    },
    flags: [{ path: ["atlas", "aof_fsync"], value: "every", source: "--sync-mode" }],
  });
  assert.equal(config.gateway.listen, ":1000"); // file over default
  assert.equal(config.gateway.rate_limit.default_capacity, 100); // env over file, typed as a number
  assert.equal(config.atlas.aof_fsync, "every"); // flag over env
  assert.equal(config.proxy.listen, ":8080"); // default
});

Deno.test("command defaults sit below the file", () => {
  const readFile = files({ "c.yaml": "gateway:\n  listen: ':1000'\n" });
  const defaults = [
    { path: ["gateway", "listen"], value: "127.0.0.1:8443", source: "serve default" },
    { path: ["atlas", "listen"], value: "127.0.0.1:6379", source: "serve default" },
  ];
  const config = loadConfig({ file: "c.yaml", readFile, defaults });
  assert.equal(config.gateway.listen, ":1000");
  assert.equal(config.atlas.listen, "127.0.0.1:6379");
});

Deno.test("environment values parse as YAML scalars and lists", () => {
  const overrides = envOverrides({
    HELIOS_WORKER__QUEUES: "[emails, reports]",
    HELIOS_ATLAS__RAFT__ENABLED: "true",
    HELIOS_PATH: "ignored",
  });
  assert.deepEqual(overrides.map((o) => [o.path.join("."), o.value]), [
    ["worker.queues", ["emails", "reports"]],
    ["atlas.raft.enabled", true],
  ]);
});

Deno.test("atlas.maxmemory_clients takes bytes or a percentage of maxmemory", () => {
  const load = (value: string) =>
    loadConfig({ env: { HELIOS_ATLAS__MAXMEMORY_CLIENTS: value } }).atlas.maxmemory_clients;
  assert.equal(load("1048576"), 1048576);
  assert.equal(load("10%"), "10%");
  assert.equal(load("100%"), "100%");
  for (const bad of ["101%", "abc", "-1", "1.5%"]) {
    const problems = problemsOf(() => load(bad));
    assert.deepEqual(problems.map((p) => p.path), ["atlas.maxmemory_clients"], bad);
  }
});

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("a bad file names every bad field, its path and why", () => {
  const readFile = files({
    "bad.yaml": [
      "atlas:",
      "  aof_fsync: sometimes",
      "  snapshot_interval_time: soon",
      "  maxclients: -1",
      "gateway:",
      "  bcrypt_cost: 4",
      "  listen: 8443",
      "  rate_limit:",
      "    default_capacity: lots",
      "proxy:",
      "  listne: ':1'",
      "bogus: 1",
    ].join("\n"),
  });
  const problems = problemsOf(() => loadConfig({ file: "bad.yaml", readFile }));
  const paths = problems.map((p) => p.path).sort();
  assert.deepEqual(paths, [
    "atlas.aof_fsync",
    "atlas.maxclients",
    "atlas.snapshot_interval_time",
    "bogus",
    "gateway.bcrypt_cost",
    "gateway.listen",
    "gateway.rate_limit.default_capacity",
    "proxy.listne",
  ]);
  for (const problem of problems) assert.ok(problem.message.length > 0);
  assert.equal(problems.find((p) => p.path === "proxy.listne")?.message, "unknown key");
  assert.match(
    problems.find((p) => p.path === "atlas.snapshot_interval_time")!.message,
    /duration/,
  );
});

Deno.test("bad values from the environment and flags name their source", () => {
  const problems = problemsOf(() =>
    loadConfig({
      env: { HELIOS_GATEWAY__BCRYPT_COST: "3", HELIOS_GATEWAY__NOPE__X: "1" },
      flags: [{ path: ["atlas", "aof_fsync"], value: "always", source: "--sync-mode" }],
    })
  );
  const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
  assert.equal(byPath["gateway.bcrypt_cost"].source, "HELIOS_GATEWAY__BCRYPT_COST");
  assert.equal(byPath["atlas.aof_fsync"].source, "--sync-mode");
  assert.equal(byPath["gateway.nope"].message, "unknown key");
});

Deno.test("unreadable, non-YAML and non-mapping files are clear errors", () => {
  const readFile = files({ "list.yaml": "- a\n- b\n", "broken.yaml": "atlas: [unclosed\n" });
  assert.match(
    problemsOf(() => loadConfig({ file: "missing.yaml", readFile }))[0].message,
    /cannot read/,
  );
  assert.match(
    problemsOf(() => loadConfig({ file: "broken.yaml", readFile }))[0].message,
    /not valid YAML/,
  );
  assert.match(problemsOf(() => loadConfig({ file: "list.yaml", readFile }))[0].message, /mapping/);
});

Deno.test("TLS without a certificate is rejected", () => {
  const problems = problemsOf(() => loadConfig({ env: { HELIOS_GATEWAY__TLS_ENABLED: "true" } }));
  assert.equal(problems[0].path, "gateway.tls_enabled");
});

Deno.test("config print redacts secrets and metrics_port overrides the metrics port", () => {
  const config = loadConfig({
    env: {
      HELIOS_GATEWAY__JWT_SECRET: "s3cret",
      HELIOS_ATLAS__REQUIREPASS: "pw",
      HELIOS_OBSERVABILITY__METRICS_PORT: "9100",
    },
  });
  const redacted = redactSecrets(config) as typeof config;
  assert.equal(redacted.gateway.jwt_secret, "<redacted>");
  assert.equal(redacted.atlas.requirepass, "<redacted>");
  assert.equal(redacted.atlas.raft.secret, ""); // empty secrets stay visibly empty
  assert.equal(metricsListen(config), ":9100");
});
