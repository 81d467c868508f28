/**
 * GFLOP/s of single products through the tensor API on the current backend (FISOR_BACKEND, default
 * wasm-fma) and FISOR_WASM_THREADS, for the shapes of an MLP step and of the paper-size denoiser, in the
 * three layouts: run it with 1 and 2 threads to see what the second thread gives a product in isolation.
 *   FISOR_WASM_THREADS=2 npx tsx bench/gemm-threads.ts
 */
import { matmul, randn, Rng, setBackend, tidy, type Tensor } from '../core/index.js';

setBackend(process.env.FISOR_BACKEND ?? 'wasm-fma');
const rng = new Rng(1);
/** [m, k, n]: C (m x n) = A (m x k) B (k x n). */
const SHAPES: [number, number, number][] = [[256, 256, 256], [256, 17, 256], [256, 256, 6], [1024, 256, 256], [1024, 1024, 256]];
for (const [m, k, n] of SHAPES) {
  const a = randn([m, k], { rng }).keep(), b = randn([k, n], { rng }).keep();
  const at = randn([k, m], { rng }).keep(), bt = randn([n, k], { rng }).keep();
  const layouts: [string, () => Tensor][] = [
    ['A·B', () => matmul(a, b)],
    ['Aᵀ·B', () => matmul(at.transpose(), b)],
    ['A·Bᵀ', () => matmul(a, bt.transpose())],
  ];
  const cells = layouts.map(([name, f]) => {
    for (let i = 0; i < 50; i++) tidy(() => { f(); });
    const reps = Math.max(20, Math.round(2e8 / (2 * m * n * k)));
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) tidy(() => { f(); });
    const us = ((performance.now() - t0) / reps) * 1e3;
    return `${name} ${us.toFixed(0)} µs ${((2 * m * n * k) / us / 1e3).toFixed(1)} GFLOP/s`;
  });
  console.log(`${m}x${k}x${n}: ${cells.join('   ')}`);
}
process.exit(0);
