/**
 * The CLI's small rules, in process: the dispatcher's exit codes (rl/cli/main.ts), eval's default result file and
 * its --fixed-start check (rl/cli/eval.ts), and the progress line's arithmetic (rl/cli/progress.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../rl/cli/args.js';
import { checkFixedStartFlag, defaultEvalOut } from '../../rl/cli/eval.js';
import { formatDuration, Progress } from '../../rl/cli/progress.js';
import { runCli as run, textSink } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-cli-helpers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fisor dispatcher exit codes', () => {
  it('0 for help (stdout), 2 with the usage on stderr when no command is given, 2 for an unknown command even if it names an Object property', async () => {
    const help = await run('help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: fisor <command>/);
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.out).toBe('');
    expect(none.err).toMatch(/^usage: fisor <command>/);
    for (const name of ['toString', 'constructor', '__proto__']) {
      const r = await run(name);
      expect(r.code, name).toBe(2);
      expect(r.err).toMatch(new RegExp(`^error: unknown command '${name}'`));
    }
  });

  it("a command's -h or --help prints its flags and exits 0; a command that returns nothing exits 0", async () => {
    for (const h of ['-h', '--help']) {
      const r = await run('tasks', h);
      expect(r.code, h).toBe(0);
      expect(r.out).toMatch(/^usage: fisor tasks \[flags\]/);
    }
    const tasks = await run('tasks', '--json');
    expect(tasks.code).toBe(0);
    expect(JSON.parse(tasks.out).length).toBeGreaterThan(0);
    const bad = await run('tasks', 'x');
    expect(bad.code).toBe(2);
    expect(bad.err).toBe("error: unexpected argument 'x'\nRun 'fisor tasks --help' for usage.\n");
  });
});

describe('eval', () => {
  it('the default result file names each acting or scoring flag given, and takes -2, -3, ... when the name is used', () => {
    const run1 = join(dir, 'run1');
    mkdirSync(join(run1, 'checkpoint'), { recursive: true });
    writeFileSync(join(run1, 'checkpoint', 'manifest.json'), '{}');
    const plain = { checkpoint: run1, seed: 5, 'fixed-start': false };
    expect(defaultEvalOut(plain)).toBe(join(run1, 'eval-5.json'));
    expect(defaultEvalOut({ ...plain, 'fixed-start': true, 'cost-limit': 0, 'violating-choice': 'reward', samples: 8 })).toBe(join(run1, 'eval-5-fixed-k0-reward-n8.json'));
    expect(defaultEvalOut({ ...plain, samples: 1 })).toBe(join(run1, 'eval-5-n1.json'));
    // Given the checkpoint directory itself, beside it.
    expect(defaultEvalOut({ ...plain, checkpoint: join(run1, 'checkpoint') })).toBe(join(run1, 'eval-5.json'));
    writeFileSync(join(run1, 'eval-5.json'), '{}');
    expect(defaultEvalOut(plain)).toBe(join(run1, 'eval-5-2.json'));
    writeFileSync(join(run1, 'eval-5-2.json'), '{}');
    expect(defaultEvalOut(plain)).toBe(join(run1, 'eval-5-3.json'));
    // The first free number, however many are taken.
    for (const k of [3, 4, 5]) writeFileSync(join(run1, `eval-5-${k}.json`), '{}');
    expect(defaultEvalOut(plain)).toBe(join(run1, 'eval-5-6.json'));
  });

  it('--fixed-start is refused off PointRobot only', () => {
    expect(() => checkFixedStartFlag(true, 'PointRobot')).not.toThrow();
    expect(() => checkFixedStartFlag(false, 'BallRun')).not.toThrow();
    expect(() => checkFixedStartFlag(true, 'BallRun')).toThrow(UsageError);
  });
});

describe('progress', () => {
  it('formatDuration: tenths under 10 s, whole seconds under a minute, then m and ss, then h and mm', () => {
    expect(formatDuration(0)).toBe('0.0s');
    expect(formatDuration(9.44)).toBe('9.4s');
    expect(formatDuration(10)).toBe('10s');
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(60)).toBe('1m00s');
    expect(formatDuration(61.6)).toBe('1m02s');
    expect(formatDuration(3599)).toBe('59m59s');
    expect(formatDuration(3600)).toBe('1h00m');
    expect(formatDuration(7325)).toBe('2h02m');
    expect(formatDuration(-1)).toBe('?');
    expect(formatDuration(NaN)).toBe('?');
  });

  it('formatDuration rounds to whole seconds before splitting into minutes and hours: never 1m60s or 59m60s', () => {
    expect(formatDuration(59.6)).toBe('1m00s');
    expect(formatDuration(119.6)).toBe('2m00s');
    expect(formatDuration(3599.6)).toBe('1h00m');
    expect(formatDuration(9.96)).toBe('10.0s');
  });

  it('the bar fills in proportion to the position, clamped at the total; done() prints one final line', () => {
    const s = textSink();
    const p = new Progress(4, { label: 'L', stream: s, tty: false });
    p.update(1);
    expect(p.line()).toMatch(/^L \[######------------------\] 1\/4 25% \d+ steps\/s ETA /);
    p.update(8);
    expect(p.line()).toMatch(/^L \[########################\] 8\/4 100% /);
    expect(new Progress(0, { tty: false, stream: s }).line()).toMatch(/^\[#{24}\] 0\/0 100% /);
    p.done();
    p.done();
    expect(s.text.split('\n')).toHaveLength(2);
    expect(s.text).toMatch(/^L \[#{24}\] 8\/4 100% \d+ steps\/s in /);
    const quiet = textSink();
    new Progress(4, { stream: quiet, tty: false, quiet: true }).done();
    expect(quiet.text).toBe('');
  });
});
