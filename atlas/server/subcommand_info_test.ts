import assert from "node:assert/strict";
import { COMMAND_DOCS } from "./command_docs/mod.ts";
import { SUBCOMMAND_INFO } from "./subcommand_info.ts";

Deno.test("COMMAND INFO and COMMAND DOCS know the same subcommands", () => {
  const documented = [...COMMAND_DOCS.keys()].filter((name) => name.includes("|")).sort();
  assert.deepEqual(Object.keys(SUBCOMMAND_INFO).sort(), documented);
  assert.ok(documented.length >= 80);
});
