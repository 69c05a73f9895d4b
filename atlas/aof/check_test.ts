import assert from "node:assert/strict";
import { join } from "node:path";
import { AtlasEngine } from "../engine.ts";
import { checkAofFile } from "./check.ts";

async function dataDirWithWrites(): Promise<{ dir: string; aof: string; snapshot: string }> {
  const dir = await Deno.makeTempDir({ prefix: "atlas_check_" });
  const engine = await AtlasEngine.open({ dataDir: dir, activeExpireHz: 0, snapshotIntervalMs: 0 });
  for (let i = 0; i < 5; i++) engine.execute(["SET", `k${i}`, "v"]);
  const info = await engine.snapshot();
  for (let i = 0; i < 10; i++) engine.execute(["SET", `k${i}`, "w"]);
  await engine.close();
  return { dir, aof: join(dir, `appendonly.${info.aofSeq}.aof`), snapshot: info.path };
}

Deno.test("aof check: a clean file and a clean snapshot are OK", async () => {
  const { dir, aof, snapshot } = await dataDirWithWrites();
  try {
    const result = await checkAofFile(aof);
    assert.equal(result.status, "ok");
    assert.equal(result.records, 10);
    assert.equal(result.exitCode, 0);
    assert.match(result.message, /OK, 10 records/);
    const snap = await checkAofFile(snapshot);
    assert.equal(snap.kind, "snapshot");
    assert.equal(snap.status, "ok");
    assert.equal(snap.records, 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aof check: preallocated zero bytes after the last record are OK and named", async () => {
  const { dir, aof } = await dataDirWithWrites();
  try {
    const size = (await Deno.stat(aof)).size;
    await Deno.truncate(aof, size + 4096); // what a killed `every` writer leaves
    const result = await checkAofFile(aof);
    assert.equal(result.status, "ok");
    assert.equal(result.records, 10);
    assert.equal(result.exitCode, 0);
    assert.match(result.message, /OK, 10 records, \d+ bytes \(the last 4096 of them preallocated/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aof check --fix truncates a torn tail only once confirmed", async () => {
  const { dir, aof } = await dataDirWithWrites();
  try {
    const size = (await Deno.stat(aof)).size;
    await Deno.truncate(aof, size - 4);
    const report = await checkAofFile(aof);
    assert.equal(report.status, "torn");
    assert.equal(report.exitCode, 1);
    assert.equal(report.records, 9);
    assert.match(report.message, /offset \d+/);
    assert.match(report.message, /--fix/);

    const questions: string[] = [];
    const declined = await checkAofFile(aof, {
      fix: true,
      confirm: (q) => (questions.push(q), Promise.resolve(false)),
    });
    assert.equal(declined.fixed, false);
    assert.equal(questions.length, 1);
    assert.equal((await Deno.stat(aof)).size, size - 4);

    const fixed = await checkAofFile(aof, { fix: true, yes: true });
    assert.equal(fixed.fixed, true);
    assert.equal(fixed.exitCode, 0);
    assert.equal((await Deno.stat(aof)).size, report.badOffset);
    assert.equal((await checkAofFile(aof)).status, "ok");
    const engine = await AtlasEngine.open({
      dataDir: dir,
      activeExpireHz: 0,
      snapshotIntervalMs: 0,
    });
    assert.equal(engine.stats.recovery.truncated, null);
    assert.equal(engine.stats.keys, 9);
    await engine.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aof check reports mid-file corruption at its offset and a bad snapshot", async () => {
  const { dir, aof, snapshot } = await dataDirWithWrites();
  try {
    const bytes = await Deno.readFile(aof);
    bytes[40] ^= 0xff;
    await Deno.writeFile(aof, bytes);
    const result = await checkAofFile(aof);
    assert.equal(result.status, "corrupt");
    assert.equal(result.badOffset, 16);
    assert.equal(result.records, 0);
    assert.match(result.message, /corrupt record/);

    const snap = await Deno.readFile(snapshot);
    snap[snap.length - 20] ^= 1;
    await Deno.writeFile(snapshot, snap);
    const bad = await checkAofFile(snapshot);
    assert.equal(bad.status, "corrupt");
    assert.equal(bad.exitCode, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aof check DATA_DIR checks the snapshot and every part, and fixes only the last", async () => {
  const { dir, aof } = await dataDirWithWrites();
  try {
    const clean = await checkAofFile(dir);
    assert.equal(clean.kind, "dir");
    assert.equal(clean.status, "ok");
    assert.equal(clean.records, 10);
    assert.match(clean.message, /snapshot OK, 5 keys/);

    await Deno.truncate(aof, (await Deno.stat(aof)).size - 3);
    const torn = await checkAofFile(dir);
    assert.equal(torn.status, "torn");
    assert.equal(torn.file, aof);
    assert.equal(torn.exitCode, 1);
    const fixed = await checkAofFile(dir, { fix: true, yes: true });
    assert.equal(fixed.fixed, true);
    assert.equal(fixed.exitCode, 0);
    assert.equal((await checkAofFile(dir)).status, "ok");

    // A later part makes the damaged one a middle part: no automatic fix.
    const engine = await AtlasEngine.open({
      dataDir: dir,
      activeExpireHz: 0,
      snapshotIntervalMs: 0,
    });
    engine.execute(["SET", "later", "1"]);
    await engine.close();
    const bytes = await Deno.readFile(aof);
    bytes[bytes.length - 2] ^= 0xff;
    await Deno.writeFile(aof, bytes);
    const middle = await checkAofFile(dir, { fix: true, yes: true });
    assert.equal(middle.status, "corrupt");
    assert.equal(middle.fixed, false);
    assert.match(middle.message, /not the last part/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a crash inside a new part's header: recovery writes that part anew, the check agrees", async () => {
  const dir = await Deno.makeTempDir({ prefix: "atlas_torn_header_" });
  try {
    let engine = await AtlasEngine.open({ dataDir: dir, fsync: "every" });
    await engine.execute(["SET", "a", "1"]);
    await engine.sync();
    await engine.close();
    // A rotation the crash cut short: the next part holds 7 bytes of its 16-byte header.
    const next = join(dir, "appendonly.2.aof");
    await Deno.writeFile(next, new TextEncoder().encode("ATLASAO"));
    assert.equal((await checkAofFile(dir)).status, "torn");

    engine = await AtlasEngine.open({ dataDir: dir, fsync: "every" });
    await engine.execute(["SET", "b", "2"]);
    await engine.sync();
    await engine.close();
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".aof"));
    assert.deepEqual(names.sort(), ["appendonly.1.aof", "appendonly.2.aof"]);
    const check = await checkAofFile(dir);
    assert.equal(check.status, "ok", check.message);
    assert.equal(check.records, 2);

    engine = await AtlasEngine.open({ dataDir: dir, fsync: "every" });
    try {
      assert.deepEqual(await engine.execute(["MGET", "a", "b"]), {
        kind: "array",
        value: [{ kind: "bulk", value: "1" }, { kind: "bulk", value: "2" }],
      });
    } finally {
      await engine.close();
    }
    // An empty part (created, never written) is one recovery reads as holding no records.
    const empty = join(dir, "appendonly.9.aof");
    await Deno.writeFile(empty, new Uint8Array(0));
    const part = await checkAofFile(empty);
    assert.equal(part.status, "ok");
    assert.match(part.message, /empty/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
