/**
 * Parity of the gpu.js backend with the js reference, within float32 tolerance, in the mode
 * gpu.js picks here (and in 'cpu'). gpu.js compiles one kernel per (op, sizes, strides), so the
 * shapes come from a small fixed set.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import gpujs from 'gpu.js';
import type { BinaryOp, DataBuffer, UnaryOp } from '../../core/backend.js';
import { JsBackend } from '../../core/backends/js.js';
import { GpujsBackend, SYNC_MODES, coalesce, gpujsMode } from '../../core/backends/gpujs.js';

const RTOL = 1e-5;
const ATOL = 1e-7;
const RUNS = 12;

const js = new JsBackend();

function bufs(g: GpujsBackend, data: readonly number[]): [DataBuffer, DataBuffer] {
  const a = g.alloc(data.length, 'float32');
  g.write(a, data);
  const b = js.alloc(data.length, 'float32');
  js.write(b, data);
  return [a, b];
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) continue;
    if (!(Math.abs(a - b) <= RTOL * Math.abs(b) + ATOL)) {
      throw new Error(`${what}: index ${i}: got ${a}, want ${b} (rel ${Math.abs(a - b) / Math.abs(b)})`);
    }
  }
}

/** Row-major strides of `shape`, broadcast (stride 0) onto the output shape `out`. */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const st = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const ax = out.length - shape.length + i;
    st[ax] = shape[i] === 1 && out[ax] !== 1 ? 0 : s;
    s *= shape[i];
  }
  return st;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const floats = (n: number, lo: number, hi: number) =>
  fc.array(fc.float({ min: Math.fround(lo), max: Math.fround(hi), noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

const SIZES = [1, 3, 7, 17, 257];
const UNARY_OPS: UnaryOp[] = [
  'copy', 'neg', 'exp', 'log', 'sqrt', 'square', 'abs', 'sign', 'tanh', 'sigmoid', 'softplus', 'relu', 'mish',
  'sin', 'cos', 'pow', 'clamp', 'scale', 'addScalar', 'reciprocal', 'step',
];
const POSITIVE: UnaryOp[] = ['log', 'sqrt', 'reciprocal', 'pow'];
const BINARY_OPS: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq'];
/** [out shape, a shape, b shape] (numpy broadcasting), plus a transposed-a case below. */
const BROADCASTS: [number[], number[], number[]][] = [
  [[17], [17], [17]],
  [[257], [257], [1]],
  [[3, 7], [3, 7], [7]],
  [[3, 7], [3, 1], [3, 7]],
  [[2, 3, 7], [2, 3, 7], [3, 1]],
  [[7, 3, 17], [7, 1, 17], [1, 3, 1]],
  [[1], [1], [1]],
  [[257, 300], [257, 1], [300]],
];

const modes: string[] = ['default', 'cpu'];

describe.each(modes)('gpujs backend (mode %s)', (modeName) => {
  const g = new GpujsBackend(modeName === 'default' ? {} : { mode: modeName });
  afterAll(() => g.destroy());

  it('reports its mode and dtype support', () => {
    expect(['webasm', 'cpu', 'headlessgl', 'webgl2', 'webgl']).toContain(g.mode);
    if (modeName === 'cpu') expect(g.mode).toBe('cpu');
    expect(g.name).toBe('gpujs');
    expect(g.supports('float32')).toBe(true);
    expect(g.supports('float64')).toBe(false);
    expect(() => g.alloc(3, 'float64')).toThrow(/float32 only/);
  });

  it('unary matches js for every op', () => {
    const before = g.stats.native;
    fc.assert(fc.property(
      fc.constantFrom(...UNARY_OPS), fc.constantFrom(...SIZES), fc.integer({ min: 0, max: 1000 }),
      (op, n, seed) => {
        const lo = POSITIVE.includes(op) ? 0.25 : -4;
        const hi = op === 'pow' ? 2 : 4;
        const xs = fc.sample(floats(n, lo, hi), { seed, numRuns: 1 })[0];
        const p0 = op === 'pow' ? [2, 3, 5, -1, -3, 0.5][seed % 6] : op === 'clamp' ? -1.5 : 1.75;
        const p1 = 0.75;
        const [gx, jx] = bufs(g, xs);
        const go = g.alloc(n, 'float32');
        const jo = js.alloc(n, 'float32');
        g.unary(op, gx, go, p0, p1);
        js.unary(op, jx, jo, p0, p1);
        expectClose(go.view(), jo.view(), `unary ${op} p0=${p0} n=${n}`);
      },
    ), { numRuns: 60 });
    // Every op, including all pow exponents above, ran natively.
    for (const op of UNARY_OPS) {
      const [gx, jx] = bufs(g, [0.5, 1.5, 2.5]);
      const go = g.alloc(3, 'float32');
      const jo = js.alloc(3, 'float32');
      g.unary(op, gx, go, op === 'pow' ? 4 : 1, 2);
      js.unary(op, jx, jo, op === 'pow' ? 4 : 1, 2);
      expectClose(go.view(), jo.view(), `unary ${op}`);
    }
    expect(g.stats.native - before).toBeGreaterThanOrEqual(60 + UNARY_OPS.length);
  });

  it('unaryGrad matches js for every op', () => {
    fc.assert(fc.property(
      fc.constantFrom(...UNARY_OPS), fc.constantFrom(...SIZES), fc.integer({ min: 0, max: 1000 }),
      (op, n, seed) => {
        const lo = POSITIVE.includes(op) ? 0.25 : -4;
        const hi = op === 'pow' ? 2 : 4;
        const [xs, gs] = fc.sample(fc.tuple(floats(n, lo, hi), floats(n, -2, 2)), { seed, numRuns: 1 })[0];
        const p0 = op === 'pow' ? [2, 3, 5, -1, -3][seed % 5] : op === 'clamp' ? -1.5 : 1.75;
        const p1 = 0.75;
        const [gx, jx] = bufs(g, xs);
        const jy = js.alloc(n, 'float32');
        js.unary(op, jx, jy, p0, p1);
        const [gy] = bufs(g, Array.from(jy.view()));
        const [gg, jg] = bufs(g, gs);
        const go = g.alloc(n, 'float32');
        const jo = js.alloc(n, 'float32');
        const fb = g.stats.fallback;
        g.unaryGrad(op, gx, gy, gg, go, p0, p1);
        js.unaryGrad(op, jx, jy, jg, jo, p0, p1);
        expect(g.stats.fallback).toBe(fb);
        expectClose(go.view(), jo.view(), `unaryGrad ${op} p0=${p0} n=${n}`);
      },
    ), { numRuns: 60 });
  });

  it('pow with a non-integer exponent falls back to js and still matches', () => {
    const xs = [0.5, 1.25, 3, 7.5];
    const [gx, jx] = bufs(g, xs);
    const go = g.alloc(4, 'float32');
    const jo = js.alloc(4, 'float32');
    const fb = g.stats.fallback;
    g.unary('pow', gx, go, 1.5);
    js.unary('pow', jx, jo, 1.5);
    expect(g.stats.fallback).toBe(fb + 1);
    expectClose(go.view(), jo.view(), 'pow 1.5');
  });

  it('binary matches js, with broadcasting and strided inputs', () => {
    fc.assert(fc.property(
      fc.constantFrom(...BINARY_OPS), fc.integer({ min: 0, max: BROADCASTS.length }), fc.integer({ min: 0, max: 1000 }),
      (op, which, seed) => {
        let shape: number[];
        let aStrides: number[];
        let bStrides: number[];
        let aLen: number;
        let bLen: number;
        if (which === BROADCASTS.length) {
          // a stored as [7, 3] read transposed: out[3, 7] = aᵀ (op) b.
          shape = [3, 7];
          aStrides = [1, 3];
          bStrides = [7, 1];
          aLen = bLen = 21;
        } else {
          const [o, as, bs] = BROADCASTS[which];
          shape = o;
          aStrides = broadcastStrides(as, o);
          bStrides = broadcastStrides(bs, o);
          aLen = prod(as);
          bLen = prod(bs);
        }
        const n = prod(shape);
        // Small integers in halves make equalities and ties common for the comparisons.
        const [ad, bd] = fc.sample(fc.tuple(
          fc.array(fc.integer({ min: -6, max: 6 }).map((v) => v / 2), { minLength: aLen, maxLength: aLen }),
          fc.array(fc.integer({ min: -6, max: 6 }).map((v) => (v === 0 ? 0.25 : v / 2)), { minLength: bLen, maxLength: bLen }),
        ), { seed, numRuns: 1 })[0];
        const [ga, ja] = bufs(g, ad);
        const [gb, jb] = bufs(g, bd);
        const go = g.alloc(n, 'float32');
        const jo = js.alloc(n, 'float32');
        g.binary(op, ga, gb, go, shape, aStrides, bStrides);
        js.binary(op, ja, jb, jo, shape, aStrides, bStrides);
        expectClose(go.view(), jo.view(), `binary ${op} shape=${shape} a=${aStrides} b=${bStrides}`);
      },
    ), { numRuns: 40 });
  });

  it('binary on random floats matches js', () => {
    fc.assert(fc.property(
      fc.constantFrom<BinaryOp>('add', 'sub', 'mul', 'div', 'maximum'), fc.constantFrom(17, 257), fc.integer({ min: 0, max: 1000 }),
      (op, n, seed) => {
        const [ad, bd] = fc.sample(fc.tuple(floats(n, -4, 4), floats(n, 0.5, 4)), { seed, numRuns: 1 })[0];
        const [ga, ja] = bufs(g, ad);
        const [gb, jb] = bufs(g, bd);
        const go = g.alloc(n, 'float32');
        const jo = js.alloc(n, 'float32');
        g.binary(op, ga, gb, go, [n], [1], [1]);
        js.binary(op, ja, jb, jo, [n], [1], [1]);
        expectClose(go.view(), jo.view(), `binary ${op}`);
      },
    ), { numRuns: RUNS });
  });

  it('where matches js, with broadcasting', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: BROADCASTS.length - 1 }), fc.integer({ min: 0, max: 1000 }),
      (which, seed) => {
        const [o, cs, as] = BROADCASTS[which];
        const bs = which % 2 === 0 ? [1] : o;
        const n = prod(o);
        const [cd, ad, bd] = fc.sample(fc.tuple(
          fc.array(fc.constantFrom(0, 1, -2), { minLength: prod(cs), maxLength: prod(cs) }),
          floats(prod(as), -4, 4), floats(prod(bs), -4, 4),
        ), { seed, numRuns: 1 })[0];
        const [gc, jc] = bufs(g, cd);
        const [ga, ja] = bufs(g, ad);
        const [gb, jb] = bufs(g, bd);
        const go = g.alloc(n, 'float32');
        const jo = js.alloc(n, 'float32');
        const st = [broadcastStrides(cs, o), broadcastStrides(as, o), broadcastStrides(bs, o)] as const;
        g.where(gc, ga, gb, go, o, ...st);
        js.where(jc, ja, jb, jo, o, ...st);
        expectClose(go.view(), jo.view(), `where shape=${o}`);
      },
    ), { numRuns: RUNS });
  });

  // [batch, m, n, k, aBatchStride is 0?, bBatchStride is 0?]
  const MATMULS: [number, number, number, number, boolean, boolean][] = [
    [1, 1, 1, 1, false, false],
    [1, 3, 7, 17, false, false],
    [2, 7, 3, 17, false, true],
    [3, 3, 1, 7, true, false],
    [1, 17, 3, 257, false, false],
    [1, 7, 257, 3, false, false],
  ];

  it('matmul matches js: every layout, batching, broadcast batch, accumulate', () => {
    const before = g.stats.native;
    fc.assert(fc.property(
      fc.constantFrom(...MATMULS), fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 1000 }),
      ([batch, m, n, k, aShared, bShared], transA, transB, accumulate, seed) => {
        const aLen = (aShared ? 1 : batch) * m * k;
        const bLen = (bShared ? 1 : batch) * k * n;
        const cLen = batch * m * n;
        // Positive entries keep every dot product well-conditioned.
        const [ad, bd, cd] = fc.sample(fc.tuple(floats(aLen, 0.5, 2), floats(bLen, 0.5, 2), floats(cLen, -1, 1)), { seed, numRuns: 1 })[0];
        const [ga, ja] = bufs(g, ad);
        const [gb, jb] = bufs(g, bd);
        const [gc, jc] = bufs(g, cd);
        const aStride = aShared ? 0 : m * k;
        const bStride = bShared ? 0 : k * n;
        g.matmul(ga, gb, gc, batch, m, n, k, transA, transB, aStride, bStride, accumulate);
        js.matmul(ja, jb, jc, batch, m, n, k, transA, transB, aStride, bStride, accumulate);
        expectClose(gc.view(), jc.view(), `matmul ${batch}x${m}x${n}x${k} tA=${transA} tB=${transB} acc=${accumulate}`);
      },
    ), { numRuns: 40 });
    expect(g.stats.native - before).toBe(40);
  });
});

describe('gpujs mode selection', () => {
  const saved = process.env.FISOR_GPUJS_MODE;
  afterAll(() => {
    if (saved === undefined) delete process.env.FISOR_GPUJS_MODE;
    else process.env.FISOR_GPUJS_MODE = saved;
  });

  it('an unknown FISOR_GPUJS_MODE names the mode and the alternatives', () => {
    process.env.FISOR_GPUJS_MODE = 'bogus';
    expect(() => new GpujsBackend()).toThrow(/FISOR_GPUJS_MODE='bogus': not a gpu.js mode.*'cpu'/s);
  });

  it('asynchronous modes are refused with the reason', () => {
    process.env.FISOR_GPUJS_MODE = 'webgpu';
    expect(() => new GpujsBackend()).toThrow(/'webgpu'.*synchronous.*'cpu'/s);
  });

  it('a mode that cannot initialise here gives a clear error', () => {
    if (gpujs.GPU.isHeadlessGLSupported) return; // a machine with headless-gl
    process.env.FISOR_GPUJS_MODE = 'headlessgl';
    expect(() => new GpujsBackend()).toThrow(/FISOR_GPUJS_MODE='headlessgl': gpu.js could not initialise it.*Modes that work here/s);
    if (gpujs.GPU.isWebGLSupported || gpujs.GPU.isWebGL2Supported) return;
    process.env.FISOR_GPUJS_MODE = 'gpu';
    expect(() => new GpujsBackend()).toThrow(/FISOR_GPUJS_MODE='gpu': no GPU context/);
  });

  it('FISOR_GPUJS_MODE=cpu selects the cpu kernels', () => {
    process.env.FISOR_GPUJS_MODE = 'cpu';
    const g = new GpujsBackend();
    expect(g.mode).toBe('cpu');
    expect(gpujsMode()).toBe('cpu');
    g.destroy();
    delete process.env.FISOR_GPUJS_MODE;
    const d = new GpujsBackend();
    expect(SYNC_MODES as readonly string[]).toContain(d.mode);
    expect(gpujsMode()).toBe(d.mode);
    d.destroy();
  });
});

describe('gpujs kernel cache', () => {
  it('stays bounded and rebuilds evicted kernels', () => {
    const g = new GpujsBackend({ cacheSize: 4 });
    const run = (n: number): number[] => {
      const [x] = bufs(g, Array.from({ length: n }, (_, i) => i));
      const o = g.alloc(n, 'float32');
      g.unary('scale', x, o, 2);
      return Array.from(o.view());
    };
    for (let n = 1; n <= 10; n++) run(n);
    expect(g.cachedKernels).toBe(4);
    expect(g.stats.evicted).toBe(6);
    const kernels = (g as unknown as { gpu: { kernels: unknown[] } }).gpu.kernels;
    expect(kernels.length).toBeLessThanOrEqual(4);
    expect(run(1)).toEqual([0]);
    expect(run(3)).toEqual([0, 2, 4]);
    expect(g.stats.compiled).toBe(12);
    // A hit costs no compile.
    run(3);
    expect(g.stats.compiled).toBe(12);
    g.destroy();
  });

  it('coalesces contiguous and size-1 axes', () => {
    expect(coalesce([2, 3, 7], [[21, 7, 1], [21, 7, 1]])).toEqual({ shape: [42], strides: [[1], [1]] });
    expect(coalesce([2, 3, 7], [[21, 7, 1], [0, 0, 1]])).toEqual({ shape: [6, 7], strides: [[7, 1], [0, 1]] });
    expect(coalesce([2, 3, 7], [[21, 7, 1], [0, 1, 0]])).toEqual({ shape: [2, 3, 7], strides: [[21, 7, 1], [0, 1, 0]] });
    expect(coalesce([1, 5, 1], [[5, 1, 1]])).toEqual({ shape: [5], strides: [[1]] });
    expect(coalesce([1], [[1], [0]])).toEqual({ shape: [], strides: [[], []] });
  });
});
