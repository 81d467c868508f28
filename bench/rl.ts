/**
 * RL sections: behaviour-data collection per task (the issue asks that PointRobot's 100k transitions
 * take seconds) and one FISOR update / one batched `act` of the cpu preset per wasm thread count.
 */
import { Rng, setBackend } from '../core/index.js';
import { WasmBackend } from '../core/backends/wasm/index.js';
import { registerBackend } from '../core/backend.js';
import { collect } from '../rl/data/collect.js';
import { TASK_NAMES } from '../rl/envs/reference.js';
import { resolveConfig } from '../rl/fisor/config.js';
import { allocFisorBatch, prepareData, sampleBatch } from '../rl/fisor/data.js';
import { FisorAgent } from '../rl/fisor/agent.js';
import { fmt, type SectionResult } from './harness.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeRepeated(fn: () => void, reps: number): number {
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

export function collectSection(): SectionResult {
  const rows: (string | number)[][] = [];
  let pointRobotSeconds = NaN;
  for (const task of TASK_NAMES) {
    let n = 0;
    const ms = timeRepeated(() => {
      n = collect(task, { seed: 0 }).size;
    }, 3);
    if (task === 'PointRobot') pointRobotSeconds = ms / 1000;
    rows.push([task, n, fmt(ms / 1000, 2), fmt(n / (ms / 1000) / 1000, 0)]);
  }
  return {
    name: 'data collection',
    tables: [{
      title: 'Default behaviour dataset per task (`collect(task, { seed: 0 })`, median of 3, in process)',
      columns: ['task', 'transitions', 'seconds', 'k transitions/s'],
      rows,
    }],
    targets: [{ what: 'collect PointRobot 100k transitions in seconds (< 10 s)', met: pointRobotSeconds < 10, detail: `${fmt(pointRobotSeconds, 2)} s` }],
  };
}

export function fisorSection(): SectionResult {
  const rows: (string | number)[][] = [];
  const ds = collect('PointRobot', { seed: 0 });
  for (const threads of [1, 2]) {
    registerBackend(`wasm-bench-${threads}`, () => new WasmBackend({ threads }));
    setBackend(`wasm-bench-${threads}`);
    const cfg = resolveConfig({ preset: 'cpu', task: 'PointRobot' });
    const data = prepareData(ds, 'PointRobot', cfg);
    const agent = new FisorAgent(cfg, data.obsDim, data.actDim, new Rng(0));
    const rng = new Rng(1);
    const batch = allocFisorBatch(data, cfg.batchSize);
    for (let i = 0; i < 5; i++) agent.update(sampleBatch(data, rng, batch));
    const update = timeRepeated(() => agent.update(sampleBatch(data, rng, batch)), 30);
    const obs = data.observations.subarray(0, 20 * data.obsDim);
    agent.act(obs);
    const act = timeRepeated(() => agent.act(obs), 10);
    rows.push([`wasm, ${threads} thread${threads > 1 ? 's' : ''}`, fmt(update, 2), fmt(1000 / update, 1), fmt(act, 2)]);
  }
  setBackend('wasm');
  return {
    name: 'FISOR',
    tables: [{
      title: 'FISOR cpu preset on PointRobot (median ms)',
      note: 'update = two actor steps on halves of a 256 batch + V_r, Q_r, V_h, Q_h steps; act = 20 observations x 8 candidates, 5 denoising steps, safest by Q_h.',
      columns: ['backend', 'update ms', 'updates/s', 'act (20 obs) ms'],
      rows,
    }],
  };
}
