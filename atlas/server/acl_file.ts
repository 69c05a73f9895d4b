/**
 * The ACL file (Redis's `aclfile`): one `user <name> <rule> ...` line per user, as ACL LIST
 * writes them. Read at start (errors stop the server, as they stop Redis), by ACL LOAD (all lines
 * apply or none, with every error reported in Redis's words) and written by ACL SAVE (to a
 * temporary file, synced, then renamed over the old one: a crash leaves the old or the new).
 */
import { dirname } from "node:path";
import { AclRuleError, AclUser, applyRule, mergeSelectorArgs } from "./acl_users.ts";
import type { CommandTable } from "./table.ts";

/** The ACL file could not be loaded at start (the message is Redis's "Aborting ..." text). */
export class AclFileError extends Error {
  override name = "AclFileError";
}

const NO_CHANGE =
  "WARNING: ACL errors detected, no change to the previously active ACL rules was performed";

/** The users a file's text describes, or the text of its errors (Redis's ACLLoadFromFile). */
export function parseAclFile(
  text: string,
  path: string,
  table: CommandTable,
  newUser: (name: string) => AclUser = (name) => new AclUser(name),
): Map<string, AclUser> | string {
  const users = new Map<string, AclUser>();
  let errors = "";
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const words = line.split(/\s+/);
    const at = `${path}:${i + 1}`;
    if (words[0] !== "user" || words.length < 2) {
      errors += `${at} should start with user keyword followed by the username. `;
      continue;
    }
    const name = words[1];
    if (users.has(name)) {
      errors += `WARNING: Duplicate user '${name}' found on line ${i + 1}. `;
      continue;
    }
    const user = newUser(name);
    const ops = mergeSelectorArgs(words.slice(2));
    if (typeof ops === "string") {
      errors += `${at}: ${ops} `;
      continue;
    }
    try {
      for (const op of ops) applyRule(user, op, table);
    } catch (error) {
      if (!(error instanceof AclRuleError)) throw error;
      errors += `${at}: Error in applying operation '${error.op}': ${error.why}. `;
      continue;
    }
    user.forgetVerdicts();
    users.set(name, user);
  }
  return errors === "" ? users : errors + NO_CHANGE;
}

/** Reads the file: its users, or the error text (a missing file is one, as in Redis). */
export function readAclFile(
  path: string,
  table: CommandTable,
  newUser?: (name: string) => AclUser,
): Map<string, AclUser> | string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "No such file or directory"
      : (error as Error).message;
    return `Error loading ACLs, opening file '${path}': ${why}`;
  }
  return parseAclFile(text, path, table, newUser);
}

/** The file's text for these users (in the order given: ACL USERS's). */
export function aclFileText(users: readonly AclUser[]): string {
  return users.map((user) => user.describe() + "\n").join("");
}

/** Writes the file durably: a synced temporary file renamed over it, then the directory synced. */
export async function writeAclFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp-${Deno.pid}`;
  const file = await Deno.open(temporary, { write: true, create: true, truncate: true });
  try {
    await file.write(new TextEncoder().encode(text));
    await file.syncData();
  } finally {
    file.close();
  }
  await Deno.rename(temporary, path);
  const dir = await Deno.open(dirname(path), { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}
