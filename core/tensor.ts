/**
 * Tensor: contiguous row-major numbers on a backend, plus the autodiff graph link.
 *
 * Methods are thin: each op's math lives in core/ops/*; `backward` runs core/autograd.ts's engine.
 */
import { apply, disposeOwned, isGradEnabled, runBackward, type GraphNode } from './autograd.js';
import { backendByName, backendFor, getBackend, type Backend, type DType, type TypedArray } from './backend.js';
import { isKept, isScopeDisposing, keep, owned, Storage, track, unwatch, watch } from './memory.js';
import { checkShape, fmtShape, sizeOf, type Shape } from './shape.js';
import * as binary from './ops/binary.js';
import * as unary from './ops/unary.js';
import * as reduce from './ops/reduce.js';
import * as movement from './ops/movement.js';
import { matmul } from './ops/matmul.js';

export type NestedArray = number | NestedArray[];

/** The companions of a tensor whose op owns nothing (shared, so that tidy allocates nothing per tensor). */
const NO_TENSORS: readonly Tensor[] = Object.freeze([]);

export class Tensor {
  /** The autodiff node that produced this tensor (null for leaves and constants). */
  node: GraphNode | null = null;
  /** dL/dself after `backward`, for tensors with `requiresGrad` that no op produced. */
  grad: Tensor | null = null;
  requiresGrad = false;
  /**
   * @internal Set when tidy() disposed this tensor while it was part of a graph: a later
   * backward() through it throws (telling to call backward inside the tidy) instead of
   * silently passing no gradient.
   */
  releasedByScope = false;
  private storage: Storage;
  private readonly token = {};
  private watched = false;

  constructor(storage: Storage, readonly shape: readonly number[], readonly dtype: DType) {
    this.storage = storage;
    if (!track(this)) this.untracked();
  }

  /** Arms the garbage-collector safety net (once) for a tensor no tidy scope owns. */
  untracked(): void {
    if (!this.storage.buffer) return;
    if (this.watched) {
      if (isKept(this)) owned(this.storage); // kept after it escaped: owned on purpose
      return;
    }
    this.watched = true;
    watch(this, this.storage, this.token);
  }


  /** A new uninitialised tensor on `backend` (the current one by default). */
  static empty(shape: Shape, dtype: DType = 'float32', backend?: Backend): Tensor {
    // Every tensor is made here: an unknown dtype would otherwise become float32 data under a made-up label.
    if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`unknown dtype '${String(dtype)}': use 'float32' or 'float64'`);
    // O(rank): a negative or fractional size would otherwise allocate |product| elements under a bad shape.
    const s = checkShape('Tensor.empty', shape);
    const b = backendFor(dtype, backend ?? getBackend());
    const n = sizeOf(s);
    let buf;
    try {
      buf = b.alloc(n, dtype);
    } catch (e) {
      // An allocation failure: the js backend's own is a bare "Invalid typed array length"; name what was asked for.
      if (!(e instanceof RangeError)) throw e;
      throw new RangeError(`cannot allocate a tensor of shape ${fmtShape(s)} (${n} ${dtype} elements) on backend '${b.name}': ${e.message}`);
    }
    return new Tensor(new Storage(buf), s, dtype);
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get ndim(): number {
    return this.shape.length;
  }

  get backend(): Backend {
    return this.buffer.backend;
  }

  /** True when another live tensor shares this one's storage. */
  get isShared(): boolean {
    return this.storage.refCount > 1;
  }

  get isDisposed(): boolean {
    return this.storage.buffer === null;
  }

  /** The backend buffer; throws if the tensor was disposed. */
  get buffer() {
    const b = this.storage.buffer;
    if (!b) throw new Error(`tensor of shape ${fmtShape(this.shape)} was disposed and cannot be used`);
    return b;
  }

  /**
   * Releases the memory now (wasm); further use throws. Safe to call twice. A graph that ran
   * through this tensor ends here: a later backward sends no gradient into or past it.
   */
  dispose(): void {
    if (this.storage.buffer === null) return;
    if (this.watched) unwatch(this.token);
    this.storage.release();
    this.storage = new Storage(null);
    if (this.grad) this.grad.dispose();
    this.grad = null;
    // A disposed tensor ends the graph: backward passes no gradient into it or through it
    // (and throws if tidy disposed it: see releasedByScope).
    if (this.requiresGrad && isScopeDisposing()) this.releasedByScope = true;
    if (this.node) disposeOwned(this.node);
    this.node = null;
    this.requiresGrad = false;
  }

  /** @internal The tensors this one's op made for its backward (OpDef.owns): tidy keeps them with it. */
  companions(): readonly Tensor[] {
    const node = this.node;
    if (!node?.op.owns || node.released) return NO_TENSORS;
    return node.op.owns.map((i) => node.inputs[i]).filter((t) => t !== undefined);
  }

  /** Exempts this tensor from enclosing `tidy` scopes. */
  keep(): this {
    return keep(this);
  }

  /** A tensor sharing this one's storage with another shape (no copy). */
  shareAs(shape: Shape): Tensor {
    return new Tensor(this.storage.retain(), [...shape], this.dtype);
  }

  /** The same numbers, cut from the graph. Shares storage. */
  detach(): Tensor {
    return this.shareAs(this.shape);
  }

  /** A copy of the numbers as a typed array (float32 or float64). */
  dataSync(): TypedArray {
    return this.buffer.view().slice();
  }

  /** The numbers as a plain array, flat. */
  toFlatArray(): number[] {
    return Array.from(this.buffer.view());
  }

  /** The numbers as nested arrays following the shape (a number for rank 0). */
  toArray(): NestedArray {
    const flat = this.buffer.view();
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return flat[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** The single number of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor of shape ${fmtShape(this.shape)} has ${this.size} elements, not 1`);
    return this.buffer.view()[0];
  }

  /** Same numbers on another backend (a copy; returns this if already there). */
  toBackend(name: string): Tensor {
    const target = backendFor(this.dtype, backendByName(name));
    if (target === this.backend) return this;
    const out = Tensor.empty(this.shape, this.dtype, target);
    target.write(out.buffer, this.buffer.view());
    return out;
  }

  // ---- elementwise, two inputs (numpy broadcasting) ----
  add(o: Tensor | number): Tensor { return binary.add(this, o); }
  sub(o: Tensor | number): Tensor { return binary.sub(this, o); }
  mul(o: Tensor | number): Tensor { return binary.mul(this, o); }
  div(o: Tensor | number): Tensor { return binary.div(this, o); }
  maximum(o: Tensor | number): Tensor { return binary.maximum(this, o); }
  minimum(o: Tensor | number): Tensor { return binary.minimum(this, o); }
  /** Comparisons give 1 or 0 and carry no gradient. */
  gt(o: Tensor | number): Tensor { return binary.compare('gt', this, o); }
  ge(o: Tensor | number): Tensor { return binary.compare('ge', this, o); }
  lt(o: Tensor | number): Tensor { return binary.compare('lt', this, o); }
  le(o: Tensor | number): Tensor { return binary.compare('le', this, o); }
  eq(o: Tensor | number): Tensor { return binary.compare('eq', this, o); }

  // ---- elementwise, one input ----
  neg(): Tensor { return unary.unaryOp('neg', this); }
  exp(): Tensor { return unary.unaryOp('exp', this); }
  log(): Tensor { return unary.unaryOp('log', this); }
  sqrt(): Tensor { return unary.unaryOp('sqrt', this); }
  square(): Tensor { return unary.unaryOp('square', this); }
  abs(): Tensor { return unary.unaryOp('abs', this); }
  sign(): Tensor { return unary.unaryOp('sign', this); }
  tanh(): Tensor { return unary.unaryOp('tanh', this); }
  sigmoid(): Tensor { return unary.unaryOp('sigmoid', this); }
  softplus(): Tensor { return unary.unaryOp('softplus', this); }
  relu(): Tensor { return unary.unaryOp('relu', this); }
  mish(): Tensor { return unary.unaryOp('mish', this); }
  sin(): Tensor { return unary.unaryOp('sin', this); }
  cos(): Tensor { return unary.unaryOp('cos', this); }
  reciprocal(): Tensor { return unary.unaryOp('reciprocal', this); }
  /** x^p for a scalar exponent p. */
  pow(p: number): Tensor { return unary.pow(this, p); }
  /** min(max(x, lo), hi); the gradient passes where lo <= x <= hi. */
  clamp(lo: number, hi: number): Tensor { return unary.clamp(this, lo, hi); }
  /** A copy (in the graph: identity). */
  clone(): Tensor { return unary.unaryOp('copy', this); }
  /** The same numbers in another dtype (in the graph: identity). */
  cast(dtype: DType): Tensor { return unary.cast(this, dtype); }

  // ---- products and reductions ----
  matmul(o: Tensor): Tensor { return matmul(this, o); }
  sum(axes?: number | number[], keepdim = false): Tensor { return reduce.reduceOp('sum', this, axes, keepdim); }
  mean(axes?: number | number[], keepdim = false): Tensor { return reduce.mean(this, axes, keepdim); }
  max(axes?: number | number[], keepdim = false): Tensor { return reduce.reduceOp('max', this, axes, keepdim); }
  min(axes?: number | number[], keepdim = false): Tensor { return reduce.reduceOp('min', this, axes, keepdim); }

  // ---- movement ----
  /** Same numbers, new shape (one size may be -1). Shares storage when no graph is recorded. */
  reshape(shape: readonly number[]): Tensor { return movement.reshape(this, shape); }
  /** Permutes axes (default: reverse them). */
  transpose(perm?: readonly number[]): Tensor { return movement.transpose(this, perm); }
  /** Broadcasts size-1 axes (and new leading axes) to `shape`. */
  expand(shape: readonly number[]): Tensor { return movement.expand(this, shape); }
  /** TF.js-style slice: `begin` per axis, `size` per axis (-1 = to the end). */
  slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor {
    return movement.slice(this, begin, size);
  }
  /** Rows along axis 0 picked by an integer index (minibatches, ensemble members). */
  indexSelect(index: Tensor | Int32Array | readonly number[]): Tensor { return movement.indexSelect(this, index); }

  /**
   * Reverse-mode autodiff from this tensor. A non-scalar needs `seed` (dL/dthis). Gradients
   * accumulate into `.grad` of every leaf with `requiresGrad`. The graph is released afterwards
   * unless `retainGraph` is set.
   */
  backward(seed?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    runBackward(this, seed, opts.retainGraph ?? false);
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}, ${this.backend.name})`;
  }
}

/** Makes a tensor from a number, (nested) array or typed array. */
export function tensor(
  data: NestedArray | ArrayLike<number>,
  opts: { shape?: readonly number[]; dtype?: DType; requiresGrad?: boolean; backend?: string } = {},
): Tensor {
  const { flat, shape: inferred } = flatten(data);
  const shape = opts.shape ? checkShape('tensor', opts.shape) : inferred;
  if (sizeOf(shape) !== flat.length) {
    throw new Error(`tensor: ${flat.length} values do not fill shape ${fmtShape(shape)} (${sizeOf(shape)} elements)`);
  }
  const dtype = opts.dtype ?? 'float32';
  const t = Tensor.empty(shape, dtype, opts.backend ? backendByName(opts.backend) : undefined);
  t.backend.write(t.buffer, flat);
  t.requiresGrad = opts.requiresGrad ?? false;
  return t;
}

function flatten(data: NestedArray | ArrayLike<number>): { flat: ArrayLike<number>; shape: number[] } {
  if (typeof data === 'number') return { flat: [data], shape: [] };
  if (ArrayBuffer.isView(data)) return { flat: data as ArrayLike<number>, shape: [(data as ArrayLike<number>).length] };
  if (!Array.isArray(data)) throw new Error('tensor: data must be a number, an array or a typed array');
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: number[] = [];
  const walk = (x: unknown, dim: number): void => {
    if (dim === shape.length) {
      if (typeof x !== 'number') throw new Error(`tensor: ragged or non-numeric data (expected a number at depth ${dim})`);
      flat.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      throw new Error(`tensor: ragged nested array: expected length ${shape[dim]} at depth ${dim}`);
    }
    for (const v of x) walk(v, dim + 1);
  };
  walk(data, 0);
  return { flat, shape };
}

export { apply, isGradEnabled };
