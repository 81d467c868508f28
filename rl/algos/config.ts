/**
 * Config resolution for rl/algos: preset (paper | cpu) -> per-task overrides -> JSON file -> `--set key=value`
 * -> explicit overrides, then the algorithm's range checks. Keys are dotted paths into the config object; an
 * unknown key or a value of another type than the preset's is an error naming the key.
 */
import { readFileSync } from 'node:fs';
import type { AlgorithmDef, LoopConfig } from './types.js';

export type PresetName = 'paper' | 'cpu';
export const PRESETS: PresetName[] = ['paper', 'cpu'];

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

function typeName(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/** Sets `path` (dotted) in `cfg`; the key must exist and the value must have the existing value's type. */
export function setPath(cfg: object, path: string, value: unknown, source: string): void {
  const parts = path.split('.');
  let node = cfg as Record<string, unknown>;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = node[parts[i]];
    if (!Object.hasOwn(node, parts[i]) || typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new Error(`${source}: unknown config key '${path}'`);
    }
    node = next as Record<string, unknown>;
  }
  const leaf = parts[parts.length - 1];
  if (!Object.hasOwn(node, leaf)) throw new Error(`${source}: unknown config key '${path}'`);
  const cur = node[leaf];
  if (typeof cur === 'object' && cur !== null && !Array.isArray(cur)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${source}: config key '${path}' must be an object, got ${typeName(value)}`);
    for (const [k, v] of Object.entries(value)) setPath(cfg, `${path}.${k}`, v, source);
    return;
  }
  if (Array.isArray(cur)) {
    if (!Array.isArray(value) || !value.every((x) => typeof x === 'number' && Number.isFinite(x) || Array.isArray(x))) {
      throw new Error(`${source}: config key '${path}' must be an array of numbers, got ${JSON.stringify(value)}`);
    }
  } else if (typeof cur !== typeName(value)) {
    throw new Error(`${source}: config key '${path}' must be a ${typeof cur}, got ${typeName(value)} ${JSON.stringify(value)}`);
  } else if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`${source}: config key '${path}' must be a finite number, got ${value}`);
  }
  node[leaf] = clone(value);
}

function getPath(cfg: object, path: string): unknown {
  let node: unknown = cfg;
  for (const p of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, p)) throw new Error(`--set: unknown config key '${path}'`);
    node = (node as Record<string, unknown>)[p];
  }
  return node;
}

/** Parses one `key=value`, converting the value to the type of the existing field. */
export function applySet(cfg: object, entry: string): void {
  const eq = entry.indexOf('=');
  if (eq <= 0) throw new Error(`--set: expected key=value, got '${entry}'`);
  const key = entry.slice(0, eq).trim();
  const raw = entry.slice(eq + 1).trim();
  const cur = getPath(cfg, key);
  let value: unknown;
  if (Array.isArray(cur)) {
    try {
      value = raw.startsWith('[') ? JSON.parse(raw) : raw.split(',').filter((s) => s.trim() !== '').map(Number);
    } catch {
      throw new Error(`--set: config key '${key}': cannot parse '${raw}' as JSON`);
    }
  } else if (typeof cur === 'number') {
    value = raw === '' ? NaN : Number(raw);
    if (!Number.isFinite(value)) throw new Error(`--set: config key '${key}' must be a number, got '${raw}'`);
  } else if (typeof cur === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new Error(`--set: config key '${key}' must be true or false, got '${raw}'`);
    value = raw === 'true';
  } else {
    value = raw;
  }
  setPath(cfg, key, value, '--set');
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
      obj = JSON.parse(readFileSync(opts.configFile, 'utf8'));
    } catch (e) {
      throw new Error(`--config ${opts.configFile}: ${(e as Error).message}`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error(`${opts.configFile}: config must be a JSON object`);
    for (const [k, v] of Object.entries(obj)) setPath(cfg, k, v, opts.configFile);
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
