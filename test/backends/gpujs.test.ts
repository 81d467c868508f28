/**
 * What is particular to the gpu.js backend: its modes (and their selection), the js fallback of
 * what a kernel cannot express, the kernel cache. Kernel parity with the js reference runs for
 * every backend, this one in its default and 'cpu' modes, in parity.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import gpujs from 'gpu.js';
import type { DataBuffer } from '../../core/backend.js';
import '../../core/index.js'; // registers the backends
import { getBackend, registerBackend, setBackend } from '../../core/backend.js';
import { JsBackend } from '../../core/backends/js.js';
import { GpujsBackend, SYNC_MODES, coalesce, gpujsMode } from '../../core/backends/gpujs/index.js';
import { concreteMode } from '../../core/backends/gpujs/modes.js';

const RTOL = 1e-5;
const ATOL = 1e-7;

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

  it('pow and its gradient with a huge integer exponent (written 1e+21) fall back to js instead of a kernel syntax error', () => {
    const xs = [-1, -0.5, 0, 0.5, 1, 2];
    const [gx, jx] = bufs(g, xs);
    for (const e of [1e21, -1e21, 2 ** 60]) {
      const go = g.alloc(xs.length, 'float32');
      const jo = js.alloc(xs.length, 'float32');
      g.unary('pow', gx, go, e);
      js.unary('pow', jx, jo, e);
      expectClose(go.view(), jo.view(), `pow ${e}`);
      g.unaryGrad('pow', gx, go, gx, go, e);
      js.unaryGrad('pow', jx, jo, jx, jo, e);
      expectClose(go.view(), jo.view(), `pow' ${e}`);
    }
  });
});

describe('gpujs options', () => {
  it('a cacheSize that is not a positive integer is refused (NaN meant never evicting)', () => {
    for (const cacheSize of [NaN, 0, 2.5]) expect(() => new GpujsBackend({ cacheSize })).toThrow(/option cacheSize must be a positive integer/);
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

describe('gpujs mode reporting', () => {
  it("names gpu.js's GL kernel classes by their mode ('webgl2', not the 'gpu' they report)", () => {
    // Every GL kernel class of gpu.js says `mode === 'gpu'`; the concrete mode comes from the class.
    expect(gpujs.WebGL2Kernel.mode).toBe('gpu');
    const fake = (Kernel: unknown) => ({ Kernel, mode: 'gpu' }) as unknown as Parameters<typeof concreteMode>[0];
    expect(concreteMode(fake(gpujs.WebGL2Kernel))).toBe('webgl2');
    expect(concreteMode(fake(gpujs.WebGLKernel))).toBe('webgl');
    expect(concreteMode(fake(gpujs.HeadlessGLKernel))).toBe('headlessgl');
    expect(concreteMode(fake(gpujs.WebAssemblyKernel))).toBe('webasm');
    expect(concreteMode(fake(gpujs.CPUKernel))).toBe('cpu');
  });

  it('gpujsMode() is the mode of the current backend, not of the last one built', () => {
    const previous = getBackend().name;
    registerBackend('gpujs-cpu-test', () => new GpujsBackend({ mode: 'cpu' }));
    try {
      setBackend('gpujs-cpu-test');
      // Built after the current one, in gpu.js's own choice of mode ('webasm' here).
      const other = new GpujsBackend();
      expect(gpujsMode()).toBe('cpu');
      other.destroy();
    } finally {
      setBackend(previous);
    }
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
