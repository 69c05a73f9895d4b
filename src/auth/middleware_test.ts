import assert from "node:assert/strict";
import { BEARER_CREDENTIAL_MAX, bearerCredential, parseBearer } from "./middleware.ts";

// The grammar parseBearer implements, as the regex it replaced (slower: counted repetition).
const REFERENCE = /^Bearer[ ]+([A-Za-z0-9._~+/=-]{1,8192})[ ]*$/i;

Deno.test("parseBearer accepts exactly what the Bearer grammar accepts", () => {
  const cases = [
    "Bearer abc",
    "bearer abc",
    "BEARER  a.b-c_~+/= ",
    "bEaReR x  ",
    "Bearer",
    "Bearer ",
    "Bearerabc",
    "Basic abc",
    "Bearer a b",
    "Bearer ab\t",
    "Bearer a\n",
    " Bearer abc",
    "xBearer a",
    "Bearer é",
    "Bearer\u017Fx",
    "Bearer " + "a".repeat(BEARER_CREDENTIAL_MAX),
    "Bearer " + "a".repeat(BEARER_CREDENTIAL_MAX + 1),
  ];
  for (const header of cases) {
    const expected = REFERENCE.exec(header)?.[1] ?? null;
    // Twice: the second call is answered from the one-entry memo.
    assert.equal(parseBearer(header), expected, JSON.stringify(header.slice(0, 40)));
    assert.equal(parseBearer(header), expected, JSON.stringify(header.slice(0, 40)));
  }
});

Deno.test("bearerCredential: 401 for a missing or malformed header", () => {
  assert.equal(bearerCredential("Bearer t0k3n"), "t0k3n");
  assert.throws(() => bearerCredential(undefined), /Missing bearer token/);
  assert.throws(() => bearerCredential("Basic xyz"), /Malformed Authorization header/);
});
