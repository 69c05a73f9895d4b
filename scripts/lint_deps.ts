/**
 * `deno task lint:deps`: fails when an import crosses a boundary of docs/ARCHITECTURE.md.
 *
 *   main.ts      -> src/cli
 *   src/cli      -> routes, src/*, atlas/mod.ts, raft/mod.ts
 *   routes       -> openapi, src/*
 *   src/<x>      -> src/lib, src/errors, src/observability, src/config, src/storage,
 *                   other features' mod.ts
 *   src/cluster  -> raft/mod.ts, atlas/mod.ts (the only place that joins the two)
 *   openapi      -> zod / @hono/zod-openapi and other openapi/ files only
 *   atlas, raft  -> nothing else of ours
 *   raft/core, atlas/resp, atlas/store -> no Deno.*, Date.now, Math.random, timers
 *
 * Test files (`*_test.ts`), tests/, bench/, examples/ and scripts/ may import anything.
 */
import { dirname, join, normalize, relative } from "node:path";

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), ".."));
const SHARED_SRC = new Set(["lib", "errors", "observability", "config", "storage", "version.ts"]);
const PURE_DIRS = ["raft/core/", "atlas/resp/", "atlas/store/"];
const IMPURE_PATTERNS: [RegExp, string][] = [
  [/\bDeno\./, "Deno.*"],
  [/\bDate\.now\s*\(/, "Date.now()"],
  [/\bnew Date\s*\(\s*\)/, "new Date()"],
  [/\bMath\.random\s*\(/, "Math.random()"],
  [/\b(setTimeout|setInterval|queueMicrotask)\s*\(/, "timers"],
  [/\bperformance\.now\s*\(/, "performance.now()"],
];

export interface Violation {
  file: string;
  line: number;
  message: string;
}

function isExempt(file: string): boolean {
  return file.endsWith("_test.ts") || /^(tests|bench|examples|scripts|tools)\//.test(file) ||
    file.includes("/testing/") || file.includes("/_test_");
}

/** Whether `from` (repo-relative) may import `to` (repo-relative, a file of ours). */
export function importAllowed(from: string, to: string): string | null {
  const top = (path: string) => path.split("/")[0];
  const srcPart = (path: string) => path.split("/")[1];
  if (from === "main.ts") {
    return to.startsWith("src/cli/") ? null : "main.ts may import only src/cli";
  }
  if (top(from) === "atlas" && top(to) !== "atlas") return "atlas/ imports nothing else of ours";
  if (top(from) === "raft" && top(to) !== "raft") return "raft/ imports nothing else of ours";
  if (top(from) === "openapi" && top(to) !== "openapi") {
    return "openapi/ imports only zod and openapi/";
  }
  if (top(from) === "routes") {
    return ["routes", "openapi", "src", "atlas"].includes(top(to)) &&
        (top(to) !== "atlas" || to === "atlas/mod.ts")
      ? null
      : "routes/ may import openapi/, src/ and atlas/mod.ts";
  }
  if (top(from) !== "src") return null;
  if (top(to) === "atlas" || top(to) === "raft") {
    const feature = srcPart(from);
    if (to !== "atlas/mod.ts" && to !== "raft/mod.ts") {
      return `${to}: import atlas/mod.ts or raft/mod.ts instead`;
    }
    if (to === "raft/mod.ts" && !["cli", "cluster"].includes(feature)) {
      return "only src/cli and src/cluster may import raft/";
    }
    return null;
  }
  if (top(to) === "routes") {
    return ["cli", "mod.ts"].includes(srcPart(from))
      ? null
      : "only src/cli and src/mod.ts may import routes/";
  }
  if (top(to) === "openapi") return null;
  if (top(to) !== "src") return null;
  const fromFeature = srcPart(from);
  const toFeature = srcPart(to);
  if (
    fromFeature === toFeature || SHARED_SRC.has(toFeature) || fromFeature === "cli" ||
    fromFeature === "mod.ts"
  ) {
    return null;
  }
  return to.endsWith("/mod.ts")
    ? null
    : `src/${fromFeature} may import src/${toFeature} only through its mod.ts`;
}

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)/g;

export function checkFile(file: string, text: string): Violation[] {
  if (isExempt(file)) return [];
  const violations: Violation[] = [];
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  for (const match of text.matchAll(IMPORT_RE)) {
    const specifier = match[1] ?? match[2];
    if (!specifier.startsWith(".")) continue;
    const target = relative(ROOT, normalize(join(ROOT, dirname(file), specifier)));
    const problem = importAllowed(file, target);
    if (problem) {
      violations.push({
        file,
        line: lineOf(match.index ?? 0),
        message: `imports ${target}: ${problem}`,
      });
    }
  }
  if (PURE_DIRS.some((dir) => file.startsWith(dir))) {
    const code = text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "))
      .replace(/\/\/.*$/gm, "");
    code.split("\n").forEach((line, index) => {
      for (const [pattern, name] of IMPURE_PATTERNS) {
        if (pattern.test(line)) {
          violations.push({
            file,
            line: index + 1,
            message: `${name} in a pure module (inject it instead)`,
          });
        }
      }
    });
  }
  return violations;
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory) {
      if (["node_modules", ".git", "tools", "dist", "cov", "data", ".tmp"].includes(entry.name)) {
        continue;
      }
      yield* walk(path);
    } else if (entry.name.endsWith(".ts")) {
      yield path;
    }
  }
}

if (import.meta.main) {
  const violations: Violation[] = [];
  let files = 0;
  for await (const file of walk("")) {
    files++;
    violations.push(...checkFile(file, await Deno.readTextFile(join(ROOT, file))));
  }
  for (const v of violations) {
    // deno-lint-ignore no-console
    console.error(`${v.file}:${v.line}: ${v.message}`);
  }
  // deno-lint-ignore no-console
  console.log(`lint:deps: ${files} files, ${violations.length} forbidden imports`);
  if (violations.length > 0) Deno.exit(1);
}
