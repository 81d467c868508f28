/**
 * The FISOR update the benchmarks time: an agent on PointRobot's default data (collect seed 0) at a preset's
 * shapes, on the current backend, warmed up by three updates. Shared by bench/rl.ts, bench/fisor-update.ts and
 * bench/profile-update.ts (bench/fisor-ab.ts loads another checkout's modules, so it builds its own).
 */
import { Rng } from '../core/index.js';
import { collect } from '../rl/data/collect.js';
import type { Dataset } from '../rl/data/dataset.js';
import { resolveConfig, type FisorConfig } from '../rl/fisor/config.js';
import { allocFisorBatch, prepareData, sampleBatch, type FisorData } from '../rl/fisor/data.js';
import { FisorAgent } from '../rl/fisor/agent.js';

export function pointRobotUpdate(preset: 'paper' | 'cpu', ds: Dataset = collect('PointRobot', { seed: 0 })): { cfg: FisorConfig; data: FisorData; agent: FisorAgent; update(): void } {
  const cfg = resolveConfig({ preset, task: 'PointRobot' });
  const data = prepareData(ds, 'PointRobot', cfg);
  const agent = new FisorAgent(cfg, data.obsDim, data.actDim, new Rng(0));
  const rng = new Rng(1);
  const batch = allocFisorBatch(data, cfg.batchSize);
  const update = (): void => {
    agent.update(sampleBatch(data, rng, batch));
  };
  for (let i = 0; i < 3; i++) update();
  return { cfg, data, agent, update };
}

/** Milliseconds of each of `reps` calls of fn, sorted ascending. */
export function timeEach(fn: () => void, reps: number): number[] {
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b);
}
