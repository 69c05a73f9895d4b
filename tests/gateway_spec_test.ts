/**
 * The generated OpenAPI document: valid per @apidevtools/swagger-parser, every error response
 * is problem+json, every operation names its permission, secure ones declare bearerAuth.
 */
import assert from "node:assert/strict";
import SwaggerParser from "@apidevtools/swagger-parser";
import { liveSpec } from "./gateway_api_gen.ts";

type Operation = {
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
  security?: Record<string, string[]>[];
  "x-helios-permission"?: string;
  summary?: string;
};

const METHODS = ["get", "put", "post", "delete", "patch"];

function operations(spec: Record<string, unknown>): [string, Operation][] {
  const paths = spec.paths as Record<string, Record<string, Operation>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) =>
      [`${m.toUpperCase()} ${path}`, item[m]] as [string, Operation]
    )
  );
}

Deno.test("the spec passes swagger-parser validation", async () => {
  const spec = await liveSpec();
  const api = await SwaggerParser.validate(structuredClone(spec) as never);
  assert.equal((api as { openapi: string }).openapi, "3.1.0");
  assert.ok(Object.keys(api.paths ?? {}).includes("/api/v1/kv/{key}"));
});

Deno.test("every error response is problem+json and every operation names its permission", async () => {
  const spec = await liveSpec();
  const ops = operations(spec);
  assert.ok(ops.length >= 6);
  for (const [name, op] of ops) {
    assert.ok(op.summary, `${name} has a summary`);
    const permission = op["x-helios-permission"];
    if (name === "GET /healthz" || name === "GET /readyz") continue;
    assert.ok(permission, `${name} names its permission`);
    if (permission !== "public") {
      assert.deepEqual(op.security, [{ bearerAuth: [] }], `${name} declares bearerAuth`);
      for (const status of ["401", "403", "429", "500"]) {
        assert.ok(op.responses[status], `${name} documents ${status}`);
      }
    }
    for (const [status, response] of Object.entries(op.responses)) {
      if (Number(status) < 400) continue;
      const schema = response.content?.["application/problem+json"]?.schema;
      assert.equal(schema?.$ref, "#/components/schemas/Problem", `${name} ${status} is a problem`);
    }
  }
  const schemes = (spec.components as { securitySchemes: Record<string, { scheme: string }> })
    .securitySchemes;
  assert.equal(schemes.bearerAuth.scheme, "bearer");
  const kvGet = (spec.paths as Record<string, Record<string, Operation>>)["/api/v1/kv/{key}"].get;
  assert.equal(kvGet["x-helios-permission"], "kv:read:{key}");
});
