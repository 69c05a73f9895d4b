import assert from "node:assert/strict";
import type { CliIo } from "./command.ts";
import { parseFlags } from "./flags.ts";
import { runCli } from "./mod.ts";
import { commands } from "./registry.ts";

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env,
    readStdin: () => Promise.resolve(""),
  };
  return { cli, out, err };
}

Deno.test("no command prints usage to stderr and exits 2", async () => {
  const { cli, err } = io();
  assert.equal(await runCli([], cli), 2);
  assert.match(err.join("\n"), /Usage: helios <command>/);
});

Deno.test("an unknown command prints usage and exits 2", async () => {
  const { cli, err } = io();
  assert.equal(await runCli(["frobnicate"], cli), 2);
  assert.match(err.join("\n"), /unknown command "frobnicate"/);
  assert.match(err.join("\n"), /serve/);
});

Deno.test("an unknown flag prints the command's usage and exits 2", async () => {
  const { cli, err } = io();
  assert.equal(await runCli(["serve", "--no-such-flag"], cli), 2);
  assert.match(err.join("\n"), /Unknown option '--no-such-flag'/);
  assert.match(err.join("\n"), /Usage: helios serve/);
});

Deno.test("a flag missing its value is a usage error", async () => {
  const { cli, err } = io();
  assert.equal(await runCli(["serve", "--data-dir"], cli), 2);
  assert.match(err.join("\n"), /--data-dir/);
});

Deno.test("--help on every command prints its usage and exits 0", async () => {
  for (
    const name of commands.map((c) => c.name)
  ) {
    const { cli, out } = io();
    assert.equal(await runCli([name, "--help"], cli), 0, name);
    assert.match(out.join("\n"), new RegExp(`Usage: helios ${name}`), name);
  }
});

Deno.test("a bad flag value is a config error naming the field and the flag, exit 2", async () => {
  const { cli, err } = io();
  assert.equal(await runCli(["serve", "--sync-mode", "always"], cli), 2);
  assert.match(err.join("\n"), /atlas\.aof_fsync: .* \(from --sync-mode\)/);
});

Deno.test("config validate reports every bad field and exits 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/bad.yaml`,
      "atlas:\n  aof_fsync: x\ngateway:\n  bcrypt_cost: 3\n",
    );
    await Deno.writeTextFile(`${dir}/good.yaml`, "gateway:\n  bcrypt_cost: 12\n");
    const bad = io();
    assert.equal(await runCli(["config", "validate", `${dir}/bad.yaml`], bad.cli), 2);
    assert.match(bad.err.join("\n"), /atlas\.aof_fsync/);
    assert.match(bad.err.join("\n"), /gateway\.bcrypt_cost/);
    const good = io();
    assert.equal(await runCli(["config", "validate", `${dir}/good.yaml`], good.cli), 0);
    assert.match(good.out.join("\n"), /valid/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config print shows the effective config with secrets redacted", async () => {
  const { cli, out } = io({ HELIOS_GATEWAY__JWT_SECRET: "hunter2", HELIOS_ATLAS__MAXCLIENTS: "7" });
  assert.equal(await runCli(["config", "print", "--json"], cli), 0);
  const printed = JSON.parse(out.join("\n"));
  assert.equal(printed.gateway.jwt_secret, "<redacted>");
  assert.equal(printed.atlas.maxclients, 7);
  assert.ok(!out.join("\n").includes("hunter2"));
});

Deno.test("version prints the release", async () => {
  const { cli, out } = io();
  assert.equal(await runCli(["version"], cli), 0);
  assert.match(out[0], /^helios \d+\.\d+\.\d+ \(deno /);
});

Deno.test("health exits 0 on a 2xx endpoint and 1 otherwise", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => new Response("", { status: new URL(request.url).pathname === "/ok" ? 200 : 503 }),
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    assert.equal(await runCli(["health", `${base}/ok`], io().cli), 0);
    const bad = io();
    assert.equal(await runCli(["health", `${base}/down`], bad.cli), 1);
    assert.match(bad.err.join("\n"), /answered 503/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a boolean flag takes an explicit true or false (--raft=true, as the original README)", () => {
  const specs = commands.find((c) => c.name === "atlasd")!.flags;
  assert.equal(parseFlags(["--raft=true"], specs, false).values.raft, true);
  assert.equal(parseFlags(["--raft=TRUE", "--raft-node-id=n1"], specs, false).values.raft, true);
  assert.equal(parseFlags(["--raft=false"], specs, false).values.raft, undefined);
  assert.throws(() => parseFlags(["--raft=yes"], specs, false), /'--raft' takes true or false/);
  assert.equal(parseFlags(["--data-dir=a=b"], specs, false).values["data-dir"], "a=b");
});
