/**
 * RL sections: behaviour-data collection per task (the issue asks that PointRobot's 100k transitions
 * take seconds) and one FISOR update / one batched `act` of the cpu preset per wasm thread count.
 */
import { setBackend } from '../core/index.js';
import { relaxedSimdAvailable, WasmBackend } from '../core/backends/wasm/index.js';
import { registerBackend, type Backend } from '../core/backend.js';
import { collect } from '../rl/data/collect.js';
import { TASK_NAMES } from '../rl/envs/reference.js';
import { pointRobotUpdate, timeEach } from './fisor-setup.js';
import { fmt, median, type SectionResult } from './harness.js';

/** Median milliseconds of `reps` calls. */
function timeRepeated(fn: () => void, reps: number): number {
  return median(timeEach(fn, reps));
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

/** Multiply-adds x 2 of every matrix product `fn` runs on `be` (the wasm kernels are own properties). */
export function countFlops(be: Backend, fn: () => void): number {
  let flops = 0;
  const target = be as unknown as Record<string, (...a: unknown[]) => void>;
  const saved = { matmul: target.matmul, matmulBiasAct: target.matmulBiasAct };
  for (const name of ['matmul', 'matmulBiasAct'] as const) {
    const orig = saved[name];
    if (!orig) continue;
    target[name] = (...a: unknown[]) => {
      const batch = a[name === 'matmul' ? 3 : 4] as number;
      const m = a[name === 'matmul' ? 4 : 5] as number;
      const n = a[name === 'matmul' ? 5 : 6] as number;
      const k = a[name === 'matmul' ? 6 : 7] as number;
      flops += 2 * batch * m * n * k;
      return orig.apply(be, a);
    };
  }
  try {
    fn();
  } finally {
    target.matmul = saved.matmul;
    target.matmulBiasAct = saved.matmulBiasAct;
  }
  return flops;
}

/** GFLOP/s of one thread's GEMM on a training-sized product (the SIMD ceiling the update is compared to). */
function gemmCeiling(fma: boolean): number {
  const be = new WasmBackend({ threads: 1, fma });
  const [m, n, k] = [256, 1024, 256];
  const a = be.alloc(m * k, 'float32');
  const b = be.alloc(k * n, 'float32');
  const c = be.alloc(m * n, 'float32');
  be.fill(a, 0.5);
  be.fill(b, 0.25);
  let best = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    be.matmul(a, b, c, 1, m, n, k, false, false, 0, 0);
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * m * n * k) / (best / 1000) / 1e9;
}

export function fisorSection(): SectionResult {
  const rows: (string | number)[][] = [];
  const skipped: string[] = [];
  const ds = collect('PointRobot', { seed: 0 });
  const builds = relaxedSimdAvailable() ? [false, true] : [false];
  const ceilings = builds.map((fma) => gemmCeiling(fma));
  for (const preset of ['cpu', 'paper'] as const) {
    for (const fma of builds) for (const threads of [1, 2]) {
      const ceiling = ceilings[fma ? 1 : 0];
      const name = `${fma ? 'wasm-fma' : 'wasm'}-bench-${threads}`;
      registerBackend(name, () => new WasmBackend({ threads, fma }));
      const be = setBackend(name);
      // A row labelled "2 threads" (and a ceiling doubled for it) only when the worker really runs.
      if (threads > 1 && !(be as WasmBackend).threadsActive) {
        skipped.push(`${name}: the second thread did not start`);
        continue;
      }
      const { data, agent, update: step } = pointRobotUpdate(preset, ds);
      const flops = countFlops(be, step);
      const update = timeRepeated(step, preset === 'paper' ? 8 : 30);
      const gflops = flops / (update / 1000) / 1e9;
      const obs = data.observations.subarray(0, 20 * data.obsDim);
      agent.act(obs);
      const act = timeRepeated(() => agent.act(obs), preset === 'paper' ? 3 : 10);
      rows.push([
        preset, `${fma ? 'wasm-fma' : 'wasm'}, ${threads} thread${threads > 1 ? 's' : ''}`, fmt(update, 2), fmt(1000 / update, 1),
        fmt(flops / 1e9, 2), fmt(gflops, 1), `${fmt((100 * gflops) / (ceiling * threads), 0)} %`, fmt(act, 2),
      ]);
    }
  }
  setBackend(builds.length > 1 ? 'wasm-fma' : 'wasm');
  return {
    name: 'FISOR',
    tables: [{
      title: 'FISOR update on PointRobot at the cpu preset and the paper\'s shapes (median ms)',
      note: `update = two actor steps on halves of the batch + V_r, Q_r, V_h, Q_h steps on its first 256 rows (cpu: batch 256, denoiser 64 wide, 2 blocks, critics 128x128; paper: batch 1024, denoiser 256 wide, 3 blocks of 1024, critics 256x256); GFLOP = matrix products only; ceiling = one thread's GEMM 256×256 · 256×1024, fastest of 20 calls in this run (wasm ${fmt(ceilings[0], 1)}${ceilings[1] ? `, wasm-fma ${fmt(ceilings[1], 1)}` : ''} GFLOP/s) times the threads; act = 20 observations x 8 candidates, 5 denoising steps, safest by Q_h.${skipped.length ? ` Rows skipped: ${skipped.join('; ')}.` : ''}`,
      columns: ['preset', 'backend', 'update ms', 'updates/s', 'GFLOP / update', 'GFLOP/s', 'share of SIMD ceiling', 'act (20 obs) ms'],
      rows,
    }],
  };
}
