/** Helpers shared by the FISOR subcommands (train, eval, plot, quickstart). */
import { listBackends, setBackend } from '../../core/index.js';
import { UsageError } from '../cli/args.js';

/**
 * Pulls every `--set key=value` / `--set=key=value` out of argv (the flag parser keeps only the last value
 * of a repeated flag); returns the entries and the remaining argv.
 */
export function extractRepeated(argv: readonly string[], name: string): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${name}`) {
      const v = argv[i + 1];
      if (v === undefined) throw new UsageError(`flag --${name} needs a value`);
      values.push(v);
      i++;
    } else if (a.startsWith(`--${name}=`)) {
      values.push(a.slice(name.length + 3));
    } else {
      rest.push(a);
    }
  }
  return { values, rest };
}

/** Selects a tensor backend by name (default: keep the core's choice). */
export function selectBackend(name: string | undefined): string {
  if (name) {
    if (!listBackends().includes(name)) throw new UsageError(`unknown backend '${name}'; available: ${listBackends().join(', ')}`);
    setBackend(name);
  }
  return name ?? 'default';
}
