/** `fisor plot feasible --checkpoint <dir> [--out base] [--grid 200]`: PointRobot learned vs true feasible region. */
import { join } from 'node:path';
import { writeFeasibleFigure } from '../plot/feasible.js';
import { selectBackend } from './common.js';
import { loadAgent } from '../fisor/train.js';
import { parseFlags, UsageError, type FlagSpecs } from './args.js';
import type { Command } from './command.js';

const flags = {
  checkpoint: { type: 'string', help: 'training output directory (or its checkpoint/ directory)', required: true, meta: 'DIR' },
  out: { type: 'string', help: 'output path without extension (default <checkpoint>/feasible)', meta: 'BASE' },
  grid: { type: 'int', help: 'grid cells per axis', default: 200, meta: 'N' },
  backend: { type: 'string', help: 'tensor backend', meta: 'NAME' },
} satisfies FlagSpecs;

const KINDS = ['feasible'];

export const command: Command = {
  summary: "plots: 'fisor plot feasible --checkpoint DIR' (PointRobot learned V_h vs true feasible region, SVG + PNG + IoU JSON)",
  flags,
  async run(argv, io) {
    const [kind, ...rest] = argv;
    if (kind === undefined || kind.startsWith('--')) throw new UsageError(`missing plot kind; known: ${KINDS.join(', ')}`);
    if (!KINDS.includes(kind)) throw new UsageError(`unknown plot kind '${kind}'; known: ${KINDS.join(', ')}`);
    const f = parseFlags(rest, flags);
    if (f.grid < 2) throw new UsageError(`--grid must be >= 2, got ${f.grid}`);
    selectBackend(f.backend);
    const { agent, meta, step } = await loadAgent(f.checkpoint);
    if (meta.task !== 'PointRobot') throw new Error(`plot feasible needs a PointRobot checkpoint (ground truth exists only there); this one is ${meta.task}`);
    const base = f.out ?? join(f.checkpoint, 'feasible');
    const res = await writeFeasibleFigure((o) => agent.feasibilityValue(o), base, { n: f.grid, meta: { checkpointStep: step, seed: meta.seed } });
    io.stdout.write(`feasible region (learned V_h <= 0 vs ground truth), checkpoint step ${step}:\n`);
    for (const s of res.slices) io.stdout.write(`  ${s.label.padEnd(18)} IoU(infeasible) ${s.iou.toFixed(3)}  (learned ${(100 * s.learnedInfeasible).toFixed(1)}%, true ${(100 * s.trueInfeasible).toFixed(1)}% of cells)\n`);
    io.stdout.write(`  mean IoU ${res.meanIou.toFixed(3)}\n  wrote ${res.svg}, ${res.png}, ${res.json}\n`);
  },
};
