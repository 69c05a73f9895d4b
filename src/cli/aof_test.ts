import assert from "node:assert/strict";
import { AtlasEngine } from "../../atlas/mod.ts";
import type { CliIo } from "./command.ts";
import { runCli } from "./mod.ts";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: {},
    readStdin: () => Promise.resolve(""),
  };
  return { cli, out, err };
}

Deno.test("helios aof check: a torn tail is reported (exit 1), then cut by --fix --yes (exit 0)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const engine = await AtlasEngine.open({ dataDir: dir, fsync: "every", activeExpireHz: 0 });
    engine.execute(["SET", "a", "1"]);
    engine.execute(["SET", "b", "2"]);
    await engine.sync();
    await engine.close();
    const part = [...Deno.readDirSync(dir)].map((e) => e.name).find((n) => n.endsWith(".aof"))!;
    const path = `${dir}/${part}`;
    const goodSize = Deno.statSync(path).size;
    const file = await Deno.open(path, { append: true });
    await file.write(new Uint8Array([1, 2, 3])); // a record cut short by a crash
    file.close();

    const check = io();
    assert.equal(await runCli(["aof", "check", path], check.cli), 1);
    assert.match(check.err.join("\n"), new RegExp(`offset ${goodSize}`));

    const fix = io();
    assert.equal(await runCli(["aof", "check", path, "--fix", "--yes"], fix.cli), 0);
    assert.equal(Deno.statSync(path).size, goodSize);
    const again = io();
    assert.equal(await runCli(["aof", "check", path], again.cli), 0);

    const reopened = await AtlasEngine.open({ dataDir: dir, fsync: "every", activeExpireHz: 0 });
    assert.deepEqual(reopened.execute(["GET", "b"]), { kind: "bulk", value: "2" });
    await reopened.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("helios aof: anything but check FILE is a usage error", async () => {
  const { cli, err } = io();
  assert.equal(await runCli(["aof", "repair"], cli), 2);
  assert.match(err.join("\n"), /expected "check FILE"/);
  assert.equal(await runCli(["aof", "check"], io().cli), 2);
});
