import assert from "node:assert/strict";
import { Store } from "../store/store.ts";
import { aclDenial } from "./acl_check.ts";
import { parseAclFile } from "./acl_file.ts";
import { AclUsers, mergeSelectorArgs } from "./acl_users.ts";
import { CLIENT_COMMANDS } from "./client_command.ts";
import { CONFIG_COMMANDS } from "./config.ts";
import { CONNECTION_COMMANDS } from "./connection_commands.ts";
import { PUBSUB_COMMANDS } from "./pubsub_commands.ts";
import { COUNTED_SUBCOMMANDS } from "./subcommands.ts";
import { CommandTable, specsOf } from "./table.ts";

const table = new CommandTable(specsOf(new Store().commands), [
  ...CONNECTION_COMMANDS,
  ...CLIENT_COMMANDS,
  ...CONFIG_COMMANDS,
  ...PUBSUB_COMMANDS,
], COUNTED_SUBCOMMANDS);

/** A fresh registry with `name` set by `rules` (which must all apply). */
function userWith(...rules: string[]) {
  const users = new AclUsers("");
  assert.equal(users.setUser("u", rules, table), null);
  return users.get("u")!;
}

/** Why `user` may not run `argv` ("command get", "key k", ...), or "ok". */
function verdict(user: ReturnType<typeof userWith>, ...argv: string[]): string {
  const denial = aclDenial(user, table.lookup(argv[0])!, argv);
  return denial === null ? "ok" : `${denial.reason} ${denial.object}`;
}

Deno.test("command rules apply in order over their base; later rules replace earlier ones", () => {
  const user = userWith("on", "~*", "-@all", "+@string", "-set", "+client|id");
  assert.equal(user.commandsText(), "-@all +@string -set +client|id");
  assert.equal(verdict(user, "GET", "k"), "ok");
  assert.equal(verdict(user, "SET", "k", "v"), "command set");
  assert.equal(verdict(user, "CLIENT", "ID"), "ok");
  assert.equal(verdict(user, "CLIENT", "KILL", "ID", "1"), "command client|kill");
  assert.equal(verdict(user, "HSET", "h", "f", "v"), "command hset");
  // AUTH and HELLO need no permission (Redis's no-auth commands).
  assert.equal(verdict(user, "AUTH", "x"), "ok");
  // A rule on a whole command replaces the rules on its subcommands; one that changes nothing
  // is not kept.
  assert.equal(userWith("+memory|doctor", "+memory").commandsText(), "-@all +memory");
  assert.equal(userWith("+@all", "+client|id").commandsText(), "+@all");
  assert.equal(userWith("-config|get", "+config|get", "+config").commandsText(), "-@all +config");
});

Deno.test("first-arg rules allow a command with that first argument only", () => {
  const user = userWith("on", "~*", "-@all", "+select|0");
  assert.equal(verdict(user, "SELECT", "0"), "ok");
  assert.equal(verdict(user, "SELECT", "1"), "command select");
  const users = new AclUsers("");
  assert.match(users.setUser("v", ["+config|get|x"], table)!, /first-arg of a subcommand/);
  assert.match(users.setUser("v", ["-select|0"], table)!, /Unknown command or category/);
  assert.equal(users.get("v"), undefined, "a failed SETUSER creates nothing");
});

Deno.test("key patterns: read, write, both; channels: globs, patterns as written", () => {
  const user = userWith("on", "+@all", "%R~r*", "%W~w*", "~both*", "&news.*");
  assert.equal(user.keysText(), "%R~r* %W~w* ~both*");
  assert.equal(verdict(user, "GET", "r1"), "ok");
  assert.equal(verdict(user, "SET", "r1", "v"), "key r1");
  assert.equal(verdict(user, "SET", "w1", "v"), "ok");
  assert.equal(verdict(user, "GET", "w1"), "key w1");
  assert.equal(verdict(user, "MGET", "both1", "r2", "x"), "key x");
  assert.equal(verdict(user, "PUBLISH", "news.a", "m"), "ok");
  assert.equal(verdict(user, "PUBLISH", "other", "m"), "channel other");
  assert.equal(verdict(user, "PSUBSCRIBE", "news.*"), "ok");
  assert.equal(verdict(user, "PSUBSCRIBE", "news.a*"), "channel news.a*");
  // R and W on one pattern are the same as ~.
  assert.equal(userWith("%R~foo", "%W~foo").keysText(), "~foo");
});

Deno.test("selectors: any one allowing the whole command lets it run; the most relevant denial", () => {
  const user = userWith("on", "-@all", "(+@write ~write::*)", "(+@read", "~read::*)");
  assert.equal(user.selectors.length, 2);
  assert.equal(verdict(user, "SET", "write::a", "1"), "ok");
  assert.equal(verdict(user, "GET", "read::a"), "ok");
  assert.equal(verdict(user, "GET", "write::a"), "key write::a");
  assert.equal(verdict(user, "PING"), "command ping");
  const mget = userWith("on", "+mget", "~key", "(+mget ~key ~otherkey)");
  assert.equal(verdict(mget, "MGET", "otherkey", "someotherkey"), "key someotherkey");
  assert.equal(verdict(mget, "GET", "key"), "command get");
  assert.equal(
    user.describe(),
    "user u on resetchannels -@all (~write::* resetchannels -@all +@write) " +
      "(~read::* resetchannels -@all +@read)",
  );
  assert.deepEqual(mergeSelectorArgs(["(~a", "+get)", "on"]), ["(~a +get)", "on"]);
  assert.equal(
    mergeSelectorArgs(["(", "x"]),
    "Unmatched parenthesis in acl selector starting at '('.",
  );
});

Deno.test("passwords: hashes, removal, nopass; an off user opens with none", () => {
  const user = userWith("on", ">a", ">b", "<a");
  assert.equal(user.accepts("a"), false);
  assert.equal(user.accepts("b"), true);
  assert.equal(userWith("on", "nopass").accepts("anything"), true);
  assert.equal(userWith("off", "nopass").accepts("anything"), false);
  const users = new AclUsers("secret");
  assert.equal(users.defaultUser.accepts("secret"), true);
  assert.equal(users.openByDefault, false);
  users.setRequirepass("");
  assert.equal(users.openByDefault, true);
});

Deno.test("an ACL file's lines load all or none, with Redis's error texts", () => {
  const loaded = parseAclFile("user a on nopass ~* +@all\n\nuser b off (~x +get)\n", "F", table);
  assert.ok(loaded instanceof Map);
  assert.deepEqual([...loaded.keys()], ["a", "b"]);
  assert.equal(loaded.get("b")!.selectors.length, 1);
  assert.equal(
    parseAclFile("user a +nosuch\nnope\nuser c on\nuser c off\n", "F", table),
    "F:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. " +
      "F:2 should start with user keyword followed by the username. " +
      "WARNING: Duplicate user 'c' found on line 4. " +
      "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
  );
});

Deno.test("rules a later rule makes pointless are dropped, as Redis's rebuilt rules never show them", () => {
  // +get is part of +@read; a category rule resets a command's first-arg rules even when it
  // changes nothing else; &* and ~* are allchannels / allkeys, repeatable.
  assert.equal(userWith("+get", "+@read").commandsText(), "-@all +@read");
  assert.equal(userWith("+select|0", "-@fast").commandsText(), "-@all");
  assert.equal(userWith("+select|0", "-@dangerous").commandsText(), "-@all +select|0");
  assert.equal(userWith("+@all", "+select|0").commandsText(), "+@all");
  const open = userWith("&*", "&*", "~*", "~*");
  assert.equal(open.allChannels && open.allKeys, true);
  const users = new AclUsers("");
  assert.match(users.setUser("v", ["allkeys", "%X~y"], table)!, /Adding a pattern after the \*/);
});
