/**
 * Config resolution for rl/algos: preset (paper | cpu) -> per-task overrides -> JSON file -> `--set key=value`
 * -> explicit overrides, then the algorithm's range checks. Keys are dotted paths into the config object; an
 * unknown key or a value of another type than the preset's is an error naming the key.
 */
import { platform } from '../../core/platform.js';
import { applyObject, applySet as applySetChecked, clone, setPath as setPathChecked, type OverrideRules } from '../config_overrides.js';
import type { AlgorithmDef, LoopConfig } from './types.js';

export type PresetName = 'paper' | 'cpu';
export const PRESETS: PresetName[] = ['paper', 'cpu'];

/** The baselines' override rules: finite numbers; arrays of numbers (or nested arrays). */
const RULES: OverrideRules = {
  finiteNumbers: true,
  arrayItem: { ok: (x) => (typeof x === 'number' && Number.isFinite(x)) || Array.isArray(x), what: 'numbers' },
};

/** Sets `path` (dotted) in `cfg`; the key must exist and the value must have the existing value's type. */
export function setPath(cfg: object, path: string, value: unknown, source: string): void {
  setPathChecked(cfg, path, value, source, RULES);
}

/** Parses one `key=value`, converting the value to the type of the existing field. */
export function applySet(cfg: object, entry: string): void {
  applySetChecked(cfg, entry, RULES);
}

/** The preset without task overrides. */
export function presetOf<C extends LoopConfig>(def: AlgorithmDef<C>, preset: string): C {
  if (preset === 'paper') return clone(def.paper);
  if (preset === 'cpu') {
    const c = clone(def.paper);
    for (const [k, { value }] of Object.entries(def.cpuChanges)) setPath(c, k, value, `${def.name} cpu preset`);
    return c;
  }
  throw new Error(`unknown preset '${preset}'; known presets: ${PRESETS.join(', ')}`);
}

export interface ResolveOptions {
  preset?: string;
  task?: string;
  configFile?: string;
  set?: string[];
  overrides?: Record<string, unknown>;
}

export function resolveAlgoConfig<C extends LoopConfig>(def: AlgorithmDef<C>, opts: ResolveOptions = {}): C {
  const cfg = presetOf(def, opts.preset ?? 'cpu');
  if (opts.task && def.taskOverrides) for (const [k, v] of Object.entries(def.taskOverrides(opts.task))) setPath(cfg, k, v, `${opts.task} overrides`);
  if (opts.configFile) {
    let obj: unknown;
    try {
      obj = JSON.parse(platform().readTextFile(opts.configFile));
    } catch (e) {
      throw new Error(`--config ${opts.configFile}: ${(e as Error).message}`);
    }
    applyObject(cfg, obj, opts.configFile, RULES);
  }
  for (const s of opts.set ?? []) applySet(cfg, s);
  for (const [k, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) setPath(cfg, k, v, 'option');
  checkLoop(cfg);
  def.check(cfg);
  return cfg;
}

/** Checks of the loop fields every config has. */
export function checkLoop(c: LoopConfig): void {
  const bad = (key: string, why: string): never => {
    throw new Error(`config key '${key}' ${why}`);
  };
  for (const k of ['steps', 'batchSize', 'evalEpisodes', 'logEvery'] as const) if (!(Number.isInteger(c[k]) && c[k] > 0)) bad(k, `must be a positive integer, got ${c[k]}`);
  for (const k of ['evalEvery', 'checkpointEvery'] as const) if (!(Number.isInteger(c[k]) && c[k] >= 0)) bad(k, `must be a non-negative integer, got ${c[k]}`);
  if (!(c.costLimit >= 0)) bad('costLimit', `must be >= 0, got ${c.costLimit}`);
  if (c.dtype !== 'float32' && c.dtype !== 'float64') bad('dtype', `must be float32 or float64, got ${String(c.dtype)}`);
}

/** Range-check helpers for the algorithms' `check`. */
export function checker(): {
  pos(key: string, v: number): void;
  nonneg(key: string, v: number): void;
  unit(key: string, v: number): void;
  int(key: string, v: number): void;
} {
  const bad = (key: string, why: string): never => {
    throw new Error(`config key '${key}' ${why}`);
  };
  return {
    pos: (k, v) => void (v > 0 || bad(k, `must be > 0, got ${v}`)),
    nonneg: (k, v) => void (v >= 0 || bad(k, `must be >= 0, got ${v}`)),
    unit: (k, v) => void ((v > 0 && v < 1) || bad(k, `must be in (0, 1), got ${v}`)),
    int: (k, v) => void ((Number.isInteger(v) && v > 0) || bad(k, `must be a positive integer, got ${v}`)),
  };
}
