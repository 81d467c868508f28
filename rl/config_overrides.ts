/**
 * Validated overrides of a typed config object, shared by FISOR's config (rl/fisor/config.ts) and the
 * baselines' (rl/algos/config.ts): keys are dotted paths; an unknown key or a value of another type than the
 * preset's is an error naming the key. Each config adds its own rules (integer keys, enums, array items).
 */

export interface OverrideRules {
  /** Number fields that must be whole. */
  integerKeys?: ReadonlySet<string>;
  /** String fields with a fixed set of values. */
  enums?: Readonly<Record<string, readonly string[]>>;
  /** What an array field's items must be. */
  arrayItem: { ok: (x: unknown) => boolean; what: string };
  /** Refuse non-finite numbers. */
  finiteNumbers?: boolean;
}

export function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

/** Sets `path` (dotted) in `cfg`, checking the key exists and the value has the existing value's type. */
export function setPath(cfg: object, path: string, value: unknown, source: string, rules: OverrideRules): void {
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
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`${source}: config key '${path}' must be an object, got ${typeName(value)}`);
    }
    for (const [k, v] of Object.entries(value)) setPath(cfg, `${path}.${k}`, v, source, rules);
    return;
  }
  if (Array.isArray(cur)) {
    if (!Array.isArray(value) || !value.every(rules.arrayItem.ok)) {
      throw new Error(`${source}: config key '${path}' must be an array of ${rules.arrayItem.what}, got ${JSON.stringify(value)}`);
    }
  } else if (typeof cur !== typeName(value)) {
    throw new Error(`${source}: config key '${path}' must be a ${typeof cur}, got ${typeName(value)} ${JSON.stringify(value)}`);
  } else if (typeof value === 'number' && rules.finiteNumbers && !Number.isFinite(value)) {
    throw new Error(`${source}: config key '${path}' must be a finite number, got ${value}`);
  } else if (typeof value === 'number' && rules.integerKeys?.has(path) && !Number.isInteger(value)) {
    throw new Error(`${source}: config key '${path}' must be an integer, got ${value}`);
  } else if (typeof value === 'string' && rules.enums?.[path] && !rules.enums[path].includes(value)) {
    throw new Error(`${source}: config key '${path}' must be one of ${rules.enums[path].join(', ')}, got '${value}'`);
  }
  node[leaf] = clone(value);
}

/**
 * `text` read as a number in decimal notation, else NaN: Number() alone would also take '0x10' as 16 and '' as 0.
 * The one reading of a number the CLI's flags (args.ts) and `--set` share.
 */
export function decimalNumber(text: string): number {
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : NaN;
}

function safeJson(raw: string, key: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`--set: config key '${key}': cannot parse '${raw}' as JSON`);
  }
}

function getPath(cfg: object, path: string): unknown {
  let node: unknown = cfg;
  for (const p of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, p)) {
      throw new Error(`--set: unknown config key '${path}'`);
    }
    node = (node as Record<string, unknown>)[p];
  }
  return node;
}

/** Parses one `key=value` entry, converting `value` to the type of the existing field, then sets it. */
export function applySet(cfg: object, entry: string, rules: OverrideRules): void {
  const eq = entry.indexOf('=');
  if (eq <= 0) throw new Error(`--set: expected key=value, got '${entry}'`);
  const key = entry.slice(0, eq).trim();
  const raw = entry.slice(eq + 1).trim();
  const cur = getPath(cfg, key);
  let value: unknown;
  if (Array.isArray(cur)) {
    if (raw.startsWith('[')) value = safeJson(raw, key);
    else {
      // Number('abc') is NaN, which the array check would print as null: name the item instead.
      const items = raw.split(',').filter((s) => s.trim() !== '');
      const bad = items.find((s) => !Number.isFinite(decimalNumber(s.trim())));
      if (bad !== undefined) throw new Error(`--set: config key '${key}' takes comma-separated numbers; '${bad.trim()}' is not a number`);
      value = items.map((s) => Number(s));
    }
  } else if (typeof cur === 'number') {
    value = decimalNumber(raw);
    if (!Number.isFinite(value)) throw new Error(`--set: config key '${key}' must be a number, got '${raw}'`);
  } else if (typeof cur === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new Error(`--set: config key '${key}' must be true or false, got '${raw}'`);
    value = raw === 'true';
  } else if (typeof cur === 'string') {
    value = raw;
  } else {
    value = safeJson(raw, key);
  }
  setPath(cfg, key, value, '--set', rules);
}

/** Applies a JSON object of overrides (nested or dotted keys). */
export function applyObject(cfg: object, obj: unknown, source: string, rules: OverrideRules): void {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error(`${source}: config must be a JSON object`);
  for (const [k, v] of Object.entries(obj)) setPath(cfg, k, v, source, rules);
}
