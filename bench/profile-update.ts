/**
 * Where one FISOR update's time goes: every Backend call of the current backend timed (wall clock,
 * including the wait for the worker thread), summed per method and per GEMM shape.
 *   npx tsx bench/profile-update.ts [paper|cpu] [reps]     (FISOR_BACKEND, FISOR_WASM_THREADS as usual)
 * The uninstrumented median comes first, so the instrumentation's own cost shows as the difference.
 */
import { getBackend } from '../core/index.js';
import { pointRobotUpdate, timeEach } from './fisor-setup.js';
import { countArg, median } from './harness.js';

const preset = (process.argv[2] ?? 'paper') as 'paper' | 'cpu';
const reps = countArg('profile-update: reps', process.argv[3], 10);
const be = getBackend() as unknown as Record<string, unknown>;
const total: Record<string, number> = {}, calls: Record<string, number> = {}, byShape: Record<string, number> = {};
/** Per GEMM shape: calls and multiply-adds (batch m n k), for the GFLOP/s column. */
const shapeCalls: Record<string, number> = {}, shapeMacs: Record<string, number> = {};
/** Elementwise calls per (method, op code, buffer length). */
const byElem: Record<string, number> = {}, elemCalls: Record<string, number> = {};
let on = false;
// The backend's kernels are own properties of the instance (bound in its constructor): wrap those.
for (const name of Object.keys(be).filter((k) => typeof be[k] === 'function')) {
  const f = be[name] as (...a: unknown[]) => unknown;
  be[name] = function (this: unknown, ...a: unknown[]) {
    if (!on) return f.apply(this, a);
    const t = performance.now();
    const r = f.apply(this, a);
    const dt = performance.now() - t;
    total[name] = (total[name] ?? 0) + dt;
    calls[name] = (calls[name] ?? 0) + 1;
    if (name === 'unary' || name === 'unaryGrad' || name === 'binary' || name === 'reduce') {
      // Elementwise kernels per op code and size, e.g. 'unaryGrad mish 524288'.
      const key = `${name} ${String(a[0])} ${(a[1] as { length?: number }).length ?? '?'}`;
      byElem[key] = (byElem[key] ?? 0) + dt;
      elemCalls[key] = (elemCalls[key] ?? 0) + 1;
    }
    if (name === 'matmul' || name === 'matmulBiasAct') {
      const o = name === 'matmul' ? 3 : 4; // (a, b, [bias,] out, batch, m, n, k, transA, transB, ...)
      const key = `${name} batch ${a[o]} m ${a[o + 1]} n ${a[o + 2]} k ${a[o + 3]}${a[o + 4] ? ' Aᵀ' : ''}${a[o + 5] ? ' Bᵀ' : ''}`;
      byShape[key] = (byShape[key] ?? 0) + dt;
      shapeCalls[key] = (shapeCalls[key] ?? 0) + 1;
      shapeMacs[key] = (a[o] as number) * (a[o + 1] as number) * (a[o + 2] as number) * (a[o + 3] as number);
    }
    return r;
  };
}
const { update } = pointRobotUpdate(preset);
const ts = timeEach(update, reps);
console.log(`${preset} shapes, backend ${(be as { name?: string }).name}, FISOR_WASM_THREADS=${process.env.FISOR_WASM_THREADS ?? 'default'}: median ${median(ts).toFixed(1)} ms, min ${ts[0].toFixed(1)} ms`);
on = true;
const t0 = performance.now();
for (let i = 0; i < reps; i++) update();
const per = (performance.now() - t0) / reps;
const inCalls = Object.values(total).reduce((a, b) => a + b, 0) / reps;
console.log(`instrumented: ${per.toFixed(1)} ms per update, ${inCalls.toFixed(1)} ms in backend calls, ${(per - inCalls).toFixed(1)} ms outside them`);
for (const m of Object.keys(total).sort((a, b) => total[b] - total[a])) console.log(`  ${m.padEnd(16)} ${(total[m] / reps).toFixed(2).padStart(7)} ms  ${(calls[m] / reps).toFixed(0).padStart(4)} calls`);
console.log('GEMM shapes by time:');
for (const k of Object.keys(byShape).sort((a, b) => byShape[b] - byShape[a]).slice(0, 16)) {
  const gflops = (2 * shapeMacs[k] * shapeCalls[k]) / (byShape[k] * 1e6);
  console.log(`  ${(byShape[k] / reps).toFixed(2).padStart(7)} ms  ${(shapeCalls[k] / reps).toFixed(0).padStart(3)} calls  ${gflops.toFixed(1).padStart(5)} GFLOP/s  ${k}`);
}
console.log('Elementwise kernels by time (method, op, buffer length):');
for (const k of Object.keys(byElem).sort((a, b) => byElem[b] - byElem[a]).slice(0, 12)) {
  console.log(`  ${(byElem[k] / reps).toFixed(2).padStart(7)} ms  ${(elemCalls[k] / reps).toFixed(0).padStart(3)} calls  ${k}`);
}
process.exit(0);
