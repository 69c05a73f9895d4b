/** Connection-time refusals: protected mode and maxclients, with Redis's texts. */
import { isLoopback } from "./client.ts";
import type { ServerContext } from "./context.ts";

const DENIED =
  "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";

/** The error text to refuse this connection with, or null to accept it. */
export function rejectionText(ctx: ServerContext, conn: Deno.Conn): string | null {
  const remote = (conn.remoteAddr as Deno.NetAddr).hostname;
  if (
    ctx.settings.protectedMode && ctx.users.defaultUser.nopass &&
    !isLoopback(ctx.hostname) && !isLoopback(remote)
  ) {
    return DENIED;
  }
  if (ctx.clients.size >= ctx.settings.maxclients) return "ERR max number of clients reached";
  return null;
}
