/** SHA1 of a binary string as lower-case hex: the name of a script (EVALSHA, SCRIPT LOAD). */
import { createHash } from "node:crypto";

export function sha1hex(body: string): string {
  return createHash("sha1").update(body, "latin1").digest("hex");
}
