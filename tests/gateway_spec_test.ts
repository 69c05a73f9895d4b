/**
 * The generated OpenAPI document: valid per @apidevtools/swagger-parser, every error response
 * is problem+json, every operation names its permission, secure ones declare bearerAuth, and
 * what Swagger UI's "Try it out" starts from is a valid request.
 */
import assert from "node:assert/strict";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { createHelios } from "../src/mod.ts";
import { liveSpec } from "./gateway_api_gen.ts";

type Operation = {
  operationId?: string;
  parameters?: { name: string; in: string; example?: unknown; examples?: unknown }[];
  requestBody?: { content: Record<string, { example?: unknown }> };
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

/** The spec of a whole Helios app (auth, admin, KV, jobs), as `helios serve` publishes it. */
async function appSpec(): Promise<Record<string, unknown>> {
  const dataDir = await Deno.makeTempDir();
  const helios = await createHelios({ dataDir, env: { get: () => undefined } });
  try {
    return await (await helios.app.request("/openapi.json")).json();
  } finally {
    await helios.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("Try it out starts from valid requests: every body has an example its schema accepts", async () => {
  const spec = await appSpec();
  const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(spec, "helios:spec");
  const withBodies = operations(spec).filter(([, op]) => op.requestBody);
  assert.ok(withBodies.length >= 20, `${withBodies.length} operations with bodies`);
  for (const [name, op] of withBodies) {
    const media = op.requestBody!.content["application/json"];
    // Without an example Swagger UI fills every optional field at its bounds (a job delayed a
    // year with one attempt, a 100 ms lease).
    assert.ok(media?.example !== undefined, `${name} has a request example`);
    const [method, path] = name.split(" ");
    const pointer = ["paths", path, method.toLowerCase(), "requestBody", "content"]
      .map((part) => part.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
    const validate = ajv.compile({ $ref: `helios:spec#/${pointer}/application~1json/schema` });
    assert.ok(validate(media.example), `${name}: ${JSON.stringify(validate.errors)}`);
  }
  // Swagger UI sends a parameter's example as its value: a conditional header with one made
  // POST /api/v1/kv/{key} send both If-Match and If-None-Match (400), DELETE a stale ETag (412).
  for (const [name, op] of operations(spec)) {
    for (const parameter of op.parameters ?? []) {
      if (parameter.in !== "header") continue;
      assert.equal(
        parameter.example,
        undefined,
        `${name}: header ${parameter.name} has no example`,
      );
      assert.equal(parameter.examples, undefined, `${name}: header ${parameter.name}`);
    }
  }
});

Deno.test("every operation has a unique operationId, the method name of generated SDKs", async () => {
  const spec = await appSpec();
  assert.deepEqual((spec.servers as { url: string }[]).map((server) => server.url), ["/"]);
  const ops = operations(spec);
  const ids = ops.map(([name, op]) => {
    assert.match(op.operationId ?? "", /^[a-z][A-Za-z]+$/, `${name} has an operationId`);
    return op.operationId;
  });
  assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
  // What Redocly's and Spectral's recommended rulesets ask besides: security stated on every
  // operation (public ones as []), and servers (relative: the gateway that served the spec).
  for (const [name, op] of ops) assert.ok(Array.isArray(op.security), `${name} states security`);
  assert.ok(ids.includes("setKey") && ids.includes("enqueueJob") && ids.includes("claimJobs"));
});
