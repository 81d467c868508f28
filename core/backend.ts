/**
 * The kernel interface every backend implements, and the registry that picks one.
 *
 * Ops (core/ops/*) hold the math: forward, vector-Jacobian product, shape rules. Backends hold
 * only kernels over flat row-major buffers, so a new backend never touches an op's math.
 *
 * - `js`: plain TypeScript loops, float32 and float64; the reference, and the fallback for any
 *   kernel another backend does not override (its kernels work on any buffer's `view()`).
 * - `wasm`: our WebAssembly SIMD kernels; tensors live in one WebAssembly.Memory.
 * - `gpujs`: gpu.js kernels for matmul and elementwise ops (GPU where present).
 *
 * Float64 tensors always use the `js` backend: the others are float32-only.
 */

export type DType = 'float32' | 'float64';
export type TypedArray = Float32Array | Float64Array;

/** A block of numbers owned by a backend. */
export interface DataBuffer {
  readonly backend: Backend;
  readonly dtype: DType;
  readonly length: number;
  /**
   * A typed-array view of the numbers. For `wasm` the view is re-made when the memory grows,
   * so take it after every allocation that a kernel needs, never keep it across allocations.
   */
  view(): TypedArray;
}

/** Elementwise one-input ops. `p0`/`p1` carry scalars: pow exponent, clamp bounds, scale. */
export type UnaryOp =
  | 'copy' | 'neg' | 'exp' | 'log' | 'sqrt' | 'square' | 'abs' | 'sign' | 'tanh' | 'sigmoid'
  | 'softplus' | 'relu' | 'mish' | 'sin' | 'cos' | 'pow' | 'clamp' | 'scale' | 'addScalar'
  | 'reciprocal' | 'step';

/** Two-input elementwise ops with broadcasting; comparisons give 1 or 0. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum'
  | 'gt' | 'ge' | 'lt' | 'le' | 'eq';

export type ReduceOp = 'sum' | 'max' | 'min';

/** Activations a fused matmul epilogue applies (`Backend.matmulBiasAct`). */
export type FusedActivation = 'none' | 'relu' | 'tanh' | 'mish';

/** Hyper-parameters for the fused Adam / AdamW update. */
export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 coupled into the gradient (Adam) or decoupled (AdamW), per `decoupled`. */
  weightDecay: number;
  decoupled: boolean;
  /** 1-based step count for the bias corrections 1 - beta^t. */
  step: number;
}

/**
 * The per-step scalars of Adam / AdamW, computed once for every backend:
 * bias corrections bc1 = 1 - beta1^t, bc2 = 1 - beta2^t; AdamW's decay factor 1 - lr wd (1 for
 * Adam); Adam's L2 coefficient wd coupled into the gradient (0 for AdamW).
 */
export function adamCoefficients(h: AdamParams): { bc1: number; bc2: number; decay: number; l2: number } {
  return {
    bc1: 1 - Math.pow(h.beta1, h.step),
    bc2: 1 - Math.pow(h.beta2, h.step),
    decay: h.decoupled ? 1 - h.lr * h.weightDecay : 1,
    l2: h.decoupled ? 0 : h.weightDecay,
  };
}

export interface Backend {
  readonly name: string;
  /** Which dtypes the backend's kernels accept. */
  supports(dtype: DType): boolean;
  alloc(length: number, dtype: DType): DataBuffer;
  /** Give a buffer back (wasm: to its pool). Using it afterwards is an error. */
  free(buf: DataBuffer): void;
  fill(out: DataBuffer, value: number): void;
  write(out: DataBuffer, data: ArrayLike<number>, offset?: number): void;

  /** out[i] = f(x[i]; p0, p1). */
  unary(op: UnaryOp, x: DataBuffer, out: DataBuffer, p0?: number, p1?: number): void;
  /** out[i] = g[i] * f'(x[i]) (y = f(x) given too, for ops whose derivative reads it). */
  unaryGrad(
    op: UnaryOp, x: DataBuffer, y: DataBuffer, g: DataBuffer, out: DataBuffer, p0?: number, p1?: number,
  ): void;
  /**
   * out[idx] = a[idx . aStrides] (op) b[idx . bStrides] over the index space `shape`;
   * a stride of 0 broadcasts that axis. out is contiguous with `shape`.
   */
  binary(
    op: BinaryOp, a: DataBuffer, b: DataBuffer, out: DataBuffer,
    shape: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
  ): void;
  /** out = cond != 0 ? a : b, all broadcast by strides like `binary`. */
  where(
    cond: DataBuffer, a: DataBuffer, b: DataBuffer, out: DataBuffer, shape: readonly number[],
    condStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
  ): void;
  /**
   * Batched matrix product: for each batch index i,
   * C_i (m x n) = op(A_i) op(B_i), op(A) = transA ? Aᵀ : A with A_i stored (k x m) or (m x k).
   * A_i starts at i * aBatchStride (0 broadcasts one matrix), likewise B; C is contiguous.
   * If `accumulate`, C += product instead of C = product.
   */
  matmul(
    a: DataBuffer, b: DataBuffer, out: DataBuffer,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
    accumulate?: boolean,
  ): void;
  /**
   * Optional fused linear layer (bias and activation in the GEMM epilogue):
   *   out_i = act(op(A_i) op(B_i) + bias_i),  bias_i a row of n numbers broadcast over the m rows,
   *   starting at i * biasBatchStride (0 shares one bias); `bias` null adds nothing.
   * Same layout rules as `matmul` (no accumulate). Must equal matmul, then a broadcast `add`, then
   * `unary(act)` of the same backend (the wasm kernel does, bit for bit). Ops call it through
   * `matmulBiasActOn`, which composes those kernels for backends without it (js, gpujs).
   * With act 'mish', `slope` (as long as `out`, laid out the same) also receives mish'(pre),
   * pre = op(A) op(B) + bias, as `unaryGrad('mish', pre, out, ones)` of the same backend computes it.
   * On wasm, where unaryGrad rounds the slope to float32 before multiplying (g * slope), a backward
   * that multiplies by the saved slope gets unaryGrad's bits; on js in float32 (which the linear op
   * never sends here) the product would be rounded twice instead of once.
   */
  matmulBiasAct?(
    a: DataBuffer, b: DataBuffer, bias: DataBuffer | null, out: DataBuffer,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, biasBatchStride: number,
    act: FusedActivation, slope?: DataBuffer | null,
  ): void;
  /** x viewed as [outer, mid, inner]; out[o, i] = reduce over mid. */
  reduce(op: ReduceOp, x: DataBuffer, out: DataBuffer, outer: number, mid: number, inner: number): void;
  /**
   * Strided gather into a contiguous destination: for each index idx over `shape`,
   * dst[dstOffset + flat(idx)] = src[srcOffset + idx . srcStrides].
   * Serves transpose, expand (stride 0), slice and concat.
   */
  copyStrided(
    src: DataBuffer, srcOffset: number, srcStrides: readonly number[],
    dst: DataBuffer, dstOffset: number, shape: readonly number[],
  ): void;
  /**
   * dst[dstOffset + flat(idx) . dstStrides] += src[flat(idx)]: the adjoint of copyStrided,
   * used by slice/expand backward. `dstStrides` may not overlap (no stride 0).
   */
  addStrided(
    src: DataBuffer, dst: DataBuffer, dstOffset: number, dstStrides: readonly number[], shape: readonly number[],
  ): void;
  /** out[r, :] = x[index[r], :] for rows of length `rowSize`. */
  gatherRows(x: DataBuffer, index: Int32Array, out: DataBuffer, rowSize: number): void;
  /** out[index[r], :] += g[r, :] (indexSelect backward; repeated indices add). */
  scatterAddRows(g: DataBuffer, index: Int32Array, out: DataBuffer, rowSize: number): void;

  /** In place, fused: one pass of Adam/AdamW over p, with moments m and v. */
  adam(p: DataBuffer, g: DataBuffer, m: DataBuffer, v: DataBuffer, h: AdamParams): void;
  /** In place: dst += t * (src - dst) (Polyak averaging of target / EMA networks). */
  lerp(dst: DataBuffer, src: DataBuffer, t: number): void;
  /**
   * Optional fused layer normalisation over `rows` contiguous rows of n: out = (x - mean) rstd,
   * rstd = (mean((x - mean)^2) + eps)^(-1/2). core/ops/layernorm.ts uses it where the backend has
   * it and composes reduce / binary / unary kernels elsewhere (js, gpujs).
   */
  layerNorm?(x: DataBuffer, out: DataBuffer, rows: number, n: number, eps: number): void;
  /** Optional: out = rstd (g - mean(g) - y mean(g y)) per row (the VJP of layerNorm; rstd recomputed from x). */
  layerNormGrad?(x: DataBuffer, y: DataBuffer, g: DataBuffer, out: DataBuffer, rows: number, n: number, eps: number): void;
  /**
   * Optional: a dropout mask drawn where it lives. out[i] = (draw_i >>> 8) < threshold ? 0 : scale, the
   * draws in order from the xoshiro128** state (4 words, updated in place); see Rng.fillBernoulliMaskOn.
   * Elsewhere (js, gpujs) Rng.fillBernoulliMask writes the buffer's view.
   */
  bernoulliMask?(out: DataBuffer, state: Uint32Array, threshold: number, scale: number): void;
}

/**
 * `matmulBiasAct` composed of a backend's own matmul, binary add and unary kernels: the
 * reference for backends without the fused kernel (and for buffers of mixed backends).
 */
export function matmulBiasActReference(
  be: Backend, a: DataBuffer, b: DataBuffer, bias: DataBuffer | null, out: DataBuffer,
  batch: number, m: number, n: number, k: number,
  transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, biasBatchStride: number,
  act: FusedActivation, slope: DataBuffer | null = null,
): void {
  checkSlope(act, slope, out);
  be.matmul(a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride);
  if (bias !== null) {
    be.binary('add', out, bias, out, [batch, m, n], [m * n, n, 1], [biasBatchStride, 0, 1]);
  }
  if (slope !== null) {
    // slope = 1 * mish'(pre): unaryGrad with a gradient of ones (the product by 1 is exact).
    const ones = be.alloc(out.length, out.dtype);
    be.fill(ones, 1);
    be.unaryGrad('mish', out, out, ones, slope);
    be.free(ones);
  }
  if (act !== 'none') be.unary(act, out, out);
}

/**
 * matmulBiasAct's slope argument, checked by every implementation: mish only, and as long as the output
 * (a kernel writes through a pointer: a shorter buffer would be overrun unnoticed).
 */
export function checkSlope(act: FusedActivation, slope: DataBuffer | null, out: DataBuffer): void {
  if (slope === null) return;
  if (act !== 'mish') throw new Error(`matmulBiasAct: a slope buffer goes with act 'mish' only, got '${act}'`);
  if (slope.length !== out.length) throw new Error(`matmulBiasAct: the slope buffer holds ${slope.length} numbers, the output ${out.length}`);
}

/** Runs the fused kernel where the backend has one, else the composed reference. */
export function matmulBiasActOn(
  be: Backend, a: DataBuffer, b: DataBuffer, bias: DataBuffer | null, out: DataBuffer,
  batch: number, m: number, n: number, k: number,
  transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, biasBatchStride: number,
  act: FusedActivation, slope: DataBuffer | null = null,
): void {
  if (be.matmulBiasAct) be.matmulBiasAct(a, b, bias, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride, biasBatchStride, act, slope);
  else matmulBiasActReference(be, a, b, bias, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride, biasBatchStride, act, slope);
}

const registry = new Map<string, () => Backend>();
const instances = new Map<string, Backend>();
let current: Backend | null = null;
let defaultName: string | null = null;

/** Registers a backend factory (called once, lazily, on first use). */
export function registerBackend(name: string, factory: () => Backend, opts: { preferred?: boolean } = {}): void {
  registry.set(name, factory);
  if (opts.preferred) defaultName = name;
}

export function listBackends(): string[] {
  return [...registry.keys()];
}

/** The backend instance for a name; throws naming the known ones if there is none. */
export function backendByName(name: string): Backend {
  let b = instances.get(name);
  if (b) return b;
  const factory = registry.get(name);
  if (!factory) {
    throw new Error(`unknown backend '${name}': known backends are ${listBackends().map((n) => `'${n}'`).join(', ')}`);
  }
  b = factory();
  instances.set(name, b);
  return b;
}

/** Switches the backend new tensors are made on and mixed-backend ops run on. */
export function setBackend(name: string): Backend {
  current = backendByName(name);
  return current;
}

/** The backend chosen so far (by setBackend or a first getBackend), or null: never creates one. */
export function currentBackend(): Backend | null {
  return current;
}

/** The backend in use: $FISOR_BACKEND if set, else the preferred registered one (wasm where available). */
export function getBackend(): Backend {
  if (current) return current;
  const env = typeof process !== 'undefined' ? process.env?.FISOR_BACKEND : undefined;
  if (env) {
    try {
      current = backendByName(env);
    } catch (e) {
      throw new Error(`FISOR_BACKEND: ${(e as Error).message}`);
    }
    return current;
  }
  current = backendByName(defaultName ?? 'js');
  return current;
}

/** The backend that runs a tensor of this dtype: float64 falls back to the js reference. */
export function backendFor(dtype: DType, preferred: Backend = getBackend()): Backend {
  return preferred.supports(dtype) ? preferred : backendByName('js');
}
