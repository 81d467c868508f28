/**
 * The flag parser (rl/cli/args.ts) and the CLI's shared flag helpers (rl/cli/common.ts), in process and fast:
 * each coercion, refusal and default pinned by a value written out here (the slower CLI tests reach them only
 * through whole commands).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFlags, UsageError } from '../../rl/cli/args.js';
import { checkCostLimitFlag, checkSeedFlag, continueCommand, defaultRunDir, extractRepeated, runDirOf } from '../../rl/cli/common.js';

const specs = {
  name: { type: 'string', help: 'n', required: true },
  title: { type: 'string', help: 't', allowEmpty: true },
  count: { type: 'int', help: 'c', default: 3 },
  lr: { type: 'float', help: 'l' },
  fast: { type: 'bool', help: 'f', default: false },
  slow: { type: 'bool', help: 's' },
} as const;

const usage = (argv: string[], re: RegExp) => {
  let err: unknown;
  try {
    parseFlags(argv, specs);
  } catch (e) {
    err = e;
  }
  expect(err, argv.join(' ')).toBeInstanceOf(UsageError);
  expect((err as Error).message).toMatch(re);
};

describe('parseFlags', () => {
  it('bool flags: bare is true, --no-NAME false, and true|1|yes / false|0|no in any case', () => {
    for (const v of ['true', '1', 'yes', 'YES', 'True']) expect(parseFlags(['--name', 'x', `--slow=${v}`], specs).slow, v).toBe(true);
    for (const v of ['false', '0', 'no', 'No', 'FALSE']) expect(parseFlags(['--name', 'x', `--fast=${v}`], specs).fast, v).toBe(false);
    expect(parseFlags(['--name', 'x', '--slow'], specs).slow).toBe(true);
    expect(parseFlags(['--name', 'x', '--no-slow'], specs).slow).toBe(false);
    usage(['--name', 'x', '--fast=maybe'], /--fast expects true or false, got 'maybe'/);
    // --no- applies to bool flags only, and only bare.
    usage(['--name', 'x', '--no-count'], /unknown flag --no-count/);
    usage(['--name', 'x', '--no-fast=true'], /unknown flag --no-fast/);
  });

  it('an unset optional flag is undefined, a defaulted one its default, a given one its value (never the default)', () => {
    const f = parseFlags(['--name', 'x'], specs);
    expect(f).toEqual({ name: 'x', count: 3, fast: false });
    expect('lr' in f).toBe(false);
    expect(parseFlags(['--name', 'x', '--count', '0'], specs).count).toBe(0);
    expect(parseFlags(['--name', 'x', '--fast=false'], specs).fast).toBe(false);
    usage(['--count', '4'], /missing required flag --name/);
  });

  it('int flags: digits with a sign (surrounding spaces allowed), within the safe integers', () => {
    expect(parseFlags(['--name', 'x', '--count', '-12'], specs).count).toBe(-12);
    expect(parseFlags(['--name', 'x', '--count', '+5'], specs).count).toBe(5);
    expect(parseFlags(['--name', 'x', '--count', ' 7 '], specs).count).toBe(7);
    expect(parseFlags(['--name', 'x', '--count', '9007199254740991'], specs).count).toBe(9007199254740991);
    usage(['--name', 'x', '--count', '7abc'], /--count expects an integer, got '7abc'/);
    usage(['--name', 'x', '--count', '1e3'], /--count expects an integer/);
    usage(['--name', 'x', '--count', '9007199254740993'], /--count: integer out of range/);
  });

  it('float flags: decimal numbers only, finite', () => {
    expect(parseFlags(['--name', 'x', '--lr', ' -2.5e-1 '], specs).lr).toBe(-0.25);
    expect(parseFlags(['--name', 'x', '--lr', '.5'], specs).lr).toBe(0.5);
    for (const v of ['Infinity', '1e999', 'NaN', '0x10', '1,5', '']) usage(['--name', 'x', '--lr', v], /--lr expects a number/);
  });

  it("string flags: '' refused unless allowEmpty; a value may start with one dash, or be '--' itself", () => {
    usage(['--name', ''], /--name needs a non-empty value/);
    expect(parseFlags(['--name', 'x', '--title', ''], specs).title).toBe('');
    expect(parseFlags(['--name', '-x'], specs).name).toBe('-x');
    expect(parseFlags(['--name', '--'], specs).name).toBe('--');
    usage(['--name', '--count', '2'], /--name needs a value/);
    usage(['--name'], /--name needs a value/);
  });

  it("refuses '--', positionals and a flag given twice (in either form)", () => {
    usage(['--name', 'x', '--'], /unexpected argument '--'/);
    usage(['--name', 'x', 'y'], /unexpected argument 'y'/);
    usage(['--name', 'x', '--count', '1', '--count=2'], /--count is given twice/);
    usage(['--name', 'x', '--fast', '--no-fast'], /--fast is given twice/);
  });
});

describe('CLI flag helpers', () => {
  it('extractRepeated takes every --set in both forms, in order, and leaves the rest as it was', () => {
    expect(extractRepeated(['--task', 'A', '--set', 'a=1', '--set=b=2=3', '--quiet', '--set', 'c=[1,2]'], 'set'))
      .toEqual({ values: ['a=1', 'b=2=3', 'c=[1,2]'], rest: ['--task', 'A', '--quiet'] });
    expect(extractRepeated(['--settle', 'x', '--set='], 'set')).toEqual({ values: [''], rest: ['--settle', 'x'] });
    expect(() => extractRepeated(['--set'], 'set')).toThrow(/--set needs a value/);
    expect(() => extractRepeated(['--set', '--steps', '5'], 'set')).toThrow(/--set needs a value/);
  });

  it('seeds are 32-bit: [0, 2^32 - 1]; a cost limit is a number >= 0 (or not given)', () => {
    expect(() => checkSeedFlag(0)).not.toThrow();
    expect(() => checkSeedFlag(4294967295)).not.toThrow();
    expect(() => checkSeedFlag(4294967296)).toThrow(UsageError);
    expect(() => checkSeedFlag(-1)).toThrow(UsageError);
    expect(() => checkSeedFlag(-1, '--eval-seed')).toThrow(/--eval-seed must be in/);
    expect(() => checkCostLimitFlag(undefined)).not.toThrow();
    expect(() => checkCostLimitFlag(0)).not.toThrow();
    expect(() => checkCostLimitFlag(2.5)).not.toThrow();
    expect(() => checkCostLimitFlag(-0.001)).toThrow(/--cost-limit must be >= 0/);
    expect(() => checkCostLimitFlag(NaN)).toThrow(UsageError);
  });

  it('the default run directory names task, preset and seed, and its hash changes with the config and the dataset path only', () => {
    const a = defaultRunDir('PointRobot', 'cpu', 7, { steps: 10 }, undefined);
    expect(a).toMatch(/^runs\/PointRobot-cpu-s7-[0-9a-f]{8}$/);
    expect(defaultRunDir('PointRobot', 'cpu', 7, { steps: 10 }, undefined)).toBe(a);
    const hash = (d: string) => d.slice(d.lastIndexOf('-') + 1);
    expect(hash(defaultRunDir('PointRobot', 'cpu', 8, { steps: 10 }, undefined))).toBe(hash(a));
    expect(hash(defaultRunDir('PointRobot', 'cpu', 7, { steps: 11 }, undefined))).not.toBe(hash(a));
    expect(hash(defaultRunDir('PointRobot', 'cpu', 7, { steps: 10 }, 'a.hdf5'))).not.toBe(hash(a));
    expect(hash(defaultRunDir('PointRobot', 'cpu', 7, { steps: 10 }, 'b.hdf5'))).not.toBe(hash(defaultRunDir('PointRobot', 'cpu', 7, { steps: 10 }, 'a.hdf5')));
  });

  it('runDirOf: a checkpoint directory (it holds manifest.json) gives its parent, a run directory itself', () => {
    const root = mkdtempSync(join(tmpdir(), 'fisor-rundirof-'));
    try {
      mkdirSync(join(root, 'checkpoint'));
      writeFileSync(join(root, 'checkpoint', 'manifest.json'), '{}');
      expect(runDirOf(join(root, 'checkpoint'))).toBe(root);
      expect(runDirOf(root)).toBe(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the continue command: given flags in order, switches bare, false and undefined left out, --resume last', () => {
    expect(continueCommand('fisor train', [['task', 'BallRun'], ['quiet', false], ['allow-task-mismatch', true], ['steps', undefined], ['seed', 0]]))
      .toBe('fisor train --task BallRun --allow-task-mismatch --seed 0 --resume');
    expect(continueCommand('fisor train', [])).toBe('fisor train --resume');
  });
});
