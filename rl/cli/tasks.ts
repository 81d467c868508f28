/** `fisor tasks`: list tasks with observation/action sizes, episode lengths and reference constants. */
import { listTasks } from '../envs/registry.js';
import { parseFlags, type FlagSpecs } from './args.js';
import type { Command } from './command.js';

const flags = {
  json: { type: 'bool', help: 'print JSON instead of a table', default: false },
} satisfies FlagSpecs;

export const command: Command = {
  summary: 'list tasks with observation/action sizes and episode lengths',
  flags,
  async run(argv, io) {
    const f = parseFlags(argv, flags);
    const tasks = listTasks();
    if (f.json) {
      io.stdout.write(JSON.stringify(tasks, null, 2) + '\n');
      return;
    }
    const rows = [['task', 'obs', 'act', 'steps', 'kappa', 'R_min', 'R_max']];
    for (const t of tasks) rows.push([t.name, `${t.observationSize}`, `${t.actionSize}`, `${t.maxEpisodeSteps}`, `${t.kappa}`, `${t.rMin}`, `${t.rMax}`]);
    const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) io.stdout.write(r.map((v, c) => (c === 0 ? v.padEnd(w[c]) : v.padStart(w[c]))).join('  ') + '\n');
    io.stdout.write('\nEnvironments re-implement the task definitions on light 2-D dynamics; scores are comparable within this project only.\n');
  },
};
