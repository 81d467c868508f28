/**
 * One FISOR update on PointRobot at a preset's shapes, timed in a fresh process (so that an A/B
 * against another checkout runs the same file): `tsx bench/fisor-update.ts [paper|cpu] [reps]`.
 * Backend: $FISOR_BACKEND, else the default (wasm-fma where relaxed SIMD validates, else wasm);
 * threads: FISOR_WASM_THREADS. Prints one JSON line.
 * paper = batch 1024 (actor halves of 512), denoiser 256 wide with 3 blocks of 1024, critics 256x256.
 */
import { getBackend } from '../core/index.js';
import { pointRobotUpdate, timeEach } from './fisor-setup.js';
import { countArg, median } from './harness.js';

const preset = (process.argv[2] ?? 'paper') as 'paper' | 'cpu';
const reps = countArg('fisor-update: reps', process.argv[3], 10);
const backend = getBackend().name;
const { cfg, update } = pointRobotUpdate(preset);
const ts = timeEach(update, reps);
console.log(JSON.stringify({ preset, backend, threads: process.env.FISOR_WASM_THREADS ?? 'default', batch: cfg.batchSize, medianMs: median(ts), minMs: ts[0] }));
