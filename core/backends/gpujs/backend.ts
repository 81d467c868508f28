/**
 * The `gpujs` backend: gpu.js kernels for matmul and the elementwise ops, the portable path to
 * a GPU (WebGL2 in a browser, headless-gl in Node where the optional `gl` package is built).
 *
 * Buffers are plain Float32Arrays, so every kernel not written here (reduce, strided copies,
 * row gathers, Adam, lerp, fill/write) runs the js reference kernels on them directly, and so do
 * the cases a native kernel cannot express (see codegen.ts and `nativeOk`).
 *
 * Mode: gpu.js chooses one unless $FISOR_GPUJS_MODE (or the `mode` option) names one; see
 * `SYNC_MODES` in modes.ts and docs/GPUJS.md. Without a GPU gpu.js lands on 'webasm' (WebAssembly on the CPU).
 *
 * Costs: every call copies its inputs into the kernel (a texture upload on GL, a copy into wasm
 * memory on 'webasm') and reads the result back into the output buffer; gpu.js `pipeline` mode
 * would keep results on the GPU, but our buffers live in host memory, so each op pays one round
 * trip. Kernels are compiled once per (op, sizes, strides) and kept in a bounded LRU cache.
 */
import type {
  Backend, BinaryOp, DataBuffer, DType, TypedArray, UnaryOp,
} from '../../backend.js';
import { jsKernels } from '../js.js';
import {
  BINARY_BODY, coalesce, divmod, stridedIndexSource, unaryBody, unaryGradBody, usedParams,
} from './codegen.js';
import { concreteMode, createGpu, envMode, type GPUInstance } from './modes.js';

/** A gpu.js run shortcut: call it with the kernel's arguments. */
type KernelFn = ((...args: unknown[]) => unknown) & { kernel?: { destroy?: (r?: boolean) => void } };

/** Above this many elements float32 index arithmetic in a kernel is no longer exact: js runs it. */
const MAX_NATIVE_ELEMENTS = 1 << 24;

class GpujsBuffer implements DataBuffer {
  readonly dtype: DType = 'float32';
  constructor(readonly backend: Backend, readonly data: Float32Array) {}
  get length(): number {
    return this.data.length;
  }
  view(): Float32Array {
    return this.data;
  }
}

// ---------------------------------------------------------------------------------------------

export interface GpujsBackendOptions {
  /** A gpu.js mode (see SYNC_MODES); default $FISOR_GPUJS_MODE, else gpu.js's own choice. */
  mode?: string;
  /** How many compiled kernels to keep (least recently used go first); default 256. */
  cacheSize?: number;
}

interface CacheEntry {
  fn: KernelFn;
}

/** Counts for tests and tuning. */
export interface GpujsStats {
  /** Kernels compiled so far. */
  compiled: number;
  /** Kernels destroyed to keep the cache bounded. */
  evicted: number;
  /** Calls that ran a gpu.js kernel. */
  native: number;
  /** Calls of the natively-written kernels that ran js instead. */
  fallback: number;
}

export class GpujsBackend implements Backend {
  readonly name: string = 'gpujs';
  /** The concrete gpu.js mode: 'webasm', 'cpu', 'headlessgl', 'webgl2', 'webgl'. */
  readonly mode: string;
  private readonly gpu: GPUInstance;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly cacheSize: number;
  readonly stats: GpujsStats = { compiled: 0, evicted: 0, native: 0, fallback: 0 };

  constructor(opts: GpujsBackendOptions = {}) {
    this.gpu = createGpu(opts.mode ?? envMode());
    this.mode = concreteMode(this.gpu);
    // NaN used to mean "never evict" (a NaN comparison is false), 0 or 1.5 something unsaid.
    if (opts.cacheSize !== undefined && !(Number.isInteger(opts.cacheSize) && opts.cacheSize >= 1)) {
      throw new Error(`GpujsBackend: option cacheSize must be a positive integer, got ${String(opts.cacheSize)}`);
    }
    this.cacheSize = opts.cacheSize ?? 256;
  }

  supports(dtype: DType): boolean {
    return dtype === 'float32';
  }

  alloc(length: number, dtype: DType): DataBuffer {
    if (dtype !== 'float32') throw new Error(`gpujs backend: float32 only (asked for ${dtype}); float64 runs on 'js'`);
    return new GpujsBuffer(this, new Float32Array(length));
  }

  free(_buf: DataBuffer): void {
    // Garbage collected.
  }

  /** Destroys every compiled kernel and the gpu.js instance. */
  destroy(): void {
    for (const key of [...this.cache.keys()]) this.evict(key);
    void this.gpu.destroy();
  }

  /** How many compiled kernels are cached now. */
  get cachedKernels(): number {
    return this.cache.size;
  }

  fill = jsKernels.fill;
  write = jsKernels.write;
  reduce = jsKernels.reduce;
  copyStrided = jsKernels.copyStrided;
  addStrided = jsKernels.addStrided;
  gatherRows = jsKernels.gatherRows;
  scatterAddRows = jsKernels.scatterAddRows;
  adam = jsKernels.adam;
  lerp = jsKernels.lerp;

  unary(op: UnaryOp, x: DataBuffer, out: DataBuffer, p0 = 0, p1 = 0): void {
    const n = out.length;
    const xv = x.view();
    const body = unaryBody(op, p0);
    if (n === 0) return;
    if (body === null || !this.nativeOk(n, [xv], out)) {
      this.stats.fallback++;
      jsKernels.unary(op, x, out, p0, p1);
      return;
    }
    const params = usedParams(body, ['xv', 'p0', 'p1']).map((p) => (p === 'xv' ? 'x' : p));
    const pre = params.includes('x') ? 'const xv = x[this.thread.x];' : '';
    const key = `u:${op}:${op === 'pow' ? p0 : ''}:${n}:${xv.length}`;
    const args: Record<string, unknown> = { x: xv, p0, p1 };
    this.runKernel(key, params, `${pre} ${body}`, n, {}, params.map((p) => args[p]), out);
  }

  unaryGrad(
    op: UnaryOp, x: DataBuffer, y: DataBuffer, g: DataBuffer, out: DataBuffer, p0 = 0, p1 = 0,
  ): void {
    const n = out.length;
    const views = { x: x.view(), y: y.view(), g: g.view() };
    const body = unaryGradBody(op, p0);
    if (n === 0) return;
    if (body === null || !this.nativeOk(n, [views.x, views.y, views.g], out)) {
      this.stats.fallback++;
      jsKernels.unaryGrad(op, x, y, g, out, p0, p1);
      return;
    }
    const used = usedParams(body, ['xv', 'yv', 'gv', 'p0', 'p1']);
    const params = used.map((p) => (p.endsWith('v') ? p[0] : p));
    const pre = params.filter((p) => p.length === 1).map((p) => `const ${p}v = ${p}[this.thread.x];`).join(' ');
    const key = `ug:${op}:${op === 'pow' ? p0 : ''}:${n}:${params.map((p) => (p.length === 1 ? views[p as 'x'].length : p)).join(',')}`;
    const args: Record<string, unknown> = { ...views, p0, p1 };
    this.runKernel(key, params, `${pre} ${body}`, n, {}, params.map((p) => args[p]), out);
  }

  binary(
    op: BinaryOp, a: DataBuffer, b: DataBuffer, out: DataBuffer,
    shape: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
  ): void {
    const n = out.length;
    const av = a.view();
    const bv = b.view();
    if (n === 0) return;
    if (!this.nativeOk(n, [av, bv], out)) {
      this.stats.fallback++;
      jsKernels.binary(op, a, b, out, shape, aStrides, bStrides);
      return;
    }
    const c = coalesce(shape, [aStrides, bStrides]);
    const constants: Record<string, number> = {};
    const idx = stridedIndexSource(c.shape, ['a', 'b'], c.strides, constants);
    const src = `${idx} const av = a[aOff]; const bv = b[bOff]; ${BINARY_BODY[op]}`;
    const key = `b:${op}:${n}:${av.length}:${bv.length}:${c.shape}:${c.strides[0]}:${c.strides[1]}`;
    this.runKernel(key, ['a', 'b'], src, n, constants, [av, bv], out);
  }

  where(
    cond: DataBuffer, a: DataBuffer, b: DataBuffer, out: DataBuffer, shape: readonly number[],
    condStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
  ): void {
    const n = out.length;
    const cv = cond.view();
    const av = a.view();
    const bv = b.view();
    if (n === 0) return;
    if (!this.nativeOk(n, [cv, av, bv], out)) {
      this.stats.fallback++;
      jsKernels.where(cond, a, b, out, shape, condStrides, aStrides, bStrides);
      return;
    }
    const s = coalesce(shape, [condStrides, aStrides, bStrides]);
    const constants: Record<string, number> = {};
    const idx = stridedIndexSource(s.shape, ['c', 'a', 'b'], s.strides, constants);
    const src = `${idx} if (c[cOff] != 0.0) { return a[aOff]; } return b[bOff];`;
    const key = `w:${n}:${cv.length}:${av.length}:${bv.length}:${s.shape}:${s.strides.join(';')}`;
    this.runKernel(key, ['c', 'a', 'b'], src, n, constants, [cv, av, bv], out);
  }

  matmul(
    a: DataBuffer, b: DataBuffer, out: DataBuffer,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
    accumulate = false,
  ): void {
    const total = batch * m * n;
    const av = a.view();
    const bv = b.view();
    const cv = out.view();
    if (total === 0) return;
    if (k === 0 || !this.nativeOk(total, [av, bv], out)) {
      this.stats.fallback++;
      jsKernels.matmul(a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride, accumulate);
      return;
    }
    const constants: Record<string, number> = {
      n, k, mn: m * n,
      aRow: transA ? 1 : k, aCol: transA ? m : 1, bRow: transB ? 1 : n, bCol: transB ? k : 1,
      aBatch: aBatchStride, bBatch: bBatchStride,
    };
    const lines: string[] = ['const idx = this.thread.x;', 'let r = idx + 0.0;'];
    if (batch > 1) lines.push(divmod('t', 'r', 'this.constants.mn'));
    else lines.push('const t = 0.0;');
    lines.push(
      divmod('i', 'r', 'this.constants.n'),
      'const j = r;',
      'const aBase = t * this.constants.aBatch + i * this.constants.aRow;',
      'const bBase = t * this.constants.bBatch + j * this.constants.bCol;',
      'let sum = 0.0;',
      'for (let p = 0; p < this.constants.k; p++) {',
      '  sum += a[aBase + p * this.constants.aCol] * b[bBase + p * this.constants.bRow];',
      '}',
      accumulate ? 'return c[idx] + sum;' : 'return sum;',
    );
    const params = accumulate ? ['a', 'b', 'c'] : ['a', 'b'];
    const key = `mm:${batch}:${m}:${n}:${k}:${+transA}${+transB}:${aBatchStride}:${bBatchStride}:${+accumulate}:${av.length}:${bv.length}`;
    this.runKernel(key, params, lines.join(' '), total, constants, accumulate ? [av, bv, cv] : [av, bv], out);
  }

  // -------------------------------------------------------------------------------------------

  /** Whether the gpu.js kernels can take these arrays (float32, exact float indices). */
  private nativeOk(n: number, inputs: readonly TypedArray[], out: DataBuffer): boolean {
    if (n > MAX_NATIVE_ELEMENTS || !(out.view() instanceof Float32Array)) return false;
    for (const v of inputs) if (!(v instanceof Float32Array) || v.length > MAX_NATIVE_ELEMENTS || v.length === 0) return false;
    return true;
  }

  private runKernel(
    key: string, params: readonly string[], body: string, n: number,
    constants: Record<string, number>, args: readonly unknown[], out: DataBuffer,
  ): void {
    let entry = this.cache.get(key);
    if (entry) {
      this.cache.delete(key);
      this.cache.set(key, entry);
    } else {
      const src = `function(${params.join(', ')}) { ${body} }`;
      let fn: KernelFn;
      try {
        fn = this.gpu.createKernel(src, {
          output: [n],
          precision: 'single',
          constants,
          tactic: 'precision',
          dynamicOutput: false,
          dynamicArguments: false,
        }) as unknown as KernelFn;
      } catch (e) {
        throw new Error(`gpujs: could not build kernel ${key} in mode '${this.mode}': ${(e as Error).message}\n${src}`);
      }
      this.stats.compiled++;
      entry = { fn };
      this.cache.set(key, entry);
      while (this.cache.size > this.cacheSize) this.evict(this.cache.keys().next().value as string);
    }
    const result = entry.fn(...args);
    this.stats.native++;
    writeFlat(result, out.view() as Float32Array, n);
  }

  private evict(key: string): void {
    const entry = this.cache.get(key);
    this.cache.delete(key);
    if (!entry) return;
    this.stats.evicted++;
    const kernel = entry.fn.kernel as { destroy?: (r?: boolean) => void } | undefined;
    try {
      kernel?.destroy?.();
    } catch {
      // A kernel that never built has nothing to release.
    }
    // The cpu kernel's destroy() leaves it in gpu.kernels; drop it so the cache stays bounded.
    const list = (this.gpu as unknown as { kernels?: unknown[] }).kernels;
    const i = list ? list.indexOf(kernel) : -1;
    if (list && i >= 0) list.splice(i, 1);
  }
}

/** Copies a kernel result (Float32Array, or nested arrays for 2D/3D outputs) into `dst`. */
function writeFlat(result: unknown, dst: Float32Array, n: number): void {
  if (result instanceof Float32Array) {
    if (result.length !== n) throw new Error(`gpujs: kernel gave ${result.length} values, expected ${n}`);
    dst.set(result);
    return;
  }
  let o = 0;
  const walk = (v: unknown): void => {
    if (typeof v === 'number') {
      dst[o++] = v;
    } else if (ArrayBuffer.isView(v)) {
      dst.set(v as Float32Array, o);
      o += (v as Float32Array).length;
    } else if (Array.isArray(v)) {
      for (const e of v) walk(e);
    } else {
      throw new Error(`gpujs: unexpected kernel result ${Object.prototype.toString.call(v)}`);
    }
  };
  walk(result);
  if (o !== n) throw new Error(`gpujs: kernel gave ${o} values, expected ${n}`);
}
