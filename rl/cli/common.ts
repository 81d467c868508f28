/** Helpers shared by the CLI subcommands (train, eval, plot, quickstart). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getBackend, listBackends, setBackend } from '../../core/index.js';
import { UsageError } from './args.js';
import { COLLECT_RECIPES, type CollectRecipe } from '../data/collect.js';
import { hashText } from '../io/provenance.js';

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
      if (v === undefined || v.startsWith('--')) throw new UsageError(`flag --${name} needs a value (key=value)`);
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

/** "wasm-fma, 2 threads": the backend the updates ran on, for the end-of-training speed line. */
export function backendLabel(): string {
  const be = getBackend() as { name: string; threads?: number };
  const t = be.threads ?? 1;
  return `${be.name}, ${t} thread${t === 1 ? '' : 's'}`;
}

/** Seeds are 32-bit (the generator folds larger values): refuse what would silently alias another seed. */
export function checkSeedFlag(seed: number, flag = '--seed'): void {
  if (seed < 0 || seed > 0xffffffff) throw new UsageError(`${flag} must be in [0, 4294967295] (32 bits), got ${seed}`);
}

/** A cost limit kappa is a number >= 0 (0 scores with eps = 1, as DSRL). */
export function checkCostLimitFlag(kappa: number | undefined): void {
  if (kappa !== undefined && !(kappa >= 0)) throw new UsageError(`--cost-limit must be >= 0, got ${kappa}`);
}

/** A data recipe flag's value (rl/data/collect.ts), or a usage error naming the flag and the recipes. */
export function recipeFlag(flag: string, value: string): CollectRecipe {
  if (!(COLLECT_RECIPES as string[]).includes(value)) throw new UsageError(`${flag} must be one of ${COLLECT_RECIPES.join(', ')}, got '${value}'`);
  return value as CollectRecipe;
}

/** runs/<name>-<preset>-s<seed>-<8 hex>: the hash covers the resolved config and the dataset path. */
export function defaultRunDir(name: string, preset: string, seed: number, config: unknown, dataset: string | undefined): string {
  return `runs/${name}-${preset}-s${seed}-${hashText(JSON.stringify({ config, dataset: dataset ?? null }))}`;
}

/** The run directory of a `--checkpoint` path: the path itself, or its parent when it is a checkpoint directory (holds manifest.json). */
export function runDirOf(checkpoint: string): string {
  return existsSync(join(checkpoint, 'manifest.json')) ? dirname(checkpoint) : checkpoint;
}

/** A shell word: left bare when it is safe to paste, else single-quoted. */
export function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that continues an interrupted run, printed on Ctrl-C: every flag that the resume checks
 * against the checkpoint (the data, its recipe, the cost limit, an extended step count) is repeated, and the
 * backend (another one would not continue the run bit for bit), so the printed line works when pasted.
 * `flags` are [name, value] pairs; undefined or false values are left out, true ones are bare switches.
 */
export function continueCommand(head: string, flags: [string, string | number | boolean | undefined][]): string {
  const parts = [head];
  for (const [name, v] of flags) {
    if (v === undefined || v === false) continue;
    parts.push(v === true ? `--${name}` : `--${name} ${shellWord(String(v))}`);
  }
  return [...parts, '--resume'].join(' ');
}

