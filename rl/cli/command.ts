/** Shared types for CLI subcommands (see the dispatch table in main.ts). */
import type { FlagSpecs } from './args.js';

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Command {
  /** One line for `fisor help`. */
  summary: string;
  /** Flag table (used for `fisor <command> --help`). */
  flags: FlagSpecs;
  /**
   * The flag table that applies to these arguments, where it depends on them (`fisor train --algo bc-safe --help`
   * lists the baselines' flags, not FISOR's); default `flags`.
   */
  flagsFor?(argv: readonly string[]): FlagSpecs;
  /**
   * Run with the arguments after the command name. Throw UsageError for bad usage, Error for failures;
   * return an exit code to end otherwise than 0 without an error (130: interrupted by Ctrl-C).
   */
  run(argv: string[], io: CliIO): Promise<void | number>;
}
