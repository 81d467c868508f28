/** `fisor algos`: the algorithms `fisor train --algo` accepts, with their presets' step counts. */
import { presetOf } from '../algos/config.js';
import { ALGORITHMS } from '../algos/registry.js';
import type { Command } from './command.js';

export const command: Command = {
  summary: 'list the training algorithms (fisor train --algo NAME)',
  flags: {},
  async run(argv, io) {
    if (argv.length) throw new (await import('./args.js')).UsageError(`'fisor algos' takes no arguments, got '${argv[0]}'`);
    const rows: string[][] = [];
    for (const d of Object.values(ALGORITHMS)) rows.push([d.name, d.summary, String(presetOf(d, 'paper').steps), String(presetOf(d, 'cpu').steps)]);
    const w = Math.max(...rows.map((r) => r[0].length));
    io.stdout.write(`${'name'.padEnd(w + 2)}${'paper steps'.padEnd(13)}${'cpu steps'.padEnd(11)}summary\n`);
    for (const [n, s, p, c] of rows) io.stdout.write(`${n.padEnd(w + 2)}${p.padEnd(13)}${c.padEnd(11)}${s}\n`);
  },
};
