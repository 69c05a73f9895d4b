/**
 * Reloads the routes file when it changes (Deno.watchFs on its directory, so editors that
 * write a temp file and rename still trigger) and on SIGHUP, debounced. A file that fails to
 * parse or validate is logged and ignored: the running config stays.
 */
import { dirname, resolve } from "node:path";
import type { Logger } from "../observability/logger.ts";
import { parseRoutesText, type RoutesFile } from "./config.ts";

export const RELOAD_DEBOUNCE_MS = 200;

export interface RoutesReloader {
  /** Reloads now (SIGHUP). Resolves true when a new config was applied. */
  reload(reason: string): Promise<boolean>;
  close(): Promise<void>;
}

export function watchRoutesFile(
  path: string,
  apply: (file: RoutesFile) => void,
  logger: Logger,
): RoutesReloader {
  const absolute = resolve(path);
  const watcher = Deno.watchFs(dirname(absolute), { recursive: false });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const reload = async (reason: string): Promise<boolean> => {
    try {
      const text = await Deno.readTextFile(absolute);
      apply(parseRoutesText(text, path));
      logger.info("Routes file reloaded", { path, reason });
      return true;
    } catch (error) {
      logger.error("Routes file reload failed; keeping the running config", {
        path,
        reason,
        error,
      });
      return false;
    }
  };
  const loop = (async () => {
    for await (const event of watcher) {
      if (!event.paths.some((p) => resolve(p) === absolute)) continue;
      clearTimeout(timer);
      timer = setTimeout(() => void reload("file changed"), RELOAD_DEBOUNCE_MS);
    }
  })();
  return {
    reload,
    async close() {
      clearTimeout(timer);
      watcher.close();
      await loop;
    },
  };
}
