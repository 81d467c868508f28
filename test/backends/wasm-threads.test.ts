/**
 * The two-thread wasm backend (shared memory + a worker woken with Atomics): products split
 * between the threads must equal the single-threaded kernel bit for bit, memory growth must keep
 * working, and the worker must never keep a Node process alive.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BinaryOp, DataBuffer, FusedActivation, UnaryOp } from '../../core/backend.js';
import { WasmBackend, defaultWasmThreads, relaxedSimdAvailable } from '../../core/backends/wasm/index.js';
import { BIG_GEMM_MACS, ROW_SPLIT_MAX_K } from '../../core/backends/wasm/backend.js';
import { CTL_DONE, CTL_JOB, CTL_STALL, JOB_TAKEN, OP_MATMUL } from '../../core/backends/wasm/threads.js';
import { getKernelModule } from '../../core/backends/wasm/module.js';

// threadMinMacs 0: split every product that can be split, so small shapes exercise the split too.
const w2 = new WasmBackend({ threads: 2, threadMinMacs: 0 });
const w1 = new WasmBackend({ threads: 1 });
/** The relaxed-SIMD build (wasm-fma), where the engine has it: its own pair, held to the same rule. */
const fmaPair = relaxedSimdAvailable()
  ? { w1: new WasmBackend({ threads: 1, fma: true }), w2: new WasmBackend({ threads: 2, threadMinMacs: 0, fma: true }) }
  : null;

function data(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = ((s >>> 8) / 16777216) * 2 - 1;
  }
  return out;
}

function put(b: WasmBackend, xs: Float32Array): DataBuffer {
  const buf = b.alloc(xs.length, 'float32');
  b.write(buf, xs);
  return buf;
}

function sameBits(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

function check(
  batch: number, m: number, n: number, k: number, tA: boolean, tB: boolean, bcA: boolean, bcB: boolean, acc: boolean,
  pair: { w1: WasmBackend; w2: WasmBackend } = { w1, w2 },
): void {
  const xa = data(m * k * (bcA ? 1 : batch), m * 31 + k);
  const xb = data(k * n * (bcB ? 1 : batch), n * 17 + k + 1);
  const c0 = data(batch * m * n, 7);
  const res: Float32Array[] = [];
  for (const b of [pair.w1, pair.w2]) {
    const a = put(b, xa);
    const bb = put(b, xb);
    const c = put(b, c0);
    b.matmul(a, bb, c, batch, m, n, k, tA, tB, bcA ? 0 : m * k, bcB ? 0 : k * n, acc);
    res.push((c.view() as Float32Array).slice());
    b.free(a);
    b.free(bb);
    b.free(c);
  }
  const i = sameBits(res[1], res[0]);
  if (i >= 0) expect.fail(`${pair.w1.name} b${batch} ${m}x${n}x${k} tA=${tA} tB=${tB} acc=${acc}: element ${i}: 2 threads ${res[1][i]} vs 1 thread ${res[0][i]}`);
}

describe('wasm backend with two threads', () => {
  it('starts its worker', () => {
    expect(w2.threads).toBe(2);
    expect(w2.threadsActive).toBe(true);
    expect(w1.threadsActive).toBe(false);
    expect([1, 2]).toContain(defaultWasmThreads());
  });

  it('split products equal the single-threaded kernel bit for bit (random shapes, layouts, batch, accumulate)', () => {
    const d = fc.constantFrom(1, 3, 4, 5, 8, 9, 12, 16, 17, 24, 33, 64);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }), d, d, d, fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(),
        (batch, m, n, k, tA, tB, bcA, bcB, acc) => check(batch, m, n, k, tA, tB, bcA, bcB, acc),
      ),
      { numRuns: 300 },
    );
  });

  it('training-sized and odd products, K blocking, in all layouts', () => {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      check(1, 256, 256, 256, tA, tB, false, false, false);
      check(1, 256, 1024, 256, tA, tB, false, false, true);
      check(1, 257, 255, 300, tA, tB, false, false, false);
      check(2, 256, 1, 256, tA, tB, false, false, false);
      check(3, 17, 6, 513, tA, tB, true, false, false);
      check(1, 1, 8, 5, tA, tB, false, false, false);
      // At least BIG_GEMM_MACS multiply-adds: cut into fewer, larger chunks (odd sizes, edge panels; column
      // panels, then rows where n < 16).
      for (const [batch, m, n, k] of [[1, 520, 264, 260], [2, 300, 250, 230], [1, 2000, 6, 2800]]) {
        expect(batch * m * n * k).toBeGreaterThanOrEqual(BIG_GEMM_MACS);
        check(batch, m, n, k, tA, tB, false, batch > 1, batch > 1);
      }
    }
  });

  it('split fused products (bias + activation) equal one thread bit for bit, short k split by rows included', () => {
    const acts = ['none', 'relu', 'tanh', 'mish'] as const;
    const fused = (b: WasmBackend, batch: number, m: number, n: number, k: number, tA: boolean, withBias: boolean, act: FusedActivation): Float32Array => {
      const a = put(b, data(batch * m * k, m * 13 + k));
      const bb = put(b, data(batch * k * n, n * 7 + k));
      const bias = withBias ? put(b, data(batch * n, n + 3)) : null;
      const out = b.alloc(batch * m * n, 'float32');
      b.matmulBiasAct(a, bb, bias, out, batch, m, n, k, tA, false, m * k, k * n, withBias ? n : 0, act);
      const r = (out.view() as Float32Array).slice();
      for (const x of [a, bb, out]) b.free(x);
      if (bias) b.free(bias);
      return r;
    };
    // k <= ROW_SPLIT_MAX_K with m >= 8 goes by row groups; m in 8..40 gives odd last groups.
    expect(ROW_SPLIT_MAX_K).toBeGreaterThanOrEqual(13);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom(6, 8, 17, 64, 130),
        fc.constantFrom(1, 2, 11, 13, 17, 64, 65, 100), fc.boolean(), fc.boolean(), fc.constantFrom(...acts),
        (batch, m, n, k, tA, withBias, act) => {
          const one = fused(w1, batch, m, n, k, tA, withBias, act);
          const two = fused(w2, batch, m, n, k, tA, withBias, act);
          const i = sameBits(two, one);
          if (i >= 0) expect.fail(`fused b${batch} ${m}x${n}x${k} tA=${tA} bias=${withBias} ${act}: element ${i}: ${two[i]} vs ${one[i]}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the mish epilogue's slope equals unaryGrad('mish', pre, y, ones) bit for bit, split or not, in both builds", () => {
    // The slope the linear op's backward multiplies by must be the very bits unaryGrad would compute.
    const slopeRun = (b: WasmBackend, batch: number, m: number, n: number, k: number, tA: boolean, withBias: boolean) => {
      const a = put(b, data(batch * m * k, m * 13 + k).map((v) => v * 4));
      const bb = put(b, data(batch * k * n, n * 7 + k));
      const bias = withBias ? put(b, data(batch * n, n + 3)) : null;
      const len = batch * m * n;
      const out = b.alloc(len, 'float32');
      const slope = b.alloc(len, 'float32');
      b.matmulBiasAct(a, bb, bias, out, batch, m, n, k, tA, false, m * k, k * n, withBias ? n : 0, 'mish', slope);
      // The reference: the product with bias alone, then the separate mish and unaryGrad kernels.
      const pre = b.alloc(len, 'float32');
      b.matmulBiasAct(a, bb, bias, pre, batch, m, n, k, tA, false, m * k, k * n, withBias ? n : 0, 'none');
      const y = b.alloc(len, 'float32');
      b.unary('mish', pre, y);
      const ones = b.alloc(len, 'float32');
      b.fill(ones, 1);
      const ref = b.alloc(len, 'float32');
      b.unaryGrad('mish', pre, y, ones, ref);
      const r = [out, slope, y, ref].map((x) => (x.view() as Float32Array).slice());
      for (const x of [a, bb, out, slope, pre, y, ones, ref]) b.free(x);
      if (bias) b.free(bias);
      return r;
    };
    const pairs = [{ w1, w2 }, ...(fmaPair ? [fmaPair] : [])];
    for (const p of pairs) expect(p.w2.threadsActive, `${p.w2.name}: the worker runs, so the split really splits`).toBe(true);
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom(1, 3, 8, 17, 64, 130),
        fc.constantFrom(0, 1, 2, 13, 64, 300), fc.boolean(), fc.boolean(),
        (p, batch, m, n, k, tA, withBias) => {
          const [out1, slope1, y1, ref1] = slopeRun(pairs[Math.min(p, pairs.length - 1)].w1, batch, m, n, k, tA, withBias);
          const [out2, slope2] = slopeRun(pairs[Math.min(p, pairs.length - 1)].w2, batch, m, n, k, tA, withBias);
          const what = `b${batch} ${m}x${n}x${k} tA=${tA} bias=${withBias} build ${p}`;
          for (const [name, got, want] of [['output', out1, y1], ['slope', slope1, ref1], ['split output', out2, out1], ['split slope', slope2, slope1]] as const) {
            const i = sameBits(got, want);
            if (i >= 0) expect.fail(`${what}: ${name} element ${i}: ${got[i]} vs ${want[i]}`);
          }
        },
      ),
      { numRuns: 150 },
    );
    // A big product (split by column panels) in each build.
    for (const { w1: b1, w2: b2 } of pairs) {
      const [out1, slope1, y1, ref1] = slopeRun(b1, 1, 300, 264, 270, false, true);
      const [out2, slope2] = slopeRun(b2, 1, 300, 264, 270, false, true);
      expect(sameBits(out1, y1)).toBe(-1);
      expect(sameBits(slope1, ref1)).toBe(-1);
      expect(sameBits(out2, out1)).toBe(-1);
      expect(sameBits(slope2, slope1)).toBe(-1);
    }
    const x = put(w1, data(4, 1));
    const short = put(w1, data(3, 2));
    expect(() => w1.matmulBiasAct(x, x, null, x, 1, 2, 2, 2, false, false, 0, 0, 0, 'relu', x)).toThrow(/slope buffer goes with act 'mish' only/);
    expect(() => w1.matmulBiasAct(x, x, null, x, 1, 2, 2, 2, false, false, 0, 0, 0, 'mish', short)).toThrow(/slope buffer holds 3 numbers, the output 4/);
    w1.free(x);
    w1.free(short);
  });

  it('wasm-fma (relaxed SIMD): split products equal its single-threaded kernel bit for bit', () => {
    // Node 20 gets relaxed SIMD from the in-process flag; an engine without it has no wasm-fma.
    expect(fmaPair, 'relaxed SIMD should validate on Node >= 20').not.toBeNull();
    const pair = fmaPair!;
    expect([pair.w1.name, pair.w2.name]).toEqual(['wasm-fma', 'wasm-fma']);
    expect(pair.w2.threadsActive).toBe(true);
    const d = fc.constantFrom(1, 4, 5, 8, 9, 17, 33, 64);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }), d, d, d, fc.boolean(), fc.boolean(), fc.boolean(),
        (batch, m, n, k, tA, tB, acc) => check(batch, m, n, k, tA, tB, false, false, acc, pair),
      ),
      { numRuns: 100 },
    );
    for (const [tA, tB] of [[false, false], [true, false], [false, true]] as const) {
      check(1, 256, 1024, 256, tA, tB, false, false, true, pair);
      check(1, 257, 255, 300, tA, tB, false, false, false, pair);
    }
  });

  it('wasm-fma rounds a multiply-add once, wasm twice (the builds really differ)', () => {
    // c = -(1 + 2^-11) * 1 + (1 + 2^-12)^2: the exact product 1 + 2^-11 + 2^-24 rounds to 1 + 2^-11 in
    // float32, so multiply-then-add gives 0 and a fused multiply-add keeps 2^-24.
    const e = 1 + 2 ** -12;
    const res: number[] = [];
    for (const b of [w1, fmaPair!.w1]) {
      const a = put(b, new Float32Array([-(1 + 2 ** -11), e]));
      const bb = put(b, new Float32Array([1, e]));
      const c = b.alloc(1, 'float32');
      b.matmul(a, bb, c, 1, 1, 1, 2, false, false, 0, 0);
      res.push(c.view()[0]);
      for (const x of [a, bb, c]) b.free(x);
    }
    expect(res).toEqual([0, 2 ** -24]);
  });

  it('split elementwise kernels, Adam and lerp equal one thread bit for bit (sizes around the chunk edges)', () => {
    // threadMinElements 1: every call is split (chunks of >= 4096 elements; a multiple of 4).
    const e2 = new WasmBackend({ threads: 2, threadMinElements: 1 });
    expect(e2.threadsActive).toBe(true);
    const ops: [UnaryOp, number, number][] = [
      ['copy', 0, 0], ['neg', 0, 0], ['exp', 0, 0], ['log', 0, 0], ['sqrt', 0, 0], ['square', 0, 0], ['abs', 0, 0],
      ['tanh', 0, 0], ['sigmoid', 0, 0], ['softplus', 0, 0], ['relu', 0, 0], ['mish', 0, 0], ['sin', 0, 0],
      ['pow', 3, 0], ['clamp', -0.5, 0.5], ['scale', 1.7, 0], ['addScalar', 0.3, 0], ['reciprocal', 0, 0], ['step', 0, 0],
    ];
    const binOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'eq'];
    const same = (what: string, a: DataBuffer, b: DataBuffer): void => {
      const i = sameBits(a.view() as Float32Array, b.view() as Float32Array);
      if (i >= 0) expect.fail(`${what}: element ${i}: 2 threads ${a.view()[i]} vs 1 thread ${b.view()[i]}`);
    };
    for (const n of [1, 4095, 4096, 4097, 8195, 40_001]) {
      const xs = data(n, n).map((v) => v * 3);
      const ys = data(n, n + 1);
      const gs = data(n, n + 2);
      const on = (b: WasmBackend) => ({ x: put(b, xs), y: put(b, ys), g: put(b, gs), out: b.alloc(n, 'float32') });
      const A = on(e2);
      const B = on(w1);
      for (const [op, p0, p1] of ops) {
        e2.unary(op, A.x, A.out, p0, p1);
        w1.unary(op, B.x, B.out, p0, p1);
        same(`unary ${op} n=${n}`, A.out, B.out);
        e2.unaryGrad(op, A.x, A.y, A.g, A.out, p0, p1);
        w1.unaryGrad(op, B.x, B.y, B.g, B.out, p0, p1);
        same(`unaryGrad ${op} n=${n}`, A.out, B.out);
      }
      const shape = [n];
      for (const op of binOps) {
        for (const [sa, sb] of [[1, 1], [1, 0], [0, 1]]) {
          e2.binary(op, A.x, A.y, A.out, shape, [sa], [sb]);
          w1.binary(op, B.x, B.y, B.out, shape, [sa], [sb]);
          same(`binary ${op} strides ${sa},${sb} n=${n}`, A.out, B.out);
        }
      }
      for (let t = 1; t <= 3; t++) {
        const h = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: t === 2 ? 0.01 : 0, decoupled: t === 3, step: t };
        e2.adam(A.x, A.g, A.y, A.out, h);
        w1.adam(B.x, B.g, B.y, B.out, h);
        for (const k of ['x', 'y', 'out'] as const) same(`adam step ${t} ${k} n=${n}`, A[k], B[k]);
      }
      e2.lerp(A.x, A.g, 0.005);
      w1.lerp(B.x, B.g, 0.005);
      same(`lerp n=${n}`, A.x, B.x);
      for (const k of ['x', 'y', 'g', 'out'] as const) {
        e2.free(A[k]);
        w1.free(B[k]);
      }
    }
    e2.closeThreads();
  });

  it('a late instantiation of the module on the shared memory (a browser worker starting) does not disturb the main thread', () => {
    // The kernels-mt module's static regions are active data segments: instantiating it again (as a
    // browser's worker does, asynchronously, while the main thread computes) rewrites them. Simulated
    // here between the main thread writing a strided op's metadata and the kernel reading it.
    const be = new WasmBackend({ threads: 2 });
    const b = be as unknown as { collapse(...a: unknown[]): number; memory: WebAssembly.Memory };
    const collapse = b.collapse.bind(be);
    const mod = getKernelModule({ mt: true, fma: false });
    b.collapse = (...a: unknown[]) => {
      const nd = collapse(...a);
      new WebAssembly.Instance(mod, { env: { memory: b.memory, abort: () => { throw new Error('abort'); } } });
      return nd;
    };
    const xs = data(3 * 5, 21);
    const ys = data(5, 22);
    const x = put(be, xs);
    const y = put(be, ys);
    const out = be.alloc(15, 'float32');
    be.binary('add', x, y, out, [3, 5], [5, 1], [0, 1]); // a row broadcast: the strided walker, META
    const want = Float32Array.from(xs, (v, i) => v + ys[i % 5]);
    expect(Array.from(out.view())).toEqual(Array.from(want));
    be.closeThreads();
  });

  it('memory growth while threaded: new buffers and old views stay right', () => {
    const before = w2.memoryStats().memoryBytes;
    const a = put(w2, data(64 * 64, 1));
    const b = put(w2, data(64 * 64, 2));
    const big = w2.alloc(Math.ceil(before / 4) + (1 << 20), 'float32'); // forces a grow
    expect(w2.memoryStats().memoryBytes).toBeGreaterThan(before);
    const c = w2.alloc(64 * 64, 'float32');
    w2.matmul(a, b, c, 1, 64, 64, 64, false, false, 0, 0);
    const a1 = put(w1, data(64 * 64, 1));
    const b1 = put(w1, data(64 * 64, 2));
    const c1 = w1.alloc(64 * 64, 'float32');
    w1.matmul(a1, b1, c1, 1, 64, 64, 64, false, false, 0, 0);
    expect(sameBits(c.view() as Float32Array, c1.view() as Float32Array)).toBe(-1);
    for (const x of [a, b, big, c]) w2.free(x);
    for (const x of [a1, b1, c1]) w1.free(x);
  });

  it('stress: 200k hand-offs of random small products equal one thread bit for bit', () => {
    // Each product is split in 2+ chunks (n >= 9: two 8-column panels), so every call is a
    // hand-off to the worker (or its cancellation). Random sizes, one shared set of buffers.
    const HANDOFFS = Number(process.env.FISOR_STRESS_HANDOFFS ?? 200_000);
    const maxA = 8 * 4;
    const maxB = 4 * 40;
    const a1 = put(w1, data(maxA, 11));
    const b1 = put(w1, data(maxB, 12));
    const c1 = w1.alloc(8 * 40, 'float32');
    const a2 = put(w2, data(maxA, 11));
    const b2 = put(w2, data(maxB, 12));
    const c2 = w2.alloc(8 * 40, 'float32');
    let s = 12345;
    const next = (r: number): number => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s >>> 8) % r;
    };
    for (let t = 0; t < HANDOFFS; t++) {
      const m = 1 + next(8);
      const n = 9 + next(32);
      const k = 1 + next(4);
      const tB = next(2) === 1;
      w1.matmul(a1, b1, c1, 1, m, n, k, false, tB, 0, 0);
      w2.matmul(a2, b2, c2, 1, m, n, k, false, tB, 0, 0);
      const v1 = c1.view();
      const v2 = c2.view();
      for (let i = 0; i < m * n; i++) {
        if (v1[i] !== v2[i]) expect.fail(`hand-off ${t}: ${m}x${n}x${k} element ${i}: ${v2[i]} vs ${v1[i]}`);
      }
    }
    for (const x of [a1, b1, c1]) w1.free(x);
    for (const x of [a2, b2, c2]) w2.free(x);
    expect(w2.threadsActive).toBe(true);
  });

  it('watchdog: a stalled worker becomes a clear error, then the backend goes on with one thread', () => {
    const w = new WasmBackend({ threads: 2, threadMinMacs: 0, watchdogMs: 200 });
    expect(w.threadsActive).toBe(true);
    const x = put(w, data(64 * 64, 3));
    const y = w.alloc(64 * 64, 'float32');
    const helper = (w as unknown as { helper: { ctl: Int32Array } }).helper;
    // The worker sleeps 3 s after taking each job (test hook): the main thread must not hang.
    Atomics.store(helper.ctl, CTL_STALL, 3000);
    let error: unknown = null;
    // Until the worker takes a job (it may not be scheduled for a while on a loaded machine), at most 10 s.
    for (const end = Date.now() + 10_000; error === null && Date.now() < end;) {
      try {
        w.matmul(x, x, y, 1, 64, 64, 64, false, false, 0, 0);
      } catch (e) {
        error = e;
      }
    }
    expect(String(error)).toMatch(/worker thread did not finish its share of a job within 200 ms.*one thread/s);
    expect(w.threadsActive).toBe(false);
    w.matmul(x, x, y, 1, 64, 64, 64, false, false, 0, 0);
    const x1 = put(w1, data(64 * 64, 3));
    const y1 = w1.alloc(64 * 64, 'float32');
    w1.matmul(x1, x1, y1, 1, 64, 64, 64, false, false, 0, 0);
    expect(sameBits(y.view() as Float32Array, y1.view() as Float32Array)).toBe(-1);
  });

  it('job ids wrap past 2^31 hand-offs: jobs the worker takes then are still seen done (no watchdog error)', () => {
    const w = new WasmBackend({ threads: 2, threadMinMacs: 0, watchdogMs: 200 });
    expect(w.threadsActive).toBe(true);
    const helper = (w as unknown as { helper: { ctl: Int32Array; seq: number } }).helper;
    helper.seq = 2 ** 31 - 4; // as after ~2^31 hand-offs (days of training)
    const x = put(w, data(64 * 64, 3));
    const y = w.alloc(64 * 64, 'float32');
    const x1 = put(w1, data(64 * 64, 3));
    const y1 = w1.alloc(64 * 64, 'float32');
    w1.matmul(x1, x1, y1, 1, 64, 64, 64, false, false, 0, 0);
    // Until the worker has taken a job with a wrapped (negative) id, at most 10 s on a loaded machine.
    let jobs = 0;
    for (const end = Date.now() + 10_000; (Atomics.load(helper.ctl, CTL_DONE) >= 0 || jobs < 8) && Date.now() < end; jobs++) {
      w.matmul(x, x, y, 1, 64, 64, 64, false, false, 0, 0);
      expect(sameBits(y.view() as Float32Array, y1.view() as Float32Array)).toBe(-1);
    }
    expect(Atomics.load(helper.ctl, CTL_DONE)).toBeLessThan(0);
    expect(w.threadsActive).toBe(true);
    w.closeThreads();
  });

  it("a main-thread chunk that throws returns only after the worker has finished the job it took", () => {
    const w = new WasmBackend({ threads: 2, threadMinMacs: 0, watchdogMs: 20_000 });
    expect(w.threadsActive).toBe(true);
    const x = put(w, data(64 * 64, 3));
    const y = w.alloc(64 * 64, 'float32');
    w.matmul(x, x, y, 1, 64, 64, 64, false, false, 0, 0); // leaves a valid product's arguments in ctl
    const helper = (w as unknown as { helper: { ctl: Int32Array; seq: number; run(k: unknown, op: number, chunks: number): void } }).helper;
    // The worker sleeps 300 ms after taking a job; the main thread's chunk waits until it has, then fails.
    Atomics.store(helper.ctl, CTL_STALL, 300);
    const failing = {
      matmulPart: () => {
        for (const end = Date.now() + 10_000; Atomics.load(helper.ctl, CTL_JOB) !== JOB_TAKEN && Date.now() < end;);
        throw new Error('injected kernel failure');
      },
    };
    expect(() => helper.run(failing, OP_MATMUL, 64)).toThrow('injected kernel failure');
    // The worker's share was acknowledged before run() returned: the next job's arguments are safe to write.
    expect(Atomics.load(helper.ctl, CTL_DONE)).toBe(helper.seq);
    Atomics.store(helper.ctl, CTL_STALL, 0);
    w.matmul(x, x, y, 1, 64, 64, 64, false, false, 0, 0);
    const x1 = put(w1, data(64 * 64, 3));
    const y1 = w1.alloc(64 * 64, 'float32');
    w1.matmul(x1, x1, y1, 1, 64, 64, 64, false, false, 0, 0);
    expect(sameBits(y.view() as Float32Array, y1.view() as Float32Array)).toBe(-1);
    w.closeThreads();
  });

  it('a worker that dies between jobs is dropped: threadsActive turns false and products stay right', async () => {
    const w = new WasmBackend({ threads: 2, threadMinMacs: 0 });
    expect(w.threadsActive).toBe(true);
    const helper = (w as unknown as { helper: { worker: { terminate(): Promise<number> } } }).helper;
    await helper.worker.terminate(); // its exit event marks the control block dead
    await new Promise((r) => setTimeout(r, 50));
    expect(w.threadsActive).toBe(false);
    expect((w as unknown as { helper: unknown }).helper).toBe(null);
    const x = put(w, data(64 * 64, 3));
    const y = w.alloc(64 * 64, 'float32');
    w.matmul(x, x, y, 1, 64, 64, 64, false, false, 0, 0);
    const x1 = put(w1, data(64 * 64, 3));
    const y1 = w1.alloc(64 * 64, 'float32');
    w1.matmul(x1, x1, y1, 1, 64, 64, 64, false, false, 0, 0);
    expect(sameBits(y.view() as Float32Array, y1.view() as Float32Array)).toBe(-1);
  });

  it('the worker does not keep a Node process alive', async () => {
    const code = `
      const { WasmBackend } = await import(${JSON.stringify(new URL('../../core/backends/wasm/index.ts', import.meta.url).href)});
      const b = new WasmBackend({ threads: 2, threadMinMacs: 0 });
      const x = b.alloc(64 * 64, 'float32'); b.fill(x, 1);
      const y = b.alloc(64 * 64, 'float32');
      b.matmul(x, x, y, 1, 64, 64, 64, false, false, 0, 0);
      console.log(b.threadsActive, y.view()[0]);
    `;
    const t0 = Date.now();
    // Asynchronous, so that this test process's event loop (vitest's RPC) is not blocked meanwhile.
    const { stdout: out } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8', timeout: 60_000,
    });
    expect(out.trim()).toBe('true 64');
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});
