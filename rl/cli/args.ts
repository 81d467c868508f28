/**
 * Small typed flag parser for `fisor <command> [flags]`.
 *
 * Flags are `--name value`, `--name=value`, or for bool flags `--name` / `--no-name` / `--name=true|false`.
 * Unknown flags, missing or empty values, malformed numbers, a flag given twice, missing required flags and
 * stray positional arguments throw `UsageError` (the CLI prints `error: <message>` and exits with code 2).
 * (Repeatable flags such as `--set` are taken out of argv before parsing: common.ts extractRepeated.)
 */
import { decimalNumber } from '../config_overrides.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagType = 'string' | 'int' | 'float' | 'bool';

export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: string | number | boolean;
  required?: boolean;
  /** Placeholder in the usage text, e.g. 'N' or 'FILE'. */
  meta?: string;
  /** A string flag that may be given as '' (e.g. an empty title); otherwise '' is refused, never read as "unset". */
  allowEmpty?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S['type'] extends 'string' ? string : S['type'] extends 'bool' ? boolean : number;

/** Parsed flags: required or defaulted flags are always present; others may be undefined. */
export type ParsedFlags<S extends FlagSpecs> = {
  [K in keyof S]: S[K] extends { required: true } | { default: unknown } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

function convert(name: string, spec: FlagSpec, raw: string): string | number | boolean {
  switch (spec.type) {
    case 'string':
      if (raw === '' && !spec.allowEmpty) throw new UsageError(`flag --${name} needs a non-empty value`);
      return raw;
    case 'int': {
      if (!/^[-+]?\d+$/.test(raw.trim())) throw new UsageError(`flag --${name} expects an integer, got '${raw}'`);
      const v = Number(raw);
      if (!Number.isSafeInteger(v)) throw new UsageError(`flag --${name}: integer out of range: '${raw}'`);
      return v;
    }
    case 'float': {
      const v = decimalNumber(raw.trim());
      if (!Number.isFinite(v)) throw new UsageError(`flag --${name} expects a number, got '${raw}'`);
      return v;
    }
    case 'bool':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw new UsageError(`flag --${name} expects true or false, got '${raw}'`);
  }
}

export function parseFlags<S extends FlagSpecs>(argv: readonly string[], specs: S): ParsedFlags<S> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let spec = specs[name];
    if (!spec && name.startsWith('no-') && specs[name.slice(3)]?.type === 'bool' && inline === undefined) {
      name = name.slice(3);
      spec = specs[name];
      inline = 'false';
    }
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    if (name in out) throw new UsageError(`flag --${name} is given twice; give it once`);
    if (inline === undefined) {
      if (spec.type === 'bool') inline = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`flag --${name} needs a value`);
        inline = next;
        i++;
      }
    }
    out[name] = convert(name, spec, inline);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (out[name] === undefined) {
      if (spec.default !== undefined) out[name] = spec.default;
      else if (spec.required) throw new UsageError(`missing required flag --${name}`);
    }
  }
  return out as ParsedFlags<S>;
}

/** Usage text: "usage: fisor <command> [flags]" plus one line per flag. */
export function usageText(command: string, summary: string, specs: FlagSpecs): string {
  const lines = [`usage: fisor ${command} [flags]`, '', summary, '', 'flags:'];
  const rows = Object.entries(specs).map(([name, s]) => {
    const meta = s.type === 'bool' ? '' : ` ${s.meta ?? s.type.toUpperCase()}`;
    const extra = s.required ? ' (required)' : s.default !== undefined ? ` (default ${s.default})` : '';
    return [`  --${name}${meta}`, `${s.help}${extra}`];
  });
  const w = Math.max(0, ...rows.map((r) => r[0].length));
  for (const [a, b] of rows) lines.push(`${a.padEnd(w + 2)}${b}`);
  return lines.join('\n');
}
