/** The auth API contract: register, login, refresh, logout, me, password, API tokens, JWKS. */
import { z } from "@hono/zod-openapi";
import { jsonBody, jsonResponse } from "./bodies.ts";
import { problemResponse } from "./problem.ts";
import { publicRoute, secureRoute } from "./secure_route.ts";

export const CredentialsSchema = z.object({
  username: z.string().min(1).max(64).openapi({ example: "alice" }),
  password: z.string().min(1).max(4096).openapi({ example: "secret123" }),
}).openapi("Credentials");
/** The README's user: Swagger UI's register, then login, work as they come. */
const ALICE = { username: "alice", password: "secret123" };

export const TokenPairSchema = z.object({
  token: z.string().openapi({ description: "Access token (JWT), sent as `Authorization: Bearer`" }),
  refresh_token: z.string().openapi({ description: "Single-use; POST /api/v1/auth/refresh" }),
  user_id: z.string().openapi({ example: "u_3kTq9..." }),
  expires_in: z.number().int().openapi({
    description: "Access token lifetime in seconds",
    example: 900,
  }),
  token_type: z.literal("Bearer"),
}).openapi("TokenPair");

export const UserSchema = z.object({
  user_id: z.string(),
  username: z.string(),
  roles: z.array(z.string()),
  disabled: z.boolean(),
  created_at: z.string().openapi({ format: "date-time" }),
}).openapi("User");

export const MeSchema = UserSchema.extend({
  kind: z.enum(["user", "api_token"]),
  session_id: z.string().optional(),
  token_id: z.string().optional(),
}).openapi("Me");

export const PermissionsSchema = z.object({
  roles: z.array(z.string()).openapi({ description: "Roles held, inherited ones included" }),
  rules: z.array(z.string()).openapi({ example: ["kv:*", "jobs:enqueue", "account:*"] }),
}).openapi("Permissions");

export const ApiTokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  roles: z.array(z.string()),
  created_at: z.string().openapi({ format: "date-time" }),
  expires_at: z.string().nullable().openapi({ format: "date-time" }),
}).openapi("ApiToken");

const tooMany = problemResponse("Too many failed attempts; see Retry-After");
const busy = problemResponse("Password hashing is overloaded; retry later");
const invalid = problemResponse("Invalid request body");

export const registerRoute = publicRoute({
  method: "post",
  operationId: "register",
  path: "/api/v1/auth/register",
  tags: ["auth"],
  summary: "Create an account (gets gateway.default_role)",
  description: "Passwords are 8-1024 characters.",
  request: { body: jsonBody(CredentialsSchema, ALICE) },
  responses: {
    201: jsonResponse(UserSchema, "The new user"),
    400: invalid,
    409: problemResponse("Username already taken"),
    503: busy,
  },
});

export const loginRoute = publicRoute({
  method: "post",
  operationId: "login",
  path: "/api/v1/auth/login",
  tags: ["auth"],
  summary: "Log in with username and password",
  description: "Failed attempts are throttled per account and per client IP with growing delays.",
  request: { body: jsonBody(CredentialsSchema, ALICE) },
  responses: {
    200: jsonResponse(TokenPairSchema, "Access and refresh tokens"),
    400: invalid,
    401: problemResponse("Invalid username or password"),
    429: tooMany,
    503: busy,
  },
});

export const refreshRoute = publicRoute({
  method: "post",
  operationId: "refresh",
  path: "/api/v1/auth/refresh",
  tags: ["auth"],
  summary: "Exchange a refresh token for a new pair (rotation)",
  description: "Each refresh token works once. Concurrent refreshes of one token within " +
    "gateway.refresh_grace get the same new pair; presenting a rotated token later ends the session.",
  request: {
    body: jsonBody(
      z.object({ refresh_token: z.string().min(1).max(512) }).openapi("RefreshRequest"),
      { refresh_token: "<refresh_token from login>" },
    ),
  },
  responses: {
    200: jsonResponse(TokenPairSchema, "A new pair"),
    400: invalid,
    401: problemResponse("Invalid, expired or reused refresh token"),
  },
});

export const logoutRoute = secureRoute({
  method: "post",
  operationId: "logout",
  path: "/api/v1/auth/logout",
  permission: "account:session",
  tags: ["auth"],
  summary: "End this session (or every session with ?scope=global)",
  request: {
    query: z.object({ scope: z.enum(["session", "global"]).default("session") }),
  },
  responses: { 204: { description: "Logged out" }, 400: invalid },
});

export const meRoute = secureRoute({
  method: "get",
  operationId: "getMe",
  path: "/api/v1/auth/me",
  permission: "account:read",
  tags: ["auth"],
  summary: "The authenticated caller",
  responses: { 200: jsonResponse(MeSchema, "The caller") },
});

export const mePermissionsRoute = secureRoute({
  method: "get",
  operationId: "getMyPermissions",
  path: "/api/v1/auth/me/permissions",
  permission: "account:read",
  tags: ["auth"],
  summary: "What the caller may do: roles (with inherited) and effective rules",
  responses: { 200: jsonResponse(PermissionsSchema, "Roles and rules") },
});

export const passwordRoute = secureRoute({
  method: "put",
  operationId: "changePassword",
  path: "/api/v1/auth/password",
  permission: "account:session",
  tags: ["auth"],
  summary: "Change the password; ends every other session",
  request: {
    body: jsonBody(
      z.object({
        current_password: z.string().min(1).max(4096),
        new_password: z.string().min(1).max(4096),
      }).openapi("PasswordChange"),
      { current_password: "secret123", new_password: "a-longer-secret-456" },
    ),
  },
  responses: {
    204: { description: "Password changed" },
    400: invalid,
    429: tooMany,
    503: busy,
  },
});

export const createTokenRoute = secureRoute({
  method: "post",
  operationId: "createApiToken",
  path: "/api/v1/auth/tokens",
  permission: "account:tokens",
  tags: ["auth"],
  summary: "Create an API token (the secret is shown only in this response)",
  request: {
    body: jsonBody(
      z.object({
        name: z.string().min(1).max(100).openapi({ example: "ci-deployer" }),
        roles: z.array(z.string().min(1).max(64)).max(32).optional().openapi({
          description: "Defaults to the caller's roles; only roles the caller holds",
        }),
        expires_in: z.number().int().min(60).max(366 * 86_400).optional().openapi({
          description: "Seconds; default 90 days",
        }),
      }).openapi("ApiTokenCreate"),
      { name: "ci-deployer", expires_in: 2_592_000 },
    ),
  },
  responses: {
    201: jsonResponse(
      ApiTokenSchema.extend({ token: z.string() }).openapi("ApiTokenCreated"),
      "The token",
    ),
    400: invalid,
  },
});

export const listTokensRoute = secureRoute({
  method: "get",
  operationId: "listApiTokens",
  path: "/api/v1/auth/tokens",
  permission: "account:tokens",
  tags: ["auth"],
  summary: "The caller's API tokens (without secrets)",
  responses: { 200: jsonResponse(z.object({ tokens: z.array(ApiTokenSchema) }), "Tokens") },
});

export const revokeTokenRoute = secureRoute({
  method: "delete",
  operationId: "revokeApiToken",
  path: "/api/v1/auth/tokens/{id}",
  permission: "account:tokens",
  tags: ["auth"],
  summary: "Revoke one of the caller's API tokens",
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: { 204: { description: "Revoked" }, 404: problemResponse("No such token") },
});

export const jwksRoute = publicRoute({
  method: "get",
  operationId: "getJwks",
  path: "/.well-known/jwks.json",
  tags: ["auth"],
  summary: "Public keys that verify access tokens (empty with HS256)",
  description: "The JWK set of the signing keys in use and the ones retired within a token's " +
    "lifetime: verify Helios's access tokens in other services without calling it.",
  responses: {
    200: jsonResponse(
      z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi("Jwks"),
      "JWKS",
    ),
  },
});

export const authzCheckRoute = secureRoute({
  method: "post",
  operationId: "checkPermission",
  path: "/api/v1/authz/check",
  permission: "authz:check",
  tags: ["auth"],
  summary: "Would `subject` be allowed `action` on `resource`?",
  description: 'Example: {"subject":"alice","action":"write","resource":"kv:orders/42"} asks for ' +
    "permission kv:write:orders/42.",
  request: {
    body: jsonBody(
      z.object({
        subject: z.string().min(1).max(64).openapi({ description: "User id or username" }),
        action: z.string().min(1).max(64).openapi({ example: "write" }),
        resource: z.string().min(1).max(512).openapi({ example: "kv:orders/42" }),
      }).openapi("AuthzCheck"),
      { subject: "alice", action: "write", resource: "kv:orders/42" },
    ),
  },
  responses: {
    200: jsonResponse(
      z.object({ allowed: z.boolean(), matched_rule: z.string().nullable() }).openapi(
        "AuthzDecision",
      ),
      "The decision",
    ),
    400: invalid,
  },
});
