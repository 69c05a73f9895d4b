import assert from "node:assert/strict";
import { NotFoundError, RateLimitedError, ValidationError } from "./app_error.ts";
import { PROBLEM_CONTENT_TYPE, problemResponse, toProblem } from "./problem.ts";

Deno.test("an AppError becomes its RFC 9457 problem", async () => {
  const response = problemResponse(new NotFoundError('Key "a" does not exist'), {
    instance: "/api/v1/kv/a",
    requestId: "req-1",
  });
  assert.equal(response.status, 404);
  assert.equal(response.headers.get("content-type"), PROBLEM_CONTENT_TYPE);
  assert.equal(response.headers.get("x-request-id"), "req-1");
  assert.deepEqual(await response.json(), {
    type: "urn:helios:problem:not_found",
    title: "Not found",
    status: 404,
    detail: 'Key "a" does not exist',
    instance: "/api/v1/kv/a",
    code: "not_found",
    requestId: "req-1",
  });
});

Deno.test("field errors and headers travel with the problem", async () => {
  const validation = toProblem(
    new ValidationError("Invalid body", [{ path: "body.ttl", message: "too big" }]),
  );
  assert.deepEqual(validation.errors, [{ path: "body.ttl", message: "too big" }]);
  const limited = problemResponse(new RateLimitedError(2.2));
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "3");
  assert.equal((await limited.json()).code, "rate_limited");
});

Deno.test("anything else is an opaque 500 that leaks no internals", async () => {
  const response = problemResponse(new TypeError("secret internal detail at db.ts:42"), {
    requestId: "r",
  });
  assert.equal(response.status, 500);
  const body = await response.json();
  assert.equal(body.code, "internal_error");
  assert.equal(body.requestId, "r");
  assert.ok(!JSON.stringify(body).includes("secret internal detail"));
});
