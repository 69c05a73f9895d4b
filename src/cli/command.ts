import type { FlagSpec, ParsedFlags } from "./flags.ts";

/** Where a command writes human output (usage, reports); tests capture it. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string>;
  /** Reads all of standard input (passwords for `user add`). */
  readStdin(): Promise<string>;
}

export interface Command {
  name: string;
  summary: string;
  /** The synopsis after "helios NAME", e.g. "[flags]" or "check FILE [--fix]". */
  synopsis: string;
  flags: FlagSpec[];
  allowPositionals?: boolean;
  /** Returns the process exit code. */
  run(flags: ParsedFlags, io: CliIo): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
