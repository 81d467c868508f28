/**
 * Runs the `fisor` CLI in-process (rl/cli/main.ts) with stdout and stderr captured: the one helper every CLI
 * test uses.
 */
import { Writable } from 'node:stream';
import { main } from '../../rl/cli/main.js';
import { collect } from '../../rl/data/collect.js';
import { writeDsrlHdf5 } from '../../rl/data/hdf5.js';

/** A writable stream that keeps what is written as text. */
export function textSink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk, _enc, cb) {
      w.text += String(chunk);
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

/** `fisor ...argv`: the exit code and everything written to stdout and stderr. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = textSink(), stderr = textSink();
  const code = await main(argv, { stdout, stderr });
  return { code, out: stdout.text, err: stderr.text };
}

/**
 * Flags that make `fisor train` (FISOR) tiny enough for a CLI test: small networks and batches, js backend, no
 * progress bar. `evalEpisodes` per evaluation (default 1).
 */
export function tinyFisorFlags(evalEpisodes = 1): string[] {
  return ['--set', 'batchSize=16', '--set', 'criticBatchSize=8', '--set', 'criticHidden=8,8', '--set', 'actor.hidden=8', '--set', 'actor.blocks=1',
    '--set', 'actor.timeFeatures=4', '--set', 'actor.timeHidden=8', '--set', 'numSamples=3', '--set', `evalEpisodes=${evalEpisodes}`, '--set', 'logEvery=5', '--backend', 'js', '--quiet'];
}

/** The CLI tests' small PointRobot dataset: 600 transitions (collect seed 3) in a DSRL file whose task attribute is set. */
export async function writeSmallPointRobotData(path: string): Promise<void> {
  await writeDsrlHdf5(path, collect('PointRobot', { transitions: 600, seed: 3 }), { attrs: { task: 'PointRobot' } });
}
