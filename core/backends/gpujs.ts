/**
 * The `gpujs` backend: gpu.js kernels for matmul and the elementwise ops, the portable path to
 * a GPU (WebGL2 in a browser, headless-gl in Node where the optional `gl` package is built).
 *
 * Buffers are plain Float32Arrays, so every kernel not written here (reduce, strided copies,
 * row gathers, Adam, lerp, fill/write) runs the js reference kernels on them directly, and so do
 * the cases a native kernel cannot express (see `unaryBody`, `unaryGradBody`, `nativeOk`).
 *
 * Mode: gpu.js chooses one unless $FISOR_GPUJS_MODE (or the `mode` option) names one; see
 * `SYNC_MODES` and docs/GPUJS.md. Without a GPU gpu.js lands on 'webasm' (WebAssembly on the CPU).
 *
 * Costs: every call copies its inputs into the kernel (a texture upload on GL, a copy into wasm
 * memory on 'webasm') and reads the result back into the output buffer; gpu.js `pipeline` mode
 * would keep results on the GPU, but our buffers live in host memory, so each op pays one round
 * trip. Kernels are compiled once per (op, sizes, strides) and kept in a bounded LRU cache.
 */
import gpujs from 'gpu.js';
import type {
  Backend, BinaryOp, DataBuffer, DType, TypedArray, UnaryOp,
} from '../backend.js';
import { jsKernels } from './js.js';

const { GPU } = gpujs;
type GPUInstance = InstanceType<typeof GPU>;
/** A gpu.js run shortcut: call it with the kernel's arguments. */
type KernelFn = ((...args: unknown[]) => unknown) & { kernel?: { destroy?: (r?: boolean) => void } };

/** gpu.js modes the synchronous Backend interface can use. */
export const SYNC_MODES = ['gpu', 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'] as const;
export type GpujsMode = (typeof SYNC_MODES)[number];

/** gpu.js modes that exist but whose kernels return Promises. */
const ASYNC_MODES = ['webgpu', 'async'];

/** Above this many elements float32 index arithmetic in a kernel is no longer exact: js runs it. */
const MAX_NATIVE_ELEMENTS = 1 << 24;

/** Kernel classes gpu.js tries, best first, for a real GPU. */
function gpuModesSupported(): string[] {
  const out: string[] = [];
  if (GPU.isHeadlessGLSupported) out.push('headlessgl');
  if (GPU.isWebGL2Supported) out.push('webgl2');
  if (GPU.isWebGLSupported) out.push('webgl');
  return out;
}

/** The modes that would initialise here, for error messages. */
export function gpujsModesAvailable(): string[] {
  const gl = gpuModesSupported();
  const out: string[] = gl.length ? ['gpu', ...gl] : [];
  if (GPU.isWebAssemblySupported) out.push('webasm');
  out.push('cpu');
  return out;
}

function modeError(mode: string, why: string): Error {
  return new Error(
    `FISOR_GPUJS_MODE='${mode}': ${why}. Modes that work here: ${gpujsModesAvailable().map((m) => `'${m}'`).join(', ')}` +
    ` (all modes: ${SYNC_MODES.map((m) => `'${m}'`).join(', ')}); unset it to let gpu.js choose.`,
  );
}

/**
 * Makes the gpu.js instance for a requested mode (undefined / '' = gpu.js's own choice).
 * 'gpu' here means a real GPU: unlike gpu.js's own 'gpu' it does not settle for 'webasm'.
 */
function createGpu(requested: string | undefined): GPUInstance {
  const mode = requested?.trim() || undefined;
  if (mode === undefined) return new GPU();
  if (ASYNC_MODES.includes(mode)) {
    throw modeError(mode, `gpu.js runs '${mode}' kernels asynchronously (they return Promises) and the backend interface is synchronous`);
  }
  if (!(SYNC_MODES as readonly string[]).includes(mode)) throw modeError(mode, 'not a gpu.js mode');
  let concrete = mode;
  if (mode === 'gpu') {
    const gl = gpuModesSupported();
    if (!gl.length) {
      throw modeError(mode, 'no GPU context could be created (no WebGL in this runtime, and the optional `gl` package for headless-gl is not built or has no display)');
    }
    concrete = gl[0];
  }
  try {
    return new GPU({ mode: concrete as 'cpu' });
  } catch (e) {
    throw modeError(mode, `gpu.js could not initialise it (${(e as Error).message})`);
  }
}

/** The concrete kernel mode of a gpu.js instance ('webasm', 'cpu', 'headlessgl', ...). */
function concreteMode(gpu: GPUInstance): string {
  const K = (gpu as unknown as { Kernel?: { mode?: string } }).Kernel;
  return K?.mode ?? String(gpu.mode);
}

let lastMode: string | null = null;

/**
 * The gpu.js mode in use: that of the most recently made GpujsBackend, or else the one a new
 * backend would get from $FISOR_GPUJS_MODE (throws, like the backend, if that mode is invalid).
 */
export function gpujsMode(): string {
  if (lastMode) return lastMode;
  const gpu = createGpu(envMode());
  const m = concreteMode(gpu);
  void gpu.destroy();
  return m;
}

function envMode(): string | undefined {
  return typeof process !== 'undefined' ? process.env?.FISOR_GPUJS_MODE : undefined;
}

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
// Kernel sources. Each body reads xv = x[i], yv = y[i], gv = g[i] and scalar arguments p0, p1;
// only the names a body uses become kernel parameters.

/** f(x) bodies, matching core/backends/js.ts `unaryFn`. `null`: run js instead. */
function unaryBody(op: UnaryOp, p0: number): string | null {
  switch (op) {
    case 'copy': return 'return xv;';
    case 'neg': return 'return -xv;';
    case 'exp': return 'return Math.exp(xv);';
    case 'log': return 'return Math.log(xv);';
    case 'sqrt': return 'return Math.sqrt(xv);';
    case 'square': return 'return xv * xv;';
    case 'abs': return 'return Math.abs(xv);';
    case 'sign': return 'if (xv > 0.0) { return 1.0; } if (xv < 0.0) { return -1.0; } return 0.0;';
    case 'tanh': return 'return Math.tanh(xv);';
    case 'sigmoid': return SIGMOID('xv', 'return');
    case 'softplus': return 'if (xv > 0.0) { return xv + Math.log1p(Math.exp(-xv)); } return Math.log1p(Math.exp(xv));';
    case 'relu': return 'if (xv > 0.0) { return xv; } return 0.0;';
    case 'mish': return `${SOFTPLUS_TO('sp', 'xv')} return xv * Math.tanh(sp);`;
    case 'sin': return 'return Math.sin(xv);';
    case 'cos': return 'return Math.cos(xv);';
    case 'pow': {
      const e = powExpr('xv', p0);
      return e === null ? null : `return ${e};`;
    }
    case 'clamp': return 'if (xv < p0) { return p0; } if (xv > p1) { return p1; } return xv;';
    case 'scale': return 'return xv * p0;';
    case 'addScalar': return 'return xv + p0;';
    case 'reciprocal': return 'return 1.0 / xv;';
    case 'step': return 'if (xv > 0.0) { return 1.0; } return 0.0;';
  }
}

/** g * f'(x, y) bodies, matching `unaryDerivative`. `null`: run js instead. */
function unaryGradBody(op: UnaryOp, p0: number): string | null {
  switch (op) {
    case 'copy': return 'return gv;';
    case 'neg': return 'return -gv;';
    case 'exp': return 'return gv * yv;';
    case 'log': return 'return gv / xv;';
    case 'sqrt': return 'return gv * (0.5 / yv);';
    case 'square': return 'return gv * (2.0 * xv);';
    case 'abs': return 'if (xv > 0.0) { return gv; } if (xv < 0.0) { return -gv; } return gv * 0.0;';
    case 'sign': return 'return gv * 0.0;';
    // (1 - y)(1 + y): 1 - y is exact for y near 1, where 1 - y*y would cancel.
    case 'tanh': return 'return gv * ((1.0 - yv) * (1.0 + yv));';
    case 'sigmoid': return 'return gv * (yv * (1.0 - yv));';
    case 'softplus': return `${SIGMOID_TO('s', 'xv')} return gv * s;`;
    case 'relu': return 'if (xv > 0.0) { return gv; } return gv * 0.0;';
    case 'mish':
      return `${SOFTPLUS_TO('sp', 'xv')} const t = Math.tanh(sp); ${SIGMOID_TO('s', 'xv')} return gv * (t + xv * s * ((1.0 - t) * (1.0 + t)));`;
    case 'sin': return 'return gv * Math.cos(xv);';
    case 'cos': return 'return gv * -Math.sin(xv);';
    case 'pow': {
      if (!Number.isInteger(p0)) return null;
      const e = powExpr('xv', p0 - 1);
      return e === null ? null : `return gv * (p0 * ${e});`;
    }
    case 'clamp': return 'if (xv >= p0) { if (xv <= p1) { return gv; } } return gv * 0.0;';
    case 'scale': return 'return gv * p0;';
    case 'addScalar': return 'return gv;';
    case 'reciprocal': return 'return gv * (-(yv * yv));';
    case 'step': return 'return gv * 0.0;';
  }
}

function SIGMOID(v: string, ret: string): string {
  return `if (${v} >= 0.0) { ${ret} 1.0 / (1.0 + Math.exp(-${v})); } const e = Math.exp(${v}); ${ret} e / (1.0 + e);`;
}

function SIGMOID_TO(name: string, v: string): string {
  return `let ${name} = 0.0; if (${v} >= 0.0) { ${name} = 1.0 / (1.0 + Math.exp(-${v})); } else { const e = Math.exp(${v}); ${name} = e / (1.0 + e); }`;
}

function SOFTPLUS_TO(name: string, v: string): string {
  return `let ${name} = 0.0; if (${v} > 0.0) { ${name} = ${v} + Math.log1p(Math.exp(-${v})); } else { ${name} = Math.log1p(Math.exp(${v})); }`;
}

/**
 * x^e as a kernel expression for an exponent fixed at kernel-build time. Integer exponents
 * take the sign of x into account (GLSL pow is undefined for x < 0); others run js.
 */
function powExpr(v: string, e: number): string | null {
  if (!Number.isInteger(e)) return e === 0.5 ? `Math.sqrt(${v})` : null;
  switch (e) {
    case 0: return '1.0';
    case 1: return v;
    case 2: return `(${v} * ${v})`;
    case 3: return `(${v} * ${v} * ${v})`;
    case -1: return `(1.0 / ${v})`;
    case -2: return `(1.0 / (${v} * ${v}))`;
  }
  const mag = `Math.pow(Math.abs(${v}), ${e}.0)`;
  return e % 2 === 0 ? mag : `(${v} < 0.0 ? -${mag} : ${mag})`;
}

const BINARY_BODY: Record<BinaryOp, string> = {
  add: 'return av + bv;',
  sub: 'return av - bv;',
  mul: 'return av * bv;',
  div: 'return av / bv;',
  maximum: 'if (av >= bv) { return av; } return bv;',
  minimum: 'if (av <= bv) { return av; } return bv;',
  gt: 'if (av > bv) { return 1.0; } return 0.0;',
  ge: 'if (av >= bv) { return 1.0; } return 0.0;',
  lt: 'if (av < bv) { return 1.0; } return 0.0;',
  le: 'if (av <= bv) { return 1.0; } return 0.0;',
  eq: 'if (av == bv) { return 1.0; } return 0.0;',
};

/** The parameter names a body reads, in a fixed order. */
function usedParams(body: string, candidates: readonly string[]): string[] {
  return candidates.filter((p) => new RegExp(`\\b${p}\\b`).test(body));
}

/**
 * Drops size-1 axes and merges neighbours that are contiguous for every stride vector, so
 * same-shape ops become rank 1 and the usual broadcasts rank 1 or 2.
 */
export function coalesce(
  shape: readonly number[], strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const sh: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let ax = 0; ax < shape.length; ax++) {
    if (shape[ax] === 1) continue;
    const last = sh.length - 1;
    if (last >= 0 && strides.every((s, i) => st[i][last] === s[ax] * shape[ax])) {
      sh[last] *= shape[ax];
      strides.forEach((s, i) => { st[i][last] = s[ax]; });
    } else {
      sh.push(shape[ax]);
      strides.forEach((s, i) => st[i].push(s[ax]));
    }
  }
  return { shape: sh, strides: st };
}

/**
 * Kernel statements: q = floor(rem / den), rem = rem mod den, in float arithmetic. The +0.5
 * keeps the quotient off an integer boundary and the two corrections absorb a division that
 * is not correctly rounded (GLSL allows 2.5 ulp), so the result is exact below 2^24.
 */
function divmod(q: string, rem: string, den: string): string {
  return `let ${q} = Math.floor((${rem} + 0.5) / ${den}); ${rem} = ${rem} - ${q} * ${den};` +
    ` if (${rem} < 0.0) { ${q} = ${q} - 1.0; ${rem} = ${rem} + ${den}; }` +
    ` if (${rem} >= ${den}) { ${q} = ${q} + 1.0; ${rem} = ${rem} - ${den}; }`;
}

/**
 * Kernel statements that decode the flat output index into offsets `${name}Off` for each
 * input, with the shape's suffix products and the strides as kernel constants.
 */
function stridedIndexSource(
  shape: readonly number[], names: readonly string[], strides: readonly (readonly number[])[],
  constants: Record<string, number>,
): string {
  const r = shape.length;
  const lines: string[] = [];
  const contiguous = strides.map((s) => r === 1 && s[0] === 1);
  if (r === 0 || contiguous.every(Boolean)) {
    names.forEach((n, i) => lines.push(`const ${n}Off = ${r === 0 || strides[i][0] === 0 ? '0' : 'this.thread.x'};`));
    return lines.join(' ');
  }
  const terms: string[][] = names.map(() => []);
  lines.push('let rem = this.thread.x + 0.0;');
  let inner = 1;
  const suffix: number[] = new Array(r);
  for (let ax = r - 1; ax >= 0; ax--) {
    suffix[ax] = inner;
    inner *= shape[ax];
  }
  for (let ax = 0; ax < r; ax++) {
    if (ax < r - 1) {
      constants[`p${ax}`] = suffix[ax];
      lines.push(divmod(`i${ax}`, 'rem', `this.constants.p${ax}`));
    } else {
      lines.push(`const i${ax} = rem;`);
    }
    strides.forEach((s, i) => {
      if (s[ax] === 0) return;
      constants[`${names[i]}s${ax}`] = s[ax];
      terms[i].push(`i${ax} * this.constants.${names[i]}s${ax}`);
    });
  }
  names.forEach((n, i) => lines.push(`const ${n}Off = ${terms[i].length ? terms[i].join(' + ') : '0'};`));
  return lines.join(' ');
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
    this.cacheSize = Math.max(1, opts.cacheSize ?? 256);
    lastMode = this.mode;
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
