/**
 * Optimizers (SGD, Adam, AdamW), the cosine-decay schedule, gradient clipping and Polyak updates.
 *
 * All updates run in place on the parameters' buffers, outside the autodiff graph. Adam/AdamW use
 * the backend's fused `adam` kernel (one pass over p, g, m, v); softUpdate uses `lerp`.
 *
 * A parameter whose `grad` is null (it did not take part in the loss, or was zeroed with
 * `zeroGrad`) is skipped: it is not changed, and its moments and step count stay as they were
 * (PyTorch semantics for set_to_none gradients).
 */
import { noGrad, Tensor, type DType } from '../core/index.js';
import { loadInto, type Module, type StateValue } from './module.js';

export type Schedule = (step: number) => number;

export interface Optimizer {
  step(): void;
  zeroGrad(): void;
  /** Number of `step()` calls so far. */
  stepCount: number;
  /** Learning rate the next step uses (with a schedule: schedule(stepCount)). Setting it drops the schedule. */
  lr: number;
  stateDict(): Record<string, Tensor>;
  loadStateDict(sd: Record<string, StateValue>): void;
  /** Throws if a state value is impossible (negative step count, ...); loads nothing. */
  checkStateDict?(sd: Record<string, StateValue>): void;
}

/** A usable learning rate: a finite number >= 0 (NaN or Infinity would poison every parameter). */
const isLearningRate = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v !== Infinity;

function checkParams(what: string, params: Tensor[]): Tensor[] {
  if (!Array.isArray(params)) throw new Error(`${what}: params must be an array of tensors`);
  if (params.length === 0) throw new Error(`${what}: got an empty parameter list: nothing would be trained (check the module's parameters())`);
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${what}: params[${i}] is not a Tensor`);
    // Before the requiresGrad test: dispose() clears requiresGrad, which would misname the problem.
    if (p.isDisposed) throw new Error(`${what}: params[${i}] (shape [${p.shape.join(', ')}]) was disposed`);
    if (!p.requiresGrad) throw new Error(`${what}: params[${i}] (shape [${p.shape.join(', ')}]) does not require grad`);
  });
  if (new Set(params).size !== params.length) throw new Error(`${what}: the same tensor appears twice in params`);
  return [...params];
}

function stateTensor(like: Tensor): Tensor {
  const t = Tensor.empty(like.shape, like.dtype, like.backend);
  t.backend.fill(t.buffer, 0);
  return t.keep();
}

/** The gradient's buffer on the parameter's backend (a copy only if they differ). */
function gradOn(p: Tensor): Tensor | null {
  const g = p.grad;
  if (!g || g.isDisposed) return null;
  if (g.size !== p.size) throw new Error(`optimizer: gradient of shape [${g.shape.join(', ')}] does not match parameter [${p.shape.join(', ')}]`);
  if (g.backend === p.backend && g.dtype === p.dtype) return g;
  const cast = g.dtype === p.dtype ? g : g.cast(p.dtype);
  const moved = cast.toBackend(p.backend.name);
  if (cast !== g && cast !== moved) cast.dispose();
  return moved;
}

/** Throws unless `v` is a finite number >= 0 (Infinity or NaN would poison every parameter). */
function checkFiniteNonNeg(what: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${what}: ${name} must be a finite number >= 0, got ${String(v)}`);
}

/** The numbers of a state-dict entry (null when it is not a tensor or typed array: loadInto names that). */
function valuesOf(v: unknown): ArrayLike<number> | null {
  if (v instanceof Tensor) return v.isDisposed ? null : v.buffer.view();
  if (v instanceof Float32Array || v instanceof Float64Array) return v;
  return null;
}

/**
 * Checks the values of a state-dict entry (shapes and names are loadInto's): each must pass `ok`; a float32
 * target is checked as it will be stored (1e39 is finite in float64 and Infinity in float32).
 */
function checkStateValues(where: string, sd: Record<string, StateValue>, name: string, target: Tensor, ok: (x: number) => boolean, want: string): void {
  if (sd === null || typeof sd !== 'object' || !Object.hasOwn(sd, name)) return;
  const vals = valuesOf(sd[name]);
  if (!vals) return;
  const f32 = target.dtype === 'float32';
  for (let i = 0; i < vals.length; i++) {
    const x = f32 ? Math.fround(vals[i]) : vals[i];
    if (!ok(x)) throw new Error(`${where}: '${name}'[${i}] is ${vals[i]}; it must be ${want}`);
  }
}

const isCount = (x: number): boolean => Number.isInteger(x) && x >= 0;

abstract class BaseOptimizer implements Optimizer {
  stepCount = 0;
  protected baseLr: number;
  protected schedule: Schedule | null;
  protected readonly params: Tensor[];
  /** The optimizer's name in errors ('SGD', 'Adam', 'AdamW'). */
  protected readonly what: string;

  constructor(what: string, params: Tensor[], lr: number, schedule: Schedule | undefined) {
    this.what = what;
    this.params = checkParams(what, params);
    if (schedule !== undefined && typeof schedule !== 'function') throw new Error(`${what}: schedule must be a function of the step`);
    if (schedule === undefined && !isLearningRate(lr)) throw new Error(`${what}: lr must be a finite non-negative number, got ${lr}`);
    this.baseLr = lr;
    this.schedule = schedule ?? null;
  }

  /** The learning rate of the next step; a schedule's value is checked as a set one is. */
  get lr(): number {
    if (!this.schedule) return this.baseLr;
    const v = this.schedule(this.stepCount);
    if (!isLearningRate(v)) throw new Error(`optimizer: the schedule gave lr ${v} at step ${this.stepCount}; it must be a finite number >= 0`);
    return v;
  }

  set lr(v: number) {
    if (!isLearningRate(v)) throw new Error(`optimizer: lr must be a finite number >= 0, got ${v}`);
    this.baseLr = v;
    this.schedule = null;
  }

  zeroGrad(): void {
    for (const p of this.params) {
      if (p.grad) p.grad.dispose();
      p.grad = null;
    }
  }

  abstract step(): void;
  protected abstract stateTensors(): Record<string, Tensor>;

  /**
   * Throws naming the first disposed parameter, before any update: its .grad was cleared with it, so it
   * would otherwise be skipped as "no gradient" while the step count still advanced.
   */
  protected checkNotDisposed(): void {
    this.params.forEach((p, i) => {
      if (p.isDisposed) throw new Error(`${this.what}.step(): params[${i}] (shape [${p.shape.join(', ')}]) was disposed; it can no longer be trained`);
    });
  }

  stateDict(): Record<string, Tensor> {
    return this.stateTensors();
  }

  /** Validates every name, shape and value, then copies (all or nothing). */
  loadStateDict(sd: Record<string, StateValue>): void {
    this.checkStateDict(sd);
    loadInto(this.stateTensors(), sd, `${this.constructor.name}.loadStateDict`, true);
    this.afterLoad();
  }

  /**
   * Throws if a value of `sd` could not be this optimizer's state (names and shapes are loadInto's; entries
   * of the wrong kind are skipped here): a step count of -1 or 2.5, or a negative second moment, would make
   * every later update NaN or garbage. restoreState calls it for every optimizer before loading anything.
   */
  checkStateDict(sd: Record<string, StateValue>): void {
    const where = `${this.constructor.name}.loadStateDict`;
    const targets = this.stateTensors();
    checkStateValues(where, sd, 'step', targets.step, isCount, 'a whole number >= 0 (the step count)');
    this.checkLoadedValues(where, sd, targets);
  }

  /** Checks the optimizer's own state values before a load (the step count is checked for all). */
  protected checkLoadedValues(_where: string, _sd: Record<string, StateValue>, _targets: Record<string, Tensor>): void {}

  protected afterLoad(): void {}
}

/** Holds [stepCount] as a float64 tensor so it travels in state dicts. */
function counterTensor(): Tensor {
  const t = Tensor.empty([1], 'float64');
  t.backend.fill(t.buffer, 0);
  return t.keep();
}

/**
 * SGD: with momentum μ (PyTorch form) b ← μ b + g, p ← p - lr b; without, p ← p - lr g.
 */
export class SGD extends BaseOptimizer {
  readonly momentum: number;
  private readonly bufs: (Tensor | null)[];
  private readonly counter = counterTensor();

  constructor(params: Tensor[], opts: { lr: number; momentum?: number; schedule?: Schedule }) {
    super('SGD', params, opts?.lr, opts?.schedule);
    this.momentum = opts.momentum ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new Error(`SGD: momentum must be in [0, 1), got ${this.momentum}`);
    this.bufs = this.params.map((p) => (this.momentum > 0 ? stateTensor(p) : null));
  }

  step(): void {
    this.checkNotDisposed();
    const lr = this.lr;
    this.params.forEach((p, i) => {
      const g = gradOn(p);
      if (!g) return;
      const pv = p.buffer.view();
      const gv = g.buffer.view();
      const b = this.bufs[i];
      if (b) {
        const bv = b.buffer.view();
        for (let j = 0; j < pv.length; j++) {
          bv[j] = this.momentum * bv[j] + gv[j];
          pv[j] -= lr * bv[j];
        }
      } else {
        for (let j = 0; j < pv.length; j++) pv[j] -= lr * gv[j];
      }
      if (g !== p.grad) g.dispose();
    });
    this.stepCount++;
    this.counter.buffer.view()[0] = this.stepCount;
  }

  protected stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = { step: this.counter };
    this.bufs.forEach((b, i) => {
      if (b) out[`momentum.${i}`] = b;
    });
    return out;
  }

  protected override checkLoadedValues(where: string, sd: Record<string, StateValue>, targets: Record<string, Tensor>): void {
    for (const name of Object.keys(targets)) {
      if (name !== 'step') checkStateValues(where, sd, name, targets[name], Number.isFinite, 'finite (a momentum buffer)');
    }
  }

  protected override afterLoad(): void {
    this.stepCount = this.counter.buffer.view()[0];
  }
}

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Learning rate as a function of the number of steps taken so far (overrides lr). */
  schedule?: Schedule;
}

/**
 * Adam (Kingma & Ba), bias-corrected, eps outside the square root (PyTorch and optax agree):
 *   g' = g + wd p                        (Adam: L2 coupled into the gradient)
 *   m ← β1 m + (1-β1) g',  v ← β2 v + (1-β2) g'²
 *   p ← p·(1 - lr wd)[AdamW only] - lr (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + eps)
 * t counts the steps this parameter actually took (skipped parameters do not advance).
 * State dict: 'm.i', 'v.i' (moments of params[i]), 't' (per-parameter steps), 'step' ([stepCount]).
 */
export class Adam extends BaseOptimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  weightDecay: number;
  protected readonly decoupled: boolean = false;
  private readonly m: Tensor[];
  private readonly v: Tensor[];
  private readonly t: Tensor; // float64 [nParams]
  private readonly counter = counterTensor();

  constructor(params: Tensor[], opts: AdamOptions = {}, defaults: { weightDecay: number; name: string } = { weightDecay: 0, name: 'Adam' }) {
    super(defaults.name, params, opts.lr ?? 1e-3, opts.schedule);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? defaults.weightDecay;
    for (const [k, v] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new Error(`${defaults.name}: ${k} must be in [0, 1), got ${v}`);
    }
    // eps 0 is allowed (as in PyTorch); Infinity would freeze every parameter, NaN poison it.
    checkFiniteNonNeg(defaults.name, 'eps', this.eps);
    checkFiniteNonNeg(defaults.name, 'weightDecay', this.weightDecay);
    this.m = this.params.map(stateTensor);
    this.v = this.params.map(stateTensor);
    const t = Tensor.empty([this.params.length], 'float64' as DType);
    t.backend.fill(t.buffer, 0);
    this.t = t.keep();
  }

  step(): void {
    this.checkNotDisposed();
    // weightDecay is a public field: a later assignment is checked as the constructor's option was.
    checkFiniteNonNeg(`${this.what}.step()`, 'weightDecay', this.weightDecay);
    const lr = this.lr;
    const tv = this.t.buffer.view();
    this.params.forEach((p, i) => {
      const g = gradOn(p);
      if (!g) return;
      tv[i] += 1;
      p.backend.adam(p.buffer, g.buffer, this.m[i].buffer, this.v[i].buffer, {
        lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps,
        weightDecay: this.weightDecay, decoupled: this.decoupled, step: tv[i],
      });
      if (g !== p.grad) g.dispose();
    });
    this.stepCount++;
    this.counter.buffer.view()[0] = this.stepCount;
  }

  protected stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = { step: this.counter, t: this.t };
    this.params.forEach((_, i) => {
      out[`m.${i}`] = this.m[i];
      out[`v.${i}`] = this.v[i];
    });
    return out;
  }

  protected override checkLoadedValues(where: string, sd: Record<string, StateValue>, targets: Record<string, Tensor>): void {
    checkStateValues(where, sd, 't', targets.t, isCount, "a whole number >= 0 (a parameter's step count)");
    this.params.forEach((_, i) => {
      checkStateValues(where, sd, `m.${i}`, targets[`m.${i}`], Number.isFinite, 'finite (a first moment)');
      checkStateValues(where, sd, `v.${i}`, targets[`v.${i}`], (x) => Number.isFinite(x) && x >= 0, 'finite and >= 0 (a second moment)');
    });
  }

  protected override afterLoad(): void {
    this.stepCount = this.counter.buffer.view()[0];
  }
}

/** AdamW: Adam with decoupled weight decay (default 1e-2), p ← p (1 - lr wd) - lr · adam direction. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Tensor[], opts: AdamOptions = {}) {
    super(params, opts, { weightDecay: 1e-2, name: 'AdamW' });
  }
}

/**
 * optax.cosine_decay_schedule: lr(step) = baseLr · ((1 - α) · ½(1 + cos(π · min(step, T) / T)) + α).
 */
export function cosineDecay(baseLr: number, decaySteps: number, alpha = 0): Schedule {
  if (!Number.isInteger(decaySteps) || decaySteps <= 0) throw new Error(`cosineDecay: decaySteps must be a positive integer, got ${decaySteps}`);
  return (step: number) => {
    const c = Math.min(Math.max(step, 0), decaySteps);
    const cosine = 0.5 * (1 + Math.cos((Math.PI * c) / decaySteps));
    return baseLr * ((1 - alpha) * cosine + alpha);
  };
}

/**
 * Scales all gradients in place so that their global L2 norm is at most maxNorm
 * (PyTorch clip_grad_norm_: coef = maxNorm / (norm + 1e-6), applied when < 1). Parameters without
 * a gradient are ignored. Returns the norm before clipping.
 *
 * A non-finite norm (an Infinity or NaN in some gradient) gives coef 0 or NaN, so every gradient turns
 * to NaN or 0, as in PyTorch by default; `errorIfNonfinite` (PyTorch's error_if_nonfinite) throws
 * instead, naming the first parameter at fault, before any gradient is touched.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number, options: { errorIfNonfinite?: boolean } = {}): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const errorIfNonfinite = options.errorIfNonfinite ?? false;
  if (typeof errorIfNonfinite !== 'boolean') throw new Error(`clipGradNorm: errorIfNonfinite must be a boolean, got ${String(errorIfNonfinite)}`);
  let sq = 0;
  const grads: Tensor[] = [];
  for (const p of params) {
    const g = p.grad;
    if (!g || g.isDisposed) continue;
    grads.push(g);
    const v = g.buffer.view();
    for (let i = 0; i < v.length; i++) sq += v[i] * v[i];
  }
  const norm = Math.sqrt(sq);
  if (errorIfNonfinite && !Number.isFinite(norm)) {
    const at = params.findIndex((p) => p.grad && !p.grad.isDisposed && p.grad.buffer.view().some((x) => !Number.isFinite(x)));
    // Every gradient finite but the sum of squares past float64's range (|g| ~ 1e155 and up): said as such.
    const why = at >= 0 ? `parameter ${at} of ${params.length} has a non-finite gradient` : 'every gradient is finite, but their sum of squares overflowed';
    throw new Error(`clipGradNorm: the total gradient norm is ${norm} (${why}); no gradient was changed`);
  }
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const g of grads) g.backend.unary('scale', g.buffer, g.buffer, coef);
  return norm;
}

/** target ← (1 - tau) target + tau source, parameter by parameter, in place, outside the graph. */
export function softUpdate(target: Module, source: Module, tau: number): void {
  if (!(tau >= 0 && tau <= 1)) throw new Error(`softUpdate: tau must be in [0, 1], got ${tau}`);
  const tp = target.namedParameters();
  const sp = new Map(source.namedParameters());
  for (const [name, t] of tp) {
    const s = sp.get(name);
    if (!s) throw new Error(`softUpdate: source has no parameter '${name}'`);
    if (s.ndim !== t.ndim || s.shape.some((d, i) => d !== t.shape[i])) {
      throw new Error(`softUpdate: '${name}' has shape [${s.shape.join(', ')}] in source, [${t.shape.join(', ')}] in target`);
    }
  }
  if (sp.size !== tp.length) throw new Error(`softUpdate: source has ${sp.size} parameters, target ${tp.length}`);
  for (const [name, t] of tp) {
    const s = sp.get(name)!;
    if (s.backend === t.backend && s.dtype === t.dtype) {
      t.backend.lerp(t.buffer, s.buffer, tau);
    } else {
      const c = noGrad(() => s.cast(t.dtype));
      const src = c.toBackend(t.backend.name);
      t.backend.lerp(t.buffer, src.buffer, tau);
      if (src !== c) src.dispose();
      c.dispose();
    }
  }
}
