/**
 * The commands' numeric and combination checks, each at its boundary, in process and before any work: a value
 * just outside the allowed range exits 2 naming the flag, the value at the edge passes the check (and then stops
 * on a missing checkpoint or a file in the way, exit 1, so that nothing is trained or collected here).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fisor-cli-refusals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'x');
const missing = join(dir, 'no-such-run');

async function usage(argv: string[], re: RegExp): Promise<void> {
  const r = await run(...argv);
  expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(2);
  expect(r.err).toMatch(re);
}

/** Past the flag checks: a runtime error (exit 1), not a usage error. */
async function pastChecks(argv: string[]): Promise<void> {
  const r = await run(...argv);
  expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(1);
}

describe('train (FISOR and --algo)', () => {
  it('--steps must be > 0', async () => {
    await usage(['train', '--task', 'PointRobot', '--steps', '0', '--out', aFile], /--steps must be > 0, got 0/);
    await usage(['train', '--algo', 'bc-all', '--task', 'BallRun', '--steps', '0', '--out', aFile], /--steps must be > 0, got 0/);
    await pastChecks(['train', '--task', 'PointRobot', '--steps', '1', '--out', aFile]);
    await pastChecks(['train', '--algo', 'bc-all', '--task', 'BallRun', '--steps', '1', '--out', aFile]);
  });

  it('--resume refuses a single --set or a --config, --overwrite, and a missing --out', async () => {
    for (const algo of [[], ['--algo', 'bc-all']]) {
      const task = algo.length ? 'BallRun' : 'PointRobot';
      await usage(['train', ...algo, '--task', task, '--resume', '--out', aFile, '--set', 'steps=5'], /--resume takes the config from the checkpoint/);
      await usage(['train', ...algo, '--task', task, '--resume', '--out', aFile, '--config', aFile], /--resume takes the config from the checkpoint/);
      await usage(['train', ...algo, '--task', task, '--resume', '--overwrite', '--out', aFile], /--resume and --overwrite exclude each other/);
      await usage(['train', ...algo, '--task', task, '--resume'], /--resume needs --out DIR/);
    }
  });

  it('--data-recipe applies to the collected default dataset only', async () => {
    await usage(['train', '--algo', 'bc-all', '--task', 'BallRun', '--data-recipe', 'recovery', '--dataset', aFile, '--out', aFile], /--data-recipe chooses how the default dataset is collected/);
    await pastChecks(['train', '--algo', 'bc-all', '--task', 'BallRun', '--data-recipe', 'recovery', '--out', aFile]);
  });
});

describe('eval', () => {
  it('--episodes in [1, 100000], --samples in [1, 4096], --violating-choice safest or reward', async () => {
    const base = ['eval', '--checkpoint', missing, '--quiet'];
    await usage([...base, '--episodes', '0'], /--episodes must be in \[1, 100000\], got 0/);
    await usage([...base, '--episodes', '100001'], /--episodes must be in/);
    await pastChecks([...base, '--episodes', '100000']);
    await pastChecks([...base, '--episodes', '1']);
    await usage([...base, '--samples', '0'], /--samples must be in \[1, 4096\], got 0/);
    await usage([...base, '--samples', '4097'], /--samples must be in/);
    await pastChecks([...base, '--samples', '4096']);
    await pastChecks([...base, '--samples', '1']);
    await usage([...base, '--violating-choice', 'lowest'], /--violating-choice must be 'safest' or 'reward'/);
    await pastChecks([...base, '--violating-choice', 'reward']);
    await pastChecks([...base, '--violating-choice', 'safest']);
  });

  it('an existing --out is refused without --force, accepted with it', async () => {
    await usage(['eval', '--checkpoint', missing, '--out', aFile], /already exists/);
    await pastChecks(['eval', '--checkpoint', missing, '--out', aFile, '--force']);
  });
});

describe('quickstart and collect', () => {
  it('quickstart: --steps > 0, --episodes > 0, --feasible-starts >= 0', async () => {
    const base = ['quickstart', '--out', aFile, '--quiet'];
    await usage([...base, '--steps', '0'], /--steps must be > 0/);
    await usage([...base, '--episodes', '0'], /--episodes must be > 0/);
    await usage([...base, '--feasible-starts', '-1'], /--feasible-starts must be >= 0, got -1/);
    // 0 skips the feasible starts; --out is a file, so it stops there.
    await pastChecks([...base, '--feasible-starts', '0', '--steps', '1', '--episodes', '1']);
  });

  it('collect: --episodes > 0, --transitions > 0, not both', async () => {
    const base = ['collect', '--task', 'PointRobot', '--out', join(dir, 'c.hdf5'), '--quiet'];
    await usage([...base, '--episodes', '0'], /--episodes must be > 0, got 0/);
    await usage([...base, '--transitions', '0'], /--transitions must be > 0, got 0/);
    await usage([...base, '--episodes', '1', '--transitions', '5'], /give --episodes or --transitions, not both/);
  });
});
