/**
 * Layers: Linear, LayerNorm, Dropout, MLP, EnsembleMLP, MLPResNet.
 *
 * Shapes: a Linear weight is [in, out] (x · W, no transpose in the forward); an ensemble layer
 * stacks n of them, [n, in, out], with bias [n, 1, out], and runs all members in one batched
 * matrix product. Linear layers run as core's fused `linear` op (bias, and the activation when
 * nothing sits between, in the GEMM epilogue); its backward products carry transpose flags
 * rather than transposed copies.
 */
import { layerNormalize, linear, Rng, Tensor, type DType } from '../core/index.js';
import { kindOf } from '../core/describe.js';
import { checkLayerNormEps } from '../core/ops/layernorm.js';
import { makeParameter, Module } from './module.js';

/** LayerNorm's op lives in core (core/ops/layernorm.ts); re-exported for nn's users. */
export { layerNormalize, LayerNormalize } from '../core/index.js';

export type Activation = 'relu' | 'mish' | 'tanh' | 'none';
export type Init = 'xavier' | 'torch' | 'lecun';

/** Applies an activation by name. */
export function activate(x: Tensor, act: Activation): Tensor {
  switch (act) {
    case 'relu': return x.relu();
    case 'mish': return x.mish();
    case 'tanh': return x.tanh();
    case 'none': return x;
    default: throw new Error(`unknown activation '${String(act)}' (relu, mish, tanh, none)`);
  }
}

function checkSize(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer, got ${String(n)}`);
  return n;
}

/** Throws unless `x` is a Tensor (an array would fail inside as "cannot read properties of undefined"). */
function checkInput(what: string, x: unknown): void {
  if (!(x instanceof Tensor)) throw new Error(`${what}: input must be a Tensor, got ${kindOf(x)}`);
}

/**
 * A dropout rate as every layer takes it: undefined (or null) is `fallback`; otherwise a finite number in [0, 1) (0 = off).
 * (MLP and EnsembleMLP tested it by truthiness, so NaN meant off; MLPResNet by > 0, so -1 and NaN meant off.)
 */
function checkDropout(what: string, p: unknown, fallback: number): number {
  if (p === undefined || p === null) return fallback; // as `??` treated it
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`${what}: dropout must be a finite number in [0, 1) (0 = off), got ${String(p)}`);
  return p;
}

function uniformArray(n: number, a: number, rng: Rng): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rng.uniform53() - 1) * a;
  return out;
}

/**
 * Weight and bias values for `members` independent [in, out] layers.
 * - xavier (FISOR / flax xavier_uniform): W ~ U(-a, a), a = sqrt(6 / (in + out)); bias 0.
 * - torch (PyTorch nn.Linear default): W, b ~ U(-1/sqrt(in), 1/sqrt(in)).
 * - lecun (flax.linen.Dense default, lecun_normal): W ~ N(0, 1/in) truncated at ±2σ (σ rescaled by
 *   1/0.87962566 so the truncated variance is 1/in); bias 0.
 * Member k's weight is drawn in full before member k+1's.
 */
function initLinear(inF: number, outF: number, members: number, init: Init, rng: Rng): { w: Float64Array; b: Float64Array } {
  const w = new Float64Array(members * inF * outF);
  const b = new Float64Array(members * outF);
  for (let k = 0; k < members; k++) {
    if (init === 'xavier') {
      w.set(uniformArray(inF * outF, Math.sqrt(6 / (inF + outF)), rng), k * inF * outF);
    } else if (init === 'torch') {
      const a = 1 / Math.sqrt(inF);
      w.set(uniformArray(inF * outF, a, rng), k * inF * outF);
      b.set(uniformArray(outF, a, rng), k * outF);
    } else if (init === 'lecun') {
      const sigma = Math.sqrt(1 / inF) / 0.8796256610342398;
      for (let i = 0; i < inF * outF; i++) {
        let z: number;
        do z = rng.normal();
        while (Math.abs(z) > 2);
        w[k * inF * outF + i] = sigma * z;
      }
    } else {
      throw new Error(`unknown init '${String(init)}' (xavier, torch or lecun)`);
    }
  }
  return { w, b };
}

export interface LinearOptions {
  bias?: boolean;
  init?: Init;
  rng?: Rng;
  dtype?: DType;
}

/** y = x · W + b, W [in, out], b [out]; x is [..., in]. */
export class Linear extends Module {
  get weight(): Tensor { return this.param('weight'); }
  get bias(): Tensor | null { return this.hasParam('bias') ? this.param('bias') : null; }

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkSize('Linear: inFeatures', inFeatures);
    checkSize('Linear: outFeatures', outFeatures);
    const rng = opts.rng ?? new Rng(0);
    const dtype = opts.dtype ?? 'float32';
    const { w, b } = initLinear(inFeatures, outFeatures, 1, opts.init ?? 'xavier', rng);
    this.registerParameter('weight', makeParameter(w, [inFeatures, outFeatures], dtype));
    if (opts.bias !== false) this.registerParameter('bias', makeParameter(b, [outFeatures], dtype));
  }

  forward(x: Tensor): Tensor {
    return this.forwardAct(x, 'none');
  }

  /**
   * activation(x · W + b) as one fused op (core `linear`: bias and activation in the GEMM
   * epilogue where the backend has the kernel); same values and gradients as forward + activate.
   */
  forwardAct(x: Tensor, activation: Activation): Tensor {
    checkInput(`Linear(${this.inFeatures}, ${this.outFeatures})`, x);
    const last = x.shape[x.ndim - 1];
    if (x.ndim === 0 || last !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures}, ${this.outFeatures}): input of shape [${x.shape.join(', ')}] does not end in ${this.inFeatures}`);
    }
    // Rank 2 is the fast path; other ranks are flattened to rows (a view) so that the weight
    // gradient is one product, not a batch of them summed afterwards.
    const x2 = x.ndim === 2 ? x : x.reshape([-1, this.inFeatures]);
    const y = linear(x2, this.weight, this.bias, activation);
    return x.ndim === 2 ? y : y.reshape([...x.shape.slice(0, -1), this.outFeatures]);
  }
}

/**
 * LayerNorm over the last axis with learnable scale (init 1) and bias (init 0), as flax.linen.LayerNorm
 * (eps default 1e-6). `paramShape` lets ensembles keep one scale/bias per member ([n, 1, size]).
 */
export class LayerNorm extends Module {
  get scale(): Tensor { return this.param('scale'); }
  get bias(): Tensor { return this.param('bias'); }
  readonly eps: number;

  constructor(readonly size: number, opts: { eps?: number; dtype?: DType; paramShape?: number[] } = {}) {
    super();
    checkSize('LayerNorm: size', size);
    this.eps = checkLayerNormEps('LayerNorm', opts.eps ?? 1e-6);
    const shape = opts.paramShape ?? [size];
    if (!Array.isArray(shape)) throw new Error(`LayerNorm: paramShape must be an array of sizes, got ${String(shape)}`);
    // Sizes >= 1 (a zero-size scale trains nothing; [-1, 3] failed as "Invalid typed array length: -3").
    shape.forEach((d, i) => checkSize(`LayerNorm: paramShape [${shape.join(', ')}] entry ${i}`, d));
    if (shape[shape.length - 1] !== size) throw new Error(`LayerNorm: paramShape [${shape.join(', ')}] must end in ${size}`);
    const n = shape.reduce((a, b) => a * b, 1);
    this.registerParameter('scale', makeParameter(new Float64Array(n).fill(1), shape, opts.dtype));
    this.registerParameter('bias', makeParameter(new Float64Array(n), shape, opts.dtype));
  }

  forward(x: Tensor): Tensor {
    checkInput(`LayerNorm(${this.size})`, x);
    if (x.shape[x.ndim - 1] !== this.size) {
      throw new Error(`LayerNorm(${this.size}): input of shape [${x.shape.join(', ')}] does not end in ${this.size}`);
    }
    return layerNormalize(x, this.eps).mul(this.scale).add(this.bias);
  }
}

/**
 * Inverted dropout: in training, each element is kept with probability 1 - p and scaled by
 * 1 / (1 - p), else zeroed; the mask comes from the given seeded Rng. Identity in eval mode or p = 0.
 */
export class Dropout extends Module {
  constructor(readonly p: number, readonly rng: Rng) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
    if (!(rng instanceof Rng)) throw new Error('Dropout: needs an Rng');
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const keepScale = 1 / (1 - this.p);
    const mask = Tensor.empty(x.shape, x.dtype, x.backend);
    // Drawn straight into the mask's buffer (by the backend's kernel where it has one): uniform() < p ? 0 : keepScale.
    this.rng.fillBernoulliMaskOn(mask.buffer, this.p, keepScale);
    return x.mul(mask);
  }
}

export interface MLPOptions {
  inputSize: number;
  hiddenSizes: number[];
  outputSize: number;
  activation?: Activation;
  layerNorm?: boolean;
  dropout?: number;
  activateFinal?: boolean;
  init?: Init;
  rng: Rng;
  dtype?: DType;
}

function checkMlpOpts(what: string, opts: MLPOptions): void {
  if (!opts || typeof opts !== 'object') throw new Error(`${what}: options object required`);
  checkSize(`${what}: inputSize`, opts.inputSize);
  checkSize(`${what}: outputSize`, opts.outputSize);
  if (!Array.isArray(opts.hiddenSizes)) throw new Error(`${what}: hiddenSizes must be an array`);
  opts.hiddenSizes.forEach((h, i) => checkSize(`${what}: hiddenSizes[${i}]`, h));
  if (!(opts.rng instanceof Rng)) throw new Error(`${what}: opts.rng (an Rng) is required`);
}

/** The layers of an MLP-like stack, as `runStack` reads them. */
interface LayerStack {
  readonly layers: readonly { forward(x: Tensor): Tensor; forwardAct(x: Tensor, act: Activation): Tensor }[];
  readonly dropouts: readonly (Dropout | null)[];
  readonly norms: readonly (LayerNorm | null)[];
  readonly activation: Activation;
  readonly activateFinal: boolean;
}

/**
 * Layer -> [Dropout] -> [LayerNorm] -> activation for each layer (the last one only with
 * activateFinal). Where nothing sits between a layer and its activation, both run as one fused op.
 */
function runStack(s: LayerStack, x: Tensor): Tensor {
  let h = x;
  const n = s.layers.length;
  for (let i = 0; i < n; i++) {
    const post = i < n - 1 || s.activateFinal;
    const d = s.dropouts[i];
    const ln = s.norms[i];
    if (post && !(d && d.training && d.p > 0) && !ln) {
      h = s.layers[i].forwardAct(h, s.activation);
      continue;
    }
    h = s.layers[i].forward(h);
    if (post) {
      if (d) h = d.forward(h);
      if (ln) h = ln.forward(h);
      h = activate(h, s.activation);
    }
  }
  return h;
}

/**
 * Multi-layer perceptron, jaxrl/FISOR layout. For each hidden size: Linear -> [Dropout] ->
 * [LayerNorm] -> activation; then Linear(outputSize), followed by the same post-block only if
 * `activateFinal`. Parameter names: 'layers.i.weight' / 'layers.i.bias', 'norms.i.scale' / 'norms.i.bias'.
 */
export class MLP extends Module {
  readonly layers: Linear[] = [];
  readonly norms: (LayerNorm | null)[] = [];
  readonly dropouts: (Dropout | null)[] = [];
  readonly activation: Activation;
  readonly activateFinal: boolean;

  constructor(opts: MLPOptions) {
    super();
    checkMlpOpts('MLP', opts);
    const dropout = checkDropout('MLP', opts.dropout, 0);
    this.activation = opts.activation ?? 'relu';
    this.activateFinal = opts.activateFinal ?? false;
    const sizes = [opts.inputSize, ...opts.hiddenSizes, opts.outputSize];
    const nLayers = sizes.length - 1;
    const dropRng = dropout ? new Rng(opts.rng.nextU32()) : null;
    for (let i = 0; i < nLayers; i++) {
      this.layers.push(this.registerModule(`layers.${i}`, new Linear(sizes[i], sizes[i + 1], { init: opts.init, rng: opts.rng, dtype: opts.dtype })));
    }
    for (let i = 0; i < nLayers; i++) {
      const post = i < nLayers - 1 || this.activateFinal;
      this.dropouts.push(post && dropout ? this.registerModule(`dropouts.${i}`, new Dropout(dropout, dropRng!)) : null);
      this.norms.push(post && opts.layerNorm ? this.registerModule(`norms.${i}`, new LayerNorm(sizes[i + 1], { dtype: opts.dtype })) : null);
    }
  }

  forward(x: Tensor): Tensor {
    return runStack(this, x);
  }
}

/** n stacked Linear layers: W [n, in, out], b [n, 1, out]; x [B, in] (shared) or [n, B, in] -> [n, B, out]. */
export class EnsembleLinear extends Module {
  get weight(): Tensor { return this.param('weight'); }
  get bias(): Tensor { return this.param('bias'); }

  constructor(readonly members: number, readonly inFeatures: number, readonly outFeatures: number, opts: { init?: Init; rng: Rng; dtype?: DType }) {
    super();
    checkSize('EnsembleLinear: members', members);
    checkSize('EnsembleLinear: inFeatures', inFeatures);
    checkSize('EnsembleLinear: outFeatures', outFeatures);
    const { w, b } = initLinear(inFeatures, outFeatures, members, opts.init ?? 'xavier', opts.rng);
    this.registerParameter('weight', makeParameter(w, [members, inFeatures, outFeatures], opts.dtype));
    this.registerParameter('bias', makeParameter(b, [members, 1, outFeatures], opts.dtype));
  }

  forward(x: Tensor): Tensor {
    return this.forwardAct(x, 'none');
  }

  /** activation(x · W + b) as one fused op (core `linear`). */
  forwardAct(x: Tensor, activation: Activation): Tensor {
    checkInput(`EnsembleLinear(${this.members} x ${this.inFeatures} -> ${this.outFeatures})`, x);
    const ok = (x.ndim === 2 || (x.ndim === 3 && x.shape[0] === this.members)) && x.shape[x.ndim - 1] === this.inFeatures;
    if (!ok) {
      throw new Error(`EnsembleLinear(${this.members} x ${this.inFeatures} -> ${this.outFeatures}): input must be [B, ${this.inFeatures}] or [${this.members}, B, ${this.inFeatures}], got [${x.shape.join(', ')}]`);
    }
    return linear(x, this.weight, this.bias, activation);
  }
}

/**
 * `members` MLPs with independent weights evaluated in one batched product per layer.
 * Same options and layout as MLP; parameters carry a leading member axis: 'layers.i.weight'
 * [n, in, out], 'layers.i.bias' [n, 1, out], 'norms.i.scale' [n, 1, size].
 */
export class EnsembleMLP extends Module {
  readonly layers: EnsembleLinear[] = [];
  readonly norms: (LayerNorm | null)[] = [];
  readonly dropouts: (Dropout | null)[] = [];
  readonly members: number;
  readonly activation: Activation;
  readonly activateFinal: boolean;

  constructor(opts: MLPOptions & { members: number }) {
    super();
    checkMlpOpts('EnsembleMLP', opts);
    this.members = checkSize('EnsembleMLP: members', opts.members);
    const dropout = checkDropout('EnsembleMLP', opts.dropout, 0);
    this.activation = opts.activation ?? 'relu';
    this.activateFinal = opts.activateFinal ?? false;
    const sizes = [opts.inputSize, ...opts.hiddenSizes, opts.outputSize];
    const nLayers = sizes.length - 1;
    const dropRng = dropout ? new Rng(opts.rng.nextU32()) : null;
    // Draws are member-major: member k's weight of layer i is drawn in full before member k+1's.
    for (let i = 0; i < nLayers; i++) {
      const layer = new EnsembleLinear(this.members, sizes[i], sizes[i + 1], { init: opts.init, rng: opts.rng, dtype: opts.dtype });
      this.layers.push(this.registerModule(`layers.${i}`, layer));
    }
    for (let i = 0; i < nLayers; i++) {
      const post = i < nLayers - 1 || this.activateFinal;
      this.dropouts.push(post && dropout ? this.registerModule(`dropouts.${i}`, new Dropout(dropout, dropRng!)) : null);
      this.norms.push(post && opts.layerNorm
        ? this.registerModule(`norms.${i}`, new LayerNorm(sizes[i + 1], { dtype: opts.dtype, paramShape: [this.members, 1, sizes[i + 1]] }))
        : null);
    }
  }

  /** x: [B, in] shared by all members, or [n, B, in]; returns [n, B, out]. */
  forward(x: Tensor): Tensor {
    return runStack(this, x);
  }

  /**
   * Member k's parameters under MLP names and values (copies): loadable with
   * `mlp.loadStateDict(ens.memberState(k))` into an MLP with the same options.
   */
  memberState(k: number): Record<string, Float32Array | Float64Array> {
    if (!Number.isInteger(k) || k < 0 || k >= this.members) throw new Error(`EnsembleMLP.memberState: member ${k} out of range 0..${this.members - 1}`);
    const out: Record<string, Float32Array | Float64Array> = {};
    for (const [name, p] of this.namedParameters()) {
      const per = p.size / this.members;
      out[name] = p.buffer.view().slice(k * per, (k + 1) * per);
    }
    return out;
  }
}

/** Minimum over the ensemble axis: [n, B, out] -> [B, out] (FISOR's Q_r). */
export function ensembleMin(y: Tensor): Tensor {
  if (y.ndim < 1) throw new Error('ensembleMin: needs a tensor with a leading ensemble axis');
  return y.min(0);
}

/** Maximum over the ensemble axis: [n, B, out] -> [B, out] (FISOR's Q_h). */
export function ensembleMax(y: Tensor): Tensor {
  if (y.ndim < 1) throw new Error('ensembleMax: needs a tensor with a leading ensemble axis');
  return y.max(0);
}

/** One residual block: x + Dense(h)(Mish(Dense(4h)(LayerNorm(Dropout(x))))). */
export class MLPResNetBlock extends Module {
  readonly dropout: Dropout | null;
  readonly norm: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(hidden: number, opts: { dropout: number; rng: Rng; dropRng: Rng; init?: Init; dtype?: DType }) {
    super();
    const dropout = checkDropout('MLPResNetBlock', opts.dropout, 0);
    this.dropout = dropout > 0 ? this.registerModule('dropout', new Dropout(dropout, opts.dropRng)) : null;
    this.norm = this.registerModule('norm', new LayerNorm(hidden, { dtype: opts.dtype }));
    this.fc1 = this.registerModule('fc1', new Linear(hidden, 4 * hidden, { init: opts.init, rng: opts.rng, dtype: opts.dtype }));
    this.fc2 = this.registerModule('fc2', new Linear(4 * hidden, hidden, { init: opts.init, rng: opts.rng, dtype: opts.dtype }));
  }

  forward(x: Tensor): Tensor {
    let h = this.dropout ? this.dropout.forward(x) : x;
    h = this.norm.forward(h);
    h = this.fc1.forwardAct(h, 'mish');
    h = this.fc2.forward(h);
    return x.add(h);
  }
}

/**
 * FISOR's denoiser body (IDQL MLPResNet):
 *   Dense(hidden) -> blocks x [Dropout -> LayerNorm -> Dense(4 hidden) -> Mish -> Dense(hidden)] + residual
 *   -> Mish -> Dense(out).
 * As in the reference, the outer Dense layers use xavier-uniform and the Dense layers inside the
 * blocks flax's default (lecun-normal); `init` sets all of them at once. Names: 'input.*',
 * 'blocks.i.{norm,fc1,fc2}.*', 'output.*'.
 */
export class MLPResNet extends Module {
  readonly input: Linear;
  readonly blocks: MLPResNetBlock[] = [];
  readonly output: Linear;

  constructor(opts: { inputSize: number; hidden?: number; blocks?: number; outputSize: number; dropout?: number; init?: Init; rng: Rng; dtype?: DType }) {
    super();
    if (!opts || !(opts.rng instanceof Rng)) throw new Error('MLPResNet: opts.rng (an Rng) is required');
    const hidden = checkSize('MLPResNet: hidden', opts.hidden ?? 256);
    const nBlocks = opts.blocks ?? 3;
    if (!Number.isInteger(nBlocks) || nBlocks < 0) throw new Error(`MLPResNet: blocks must be a non-negative integer, got ${nBlocks}`);
    const dropout = checkDropout('MLPResNet', opts.dropout, 0.1);
    const dropRng = new Rng(opts.rng.nextU32());
    this.input = this.registerModule('input', new Linear(checkSize('MLPResNet: inputSize', opts.inputSize), hidden, { init: opts.init, rng: opts.rng, dtype: opts.dtype }));
    for (let i = 0; i < nBlocks; i++) {
      this.blocks.push(this.registerModule(`blocks.${i}`, new MLPResNetBlock(hidden, { dropout, rng: opts.rng, dropRng, init: opts.init ?? 'lecun', dtype: opts.dtype })));
    }
    this.output = this.registerModule('output', new Linear(hidden, checkSize('MLPResNet: outputSize', opts.outputSize), { init: opts.init, rng: opts.rng, dtype: opts.dtype }));
  }

  forward(x: Tensor): Tensor {
    let h = this.input.forward(x);
    for (const b of this.blocks) h = b.forward(h);
    return this.output.forward(h.mish());
  }
}
