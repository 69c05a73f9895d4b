/**
 * The ACL file (`atlas.aclfile`, Redis's `aclfile`) side by side with redis-server 7.0.15: users
 * loaded at start, ACL SAVE's file, ACL LOAD's all-or-nothing with Redis's error texts, CONFIG GET
 * aclfile; then atlasd's own: users saved survive a restart, and a file with errors stops the
 * start with Redis's "Aborting startup" text instead of serving without its users.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Proc,
  RawClient,
  replyDifferences,
  type RespValue,
  showReply,
  startAtlasd,
  startRedis,
} from "../atlas/testing/atlasd_harness.ts";

const HELIOS_MAIN = new URL("../main.ts", import.meta.url).pathname;

const INITIAL = "user alice on >p1 ~k* +get\nuser bob off\n";

/** Starts atlasd with `aclfile`; its config file goes in `dir`, which the test removes. */
async function atlasdWithAclFile(dir: string, aclfile: string, dataDir?: string): Promise<Proc> {
  const config = join(dir, "config.yaml");
  await Deno.writeTextFile(config, JSON.stringify({ atlas: { aclfile } }));
  return await startAtlasd(["--sync-mode", "none", "--config", config], dataDir);
}

Deno.test("aclfile: loaded at start, ACL SAVE / LOAD and their errors as in Redis", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aclfile_" });
  const files = { redis: join(dir, "redis.acl"), atlas: join(dir, "atlas.acl") };
  for (const file of Object.values(files)) await Deno.writeTextFile(file, INITIAL);
  const redisProc = await startRedis(["--save", "", "--aclfile", files.redis]);
  const atlasProc = await atlasdWithAclFile(dir, files.atlas);
  const redis = await RawClient.connect(redisProc.port);
  const atlas = await RawClient.connect(atlasProc.port);
  // Error texts name the file: each server's own path is shown as FILE.
  const show = (reply: RespValue) =>
    showReply(reply).replaceAll(files.redis, "FILE").replaceAll(files.atlas, "FILE");
  const both = async (text: string) => {
    for (const file of Object.values(files)) await Deno.writeTextFile(file, text);
  };
  try {
    const differences = await replyDifferences(redis, atlas, [
      ["ACL", "LIST"],
      ["CONFIG", "SET", "aclfile", "/elsewhere"],
      ["ACL", "SETUSER", "carol", "on", "nopass", "~*", "+@read"],
      ["ACL", "SAVE"],
    ], show);
    assert.equal(
      await Deno.readTextFile(files.atlas),
      await Deno.readTextFile(files.redis),
      "ACL SAVE writes what redis-server writes",
    );
    for (
      const text of [
        "user alice on >p1 ~k* +get\nuser bob off +nosuch\nfoo bar\n",
        "user dave on\n\nuser dave off\n",
        "\n  user dave on nopass ~* +@all  \n\n",
        "user default on >secret ~* &* +@all\nuser erin on nopass +@all\n",
      ]
    ) {
      await both(text);
      differences.push(
        ...await replyDifferences(redis, atlas, [["ACL", "LOAD"], ["ACL", "LIST"]], show),
      );
    }
    // default now needs a password: this connection stays (it acted as default), new ones do not.
    differences.push(...await replyDifferences(redis, atlas, [["AUTH", "default", "secret"]]));
    for (const file of Object.values(files)) await Deno.remove(file);
    differences.push(...await replyDifferences(redis, atlas, [["ACL", "LOAD"]], show));
    assert.deepEqual(differences, []);
  } finally {
    await redis.close();
    await atlas.close();
    await atlasProc.stop();
    await redisProc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aclfile: users saved survive a restart; a file with errors stops the start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aclfile_" });
  const aclfile = join(dir, "users.acl");
  const dataDir = join(dir, "data");
  await Deno.writeTextFile(aclfile, "");
  try {
    let server = await atlasdWithAclFile(dir, aclfile, dataDir);
    let client = await RawClient.connect(server.port);
    assert.deepEqual(
      await client.call(["ACL", "SETUSER", "app", "on", ">s3", "~app:*", "+@all"], [
        "ACL",
        "SAVE",
      ]),
      [{ t: "simple", v: "OK" }, { t: "simple", v: "OK" }],
    );
    await client.close();
    await server.stop();

    server = await atlasdWithAclFile(dir, aclfile, dataDir);
    client = await RawClient.connect(server.port);
    const [auth, allowed, denied] = await client.call(
      ["AUTH", "app", "s3"],
      ["SET", "app:1", "x"],
      ["SET", "other", "x"],
    );
    assert.deepEqual(auth, { t: "simple", v: "OK" });
    assert.deepEqual(allowed, { t: "simple", v: "OK" });
    assert.match((denied as { v: string }).v, /^NOPERM /);
    await client.close();
    await server.stop();

    await Deno.writeTextFile(aclfile, "user app on +nosuch\n");
    const config = join(dir, "bad.yaml");
    await Deno.writeTextFile(config, JSON.stringify({ atlas: { aclfile } }));
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        HELIOS_MAIN,
        "atlasd",
        "--data-dir",
        dataDir,
        "--listen",
        "127.0.0.1:0",
        "--metrics-listen",
        "127.0.0.1:0",
        "--config",
        config,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 1);
    assert.match(
      stderr,
      /Aborting startup because of ACL errors: .*users\.acl:1: Error in applying operation '\+nosuch': Unknown command or category name in ACL/,
    );
    assert.doesNotMatch(stderr, /Uncaught|at \S+ \(file:/, "no stack trace");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
