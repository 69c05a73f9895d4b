/** Every gateway route in-process (scripted auth), checked against the spec. */
import { checkRoutes } from "./gateway_route_checks.ts";
import { startGateway } from "./gateway_support.ts";

Deno.test("gateway routes answer as the spec documents (in-process)", async (t) => {
  const gw = startGateway({
    gateway: { cors_origins: ["https://app.example"], body_limit_bytes: 4096 },
  });
  try {
    await checkRoutes(t, {
      base: gw.base,
      admin: "admin-token",
      reader: "reader-token",
      apiToken: "hlt_api-token",
    });
  } finally {
    await gw.close();
  }
});
