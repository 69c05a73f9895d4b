// deno-lint-ignore-file no-console -- CLI entry point: stdout is its interface
/**
 * The simulator's command line.
 *   deno task sim --seed 1234     replay one seed (prints its details; --trace: its events)
 *   deno task sim --seeds 10000   run N fresh seeds; prints "N seeds, V violations"
 * A failing seed prints SEED=n.
 */
import { runSeed, type SimResult } from "./simulator.ts";

interface Args {
  seed?: number;
  seeds?: number;
  start?: number;
  trace?: boolean;
}

function parseArgs(args: string[]): Args {
  const out: Args = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--trace") {
      out.trace = true;
      continue;
    }
    const v = Number(args[i + 1]);
    if (args[i] === "--seed" || args[i] === "--seeds" || args[i] === "--start") {
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new Error(`${args[i]} needs a non-negative integer`);
      }
      out[args[i].slice(2) as "seed" | "seeds" | "start"] = v;
      i++;
    } else {
      throw new Error(
        `Unknown argument "${args[i]}" (use --seed n [--trace] or --seeds N [--start s])`,
      );
    }
  }
  return out;
}

function describe(r: SimResult, ms: number): string {
  return `seed ${r.seed}: ${r.nodeCount} nodes, ${r.simMs}ms simulated, ${r.messages} msgs, ` +
    `ops ok=${r.ops.ok} fail=${r.ops.fail} unknown=${r.ops.unknown}, max term ${r.maxTerm}, ` +
    `linearizability ${r.linearizability}, ${ms.toFixed(0)}ms wall`;
}

function main(): number {
  const args = parseArgs(Deno.args);
  if (args.seed !== undefined) {
    const t0 = performance.now();
    const r = runSeed(args.seed, { trace: args.trace ? (line) => console.log(line) : undefined });
    console.log(describe(r, performance.now() - t0));
    for (const v of r.violations) console.log(`  VIOLATION ${v}`);
    if (!r.ok) console.log(`SEED=${r.seed}`);
    return r.ok ? 0 : 1;
  }
  const n = args.seeds ?? 100;
  const start = args.start ?? (Date.now() % 1_000_000_000);
  let violations = 0;
  let undecided = 0;
  let longest = { ms: 0, seed: start };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const seed = start + i;
    const s0 = performance.now();
    const r = runSeed(seed);
    const ms = performance.now() - s0;
    if (ms > longest.ms) longest = { ms, seed };
    if (r.linearizability === "unknown") undecided++;
    if (!r.ok) {
      violations++;
      console.log(`SEED=${seed} ${r.violations[0].split("\n")[0]}`);
    }
  }
  const totalS = (performance.now() - t0) / 1000;
  console.log(
    `seeds ${start}..${start + n - 1}: ${(n / totalS).toFixed(1)} seeds/s, ${
      totalS.toFixed(1)
    }s, ` +
      `longest ${
        longest.ms.toFixed(0)
      }ms (seed ${longest.seed}), linearizability undecided ${undecided}`,
  );
  console.log(`${n} seeds, ${violations} violations`);
  return violations === 0 ? 0 : 1;
}

if (import.meta.main) {
  let code: number;
  try {
    code = main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    code = 2;
  }
  Deno.exit(code);
}
