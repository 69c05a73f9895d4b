/**
 * The anchors and load generators a bench runs (redis-server, etcd, nginx, wrk ...) come from
 * Debian. Each bench calls `ensureDebianTools` first, so running one bench alone works as
 * `deno task bench` (scripts/benchmark.sh) does: what is missing is installed with apt-get when
 * we are root (as on CI machines), otherwise the bench stops with the command to run.
 */

/** Command on PATH -> the Debian package that provides it. */
export type DebianTools = Readonly<Record<string, string>>;

function onPath(command: string): boolean {
  try {
    return new Deno.Command("which", { args: [command], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

async function aptGet(args: string[]): Promise<boolean> {
  const out = await new Deno.Command("apt-get", {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "null",
    stderr: "inherit",
  }).output();
  return out.success;
}

/** Makes sure every command of `tools` is on PATH, installing its package if it can. */
export async function ensureDebianTools(tools: DebianTools): Promise<void> {
  const packages = [
    ...new Set(Object.entries(tools).filter(([cmd]) => !onPath(cmd)).map(([, pkg]) => pkg)),
  ];
  if (packages.length === 0) return;
  const line = `apt-get install -y ${packages.join(" ")}`;
  if (!isRoot()) throw new Error(`missing ${packages.join(", ")}: run ${line} (as root)`);
  // deno-lint-ignore no-console -- a bench's progress line
  console.error(`installing ${packages.join(" ")} from Debian ...`);
  const installed = await aptGet(["install", "-y", "-qq", ...packages]) ||
    (await aptGet(["update", "-qq"]) && await aptGet(["install", "-y", "-qq", ...packages]));
  if (!installed) throw new Error(`${line} failed`);
}
