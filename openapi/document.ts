/** The OpenAPI document's top level: info, servers, tags. Routes add paths and components. */
export interface DocumentInfo {
  version: string;
  title?: string;
}

export function documentConfig(info: DocumentInfo) {
  return {
    openapi: "3.1.0",
    info: {
      title: info.title ?? "Helios API",
      version: info.version,
      description: "Key-value, auth and jobs over HTTP. Every error is RFC 9457 " +
        "`application/problem+json`. Routes name their required permission in " +
        "`x-helios-permission` and in their description. Responses carry the draft " +
        "`RateLimit-Policy` / `RateLimit` headers; 429 carries `Retry-After`.",
      license: { name: "MIT", identifier: "MIT" },
    },
    // Relative: Swagger UI and generated clients call the server that served the spec.
    servers: [{ url: "/", description: "This gateway" }],
    tags: [
      { name: "health", description: "Liveness and readiness" },
      { name: "auth", description: "Users, sessions and API tokens" },
      { name: "kv", description: "Keys and values in ATLAS, with ETags and conditional writes" },
      { name: "jobs", description: "The job queue" },
      { name: "admin", description: "Roles and users (admin only)" },
    ],
  };
}
