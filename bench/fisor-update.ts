/**
 * One FISOR update on PointRobot at a preset's shapes, timed in a fresh process (so that an A/B
 * against another checkout runs the same file): `tsx bench/fisor-update.ts [paper|cpu] [reps]`.
 * Backend: $FISOR_BACKEND, else the default (wasm-fma where relaxed SIMD validates, else wasm);
 * threads: FISOR_WASM_THREADS. Prints one JSON line.
 * paper = batch 1024 (actor halves of 512), denoiser 256 wide with 3 blocks of 1024, critics 256x256.
 */
import { getBackend, Rng } from '../core/index.js';
import { collect } from '../rl/data/collect.js';
import { resolveConfig } from '../rl/fisor/config.js';
import { allocFisorBatch, prepareData, sampleBatch } from '../rl/fisor/data.js';
import { FisorAgent } from '../rl/fisor/agent.js';

const preset = (process.argv[2] ?? 'paper') as 'paper' | 'cpu';
const reps = Number(process.argv[3] ?? 10);
const backend = getBackend().name;
const ds = collect('PointRobot', { seed: 0 });
const cfg = resolveConfig({ preset, task: 'PointRobot' });
const data = prepareData(ds, 'PointRobot', cfg);
const agent = new FisorAgent(cfg, data.obsDim, data.actDim, new Rng(0));
const rng = new Rng(1);
const batch = allocFisorBatch(data, cfg.batchSize);
for (let i = 0; i < 3; i++) agent.update(sampleBatch(data, rng, batch));
const ts: number[] = [];
for (let i = 0; i < reps; i++) {
  const t0 = performance.now();
  agent.update(sampleBatch(data, rng, batch));
  ts.push(performance.now() - t0);
}
ts.sort((a, b) => a - b);
console.log(JSON.stringify({ preset, backend, threads: process.env.FISOR_WASM_THREADS ?? 'default', batch: cfg.batchSize, medianMs: ts[Math.floor(ts.length / 2)], minMs: ts[0] }));
