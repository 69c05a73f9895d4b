/**
 * A RecordingExecutor whose store knows two test commands that hold the event loop for a given
 * number of milliseconds: TEST.BUSY ms (a plain command) and TEST.BUSYFAST ms (flagged fast).
 * The slow log and latency monitor tests use them to make a command slow on purpose.
 */
import { command } from "../store/command_table.ts";
import { simple } from "../store/reply.ts";
import { RecordingExecutor } from "./recording_executor.ts";

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy on purpose: a slow command blocks the server the way a big SORT would.
  }
}

export function busyExecutor(): RecordingExecutor {
  const executor = new RecordingExecutor();
  for (const [name, flags] of [["test.busy", "readonly"], ["test.busyfast", "readonly fast"]]) {
    const { spec } = command(name, 2, flags, [0, 0, 0], "server", () => simple("OK"));
    executor.store.registerCommand(spec, (_store, argv) => {
      spin(Number(argv[1]));
      return { reply: simple("OK"), log: null };
    });
  }
  return executor;
}
