/**
 * COptiDICE (OSRL algorithms/coptidice.py, configs/coptidice_configs.py): offline constrained RL by stationary
 * distribution correction, with the soft-χ² f-divergence and an upper bound on the cost.
 *
 * Networks and scalars: squashed-Gaussian actor; ν(s) and χ(s), each the min of numQ state-only MLPs; raw λ̃, τ̃
 * (λ = softplus(λ̃), τ = softplus(τ̃)). No targets.
 *   f(x) = x(ln(x + 1e-10) - 1) + 1 for x < 1, ½(x - 1)² otherwise;  (f')⁻¹(y) = e^min(y, 0) for y < 0, y + 1 otherwise.
 *   e = r - λ̄·c + γ(1 - done)·ν(s') - ν(s);   w = max(0, (f')⁻¹(e / α_f)).
 *
 * Per step, in OSRL's order (one method per loss):
 *  1. chiTauStep: ℓ = (1 - γ)·χ(s)·init/p0 + w̄·(c + γ(1 - done)χ(s') - χ(s)); W = B·softmax(ℓ/τ̄) over the batch;
 *     D_KL = mean(W ln W - W + 1); ĉ = mean(W·w̄·c); L_χ = mean(W·ℓ);  L_τ = τ·(ε - D̄_KL).
 *  2. nuStep:     L_ν = (1 - γ)·mean(ν(s)·init/p0) + mean(w·e - α_f·f(w)).
 *  3. lambdaStep: L_λ = λ·(qc_thres - ĉ̄)  (λ rises while the estimated cost ĉ exceeds the threshold).
 *  4. actorStep:  w̄ again with the updated ν (λ from the start of the step); s̃ = s + 0.1·σ_s·ε, ã = a + 0.1·σ_a·ε;
 *                 L_π = -mean(w̄·Σ_dims ln N(ã; μ(s̃), σ(s̃))) (pre-tanh Gaussian, as OSRL).
 * Evaluation: tanh(μ(s)) (OSRL does not multiply by maxAction here).
 */
import { noGrad, Rng, tensor, tidy, where, type Tensor } from '../../core/index.js';
import { logSoftmax, softmax } from '../../core/index.js';
import { Adam, type EnsembleMLP, type Optimizer } from '../../nn/index.js';
import type { Batch, Dataset } from '../data/dataset.js';
import { checker } from './config.js';
import { criticValues, ensembleCritic, gaussianLogProb, getRngs, inference, normal, setRngs, SquashedGaussianActor, StateBag, optimizerStep } from './common.js';
import { batchTensors, episodeLength, qcThreshold, TransitionSampler, type BatchTensors } from './data.js';
import type { Algorithm, AlgorithmDef, LoopConfig, Metrics } from './types.js';

export interface COptiDICEConfig extends LoopConfig {
  actorLr: number;
  /** Adam rate of ν and χ. */
  scalarLr: number;
  criticLr: number;
  gamma: number;
  /** α_f of the f-divergence. */
  alpha: number;
  /** ε of the cost upper bound (0 = plain ĉ = mean(w·c)). */
  costUbEpsilon: number;
  actorHidden: number[];
  criticHidden: number[];
  numNu: number;
  /** Noise scale of the state and action augmentation in the policy loss (OSRL 0.1). */
  augmentNoise: number;
  rewardScale: number;
  costScale: number;
  maxAction: number;
  episodeLen: number;
}

export const COPTIDICE_PAPER: COptiDICEConfig = {
  steps: 100_000, batchSize: 512, evalEvery: 2500, evalEpisodes: 10, logEvery: 100, checkpointEvery: 2500, costLimit: 10, dtype: 'float32',
  actorLr: 1e-4, criticLr: 1e-4, scalarLr: 1e-4, gamma: 0.99, alpha: 0.5, costUbEpsilon: 0.01,
  actorHidden: [256, 256], criticHidden: [256, 256], numNu: 2, augmentNoise: 0.1,
  rewardScale: 0.1, costScale: 1, maxAction: 1, episodeLen: 0,
};

export const COPTIDICE_CPU_CHANGES: Record<string, { value: unknown; why: string }> = {
  steps: { value: 1000, why: 'paper 100k; about a minute on 2 cores (~12-15 steps/s measured)' },
  batchSize: { value: 128, why: 'paper 512' },
  actorHidden: { value: [128, 128], why: 'paper [256, 256]' },
  criticHidden: { value: [128, 128], why: 'paper [256, 256]' },
  actorLr: { value: 1e-3, why: 'paper 1e-4 over 100k steps; a higher rate for ~70x fewer steps' },
  criticLr: { value: 1e-3, why: 'paper 1e-4; same reason' },
  scalarLr: { value: 1e-3, why: 'paper 1e-4; λ must be able to move within the short run' },
  evalEvery: { value: 0, why: 'paper 2500; evaluate once at the end' },
  evalEpisodes: { value: 20, why: 'paper 10 during training; 20 = the reported evaluation' },
  checkpointEvery: { value: 500, why: 'paper 2500' },
};

/** The transition batch plus OSRL's initial-state flags of its rows. */
export interface DiceBatch {
  batch: Batch;
  isInit: Float32Array;
}

/** Soft-χ²: f(x) = x(ln(x + 1e-10) - 1) + 1 (x < 1), ½(x - 1)² (x >= 1). */
export function fSoftChi(x: Tensor): Tensor {
  const lo = x.add(1e-10).log().sub(1).mul(x).add(1);
  const hi = x.sub(1).square().mul(0.5);
  return where(x.lt(1), lo, hi);
}

/** (f')⁻¹(y) = e^min(y, 0) (y < 0), y + 1 (y >= 0). */
export function fPrimeInverse(y: Tensor): Tensor {
  return where(y.lt(0), y.minimum(0).exp(), y.add(1));
}

export class COptiDICE implements Algorithm<DiceBatch> {
  readonly actor: SquashedGaussianActor;
  readonly nu: EnsembleMLP;
  readonly chi: EnsembleMLP;
  /** Raw λ̃ and τ̃ (λ = softplus(λ̃)), leaves with gradients. */
  readonly lambdaRaw: Tensor;
  readonly tauRaw: Tensor;
  readonly opts: { actor: Optimizer; nu: Optimizer; chi: Optimizer; lambda: Optimizer; tau: Optimizer };
  readonly qcThres: number;
  readonly rngs: { noise: Rng };
  readonly sampler: TransitionSampler | null;
  /** Dataset statistics: initial-state flags, their mean p0, per-dimension stds of observations and actions. */
  private readonly stats: { isInit: Float32Array; p0: number; obsStd: Float32Array; actStd: Float32Array } | null;
  private readonly bag: StateBag;

  constructor(readonly cfg: COptiDICEConfig, readonly obsDim: number, readonly actDim: number, task: string, dataset: Dataset | null, rng: Rng) {
    const { dtype } = cfg;
    this.actor = new SquashedGaussianActor(obsDim, actDim, cfg.actorHidden, cfg.maxAction, rng, dtype);
    this.nu = ensembleCritic(cfg.numNu, obsDim, cfg.criticHidden, rng, dtype);
    this.chi = ensembleCritic(cfg.numNu, obsDim, cfg.criticHidden, rng, dtype);
    const scalar = () => {
      const t = tensor([1], { dtype });
      t.requiresGrad = true;
      return t.keep();
    };
    this.lambdaRaw = scalar();
    this.tauRaw = scalar();
    this.opts = {
      actor: new Adam(this.actor.parameters(), { lr: cfg.actorLr }),
      nu: new Adam(this.nu.parameters(), { lr: cfg.criticLr }),
      chi: new Adam(this.chi.parameters(), { lr: cfg.criticLr }),
      lambda: new Adam([this.lambdaRaw], { lr: cfg.scalarLr }),
      tau: new Adam([this.tauRaw], { lr: cfg.scalarLr }),
    };
    this.qcThres = qcThreshold(cfg.costLimit, cfg.gamma, cfg.episodeLen > 0 ? cfg.episodeLen : episodeLength(task));
    this.rngs = { noise: new Rng(rng.nextU32()) };
    this.sampler = dataset ? new TransitionSampler(dataset, cfg.batchSize) : null;
    this.stats = dataset ? datasetStats(dataset) : null;
    this.bag = new StateBag([
      ['actor', this.actor], ['nu', this.nu], ['chi', this.chi],
      ['opt.actor', this.opts.actor], ['opt.nu', this.opts.nu], ['opt.chi', this.opts.chi], ['opt.lambda', this.opts.lambda], ['opt.tau', this.opts.tau],
    ], [['lambdaRaw', this.lambdaRaw], ['tauRaw', this.tauRaw]]);
  }

  get lambda(): number {
    return Math.log1p(Math.exp(this.lambdaRaw.buffer.view()[0]));
  }

  get tau(): number {
    return Math.log1p(Math.exp(this.tauRaw.buffer.view()[0]));
  }

  /** min over the ensemble of state-only values: [B]. */
  value(net: EnsembleMLP, s: Tensor): Tensor {
    return criticValues(net, s, null).min(0);
  }

  /** e = r - λ·c + γ(1 - done)ν(s') - ν(s) and w = max(0, (f')⁻¹(e/α)), λ a number (no gradient). */
  advantage(t: BatchTensors, lambda: number): { e: Tensor; w: Tensor } {
    const e = t.r.sub(t.c.mul(lambda)).add(this.value(this.nu, t.s2).mul(t.done.neg().add(1)).mul(this.cfg.gamma)).sub(this.value(this.nu, t.s));
    const w = fPrimeInverse(e.div(this.cfg.alpha)).relu();
    return { e, w };
  }

  /** L_χ = mean(W·ℓ) and L_τ = τ(ε - D_KL̄); also ĉ = mean(W·w̄·c) and D_KL. */
  chiTauLoss(t: BatchTensors, wBar: Tensor, init: Tensor, p0: number) {
    const B = t.s.shape[0];
    const g = this.cfg.gamma;
    const chiS = this.value(this.chi, t.s);
    const ell = chiS.mul(init).mul((1 - g) / p0).add(wBar.mul(t.c.add(this.value(this.chi, t.s2).mul(t.done.neg().add(1)).mul(g)).sub(chiS)));
    const logits = ell.div(this.tau).reshape([1, B]);
    const W = softmax(logits).reshape([B]).mul(B);
    const logW = logSoftmax(logits).reshape([B]).add(Math.log(B));
    const dkl = W.mul(logW).sub(W).add(1).mean();
    const cHat = W.mul(wBar).mul(t.c).mean();
    const chiLoss = W.mul(ell).mean();
    const tau = this.tauRaw.softplus();
    const tauLoss = tau.mul(this.cfg.costUbEpsilon - dkl.item()).sum();
    return { chiLoss, tauLoss, cHat: cHat.item(), dkl: dkl.item() };
  }

  /** L_ν = (1 - γ)·mean(ν(s)·init/p0) + mean(w·e - α·f(w)). */
  nuLoss(t: BatchTensors, init: Tensor, p0: number, lambda: number): Tensor {
    const { e, w } = this.advantage(t, lambda);
    const first = this.value(this.nu, t.s).mul(init).mean().mul((1 - this.cfg.gamma) / p0);
    return first.add(w.mul(e).sub(fSoftChi(w).mul(this.cfg.alpha)).mean());
  }

  /** L_λ = λ·(qc_thres - ĉ). */
  lambdaLoss(cHat: number): Tensor {
    return this.lambdaRaw.softplus().mul(this.qcThres - cHat).sum();
  }

  /** L_π = -mean(w̄·Σ_dims ln N(ã; μ(s̃), σ(s̃))). */
  actorLoss(t: BatchTensors, wBar: Tensor): Tensor {
    const st = this.stats!;
    const B = t.s.shape[0];
    const k = this.cfg.augmentNoise;
    const sStd = tensor(st.obsStd, { shape: [1, this.obsDim], dtype: this.cfg.dtype }).mul(k);
    const aStd = tensor(st.actStd, { shape: [1, this.actDim], dtype: this.cfg.dtype }).mul(k);
    const sNoisy = t.s.add(normal(this.rngs.noise, [B, this.obsDim], this.cfg.dtype).mul(sStd));
    const aNoisy = t.a.add(normal(this.rngs.noise, [B, this.actDim], this.cfg.dtype).mul(aStd));
    const { mu, logStd } = this.actor.dist(sNoisy);
    return wBar.mul(gaussianLogProb(aNoisy, mu, logStd).sum(1)).mean().neg();
  }

  sample(rng: Rng): DiceBatch {
    if (!this.sampler || !this.stats) throw new Error('COptiDICE: built without a dataset (acting only); cannot sample');
    const batch = this.sampler.sample(rng);
    const isInit = new Float32Array(batch.size);
    for (let i = 0; i < batch.size; i++) isInit[i] = this.stats.isInit[this.sampler.idx[i]];
    return { batch, isInit };
  }

  update({ batch: b, isInit }: DiceBatch): Metrics {
    return tidy(() => {
      if (!this.stats) throw new Error('COptiDICE: built without a dataset; cannot update');
      const t = batchTensors(b, this.obsDim, this.actDim, this.cfg.dtype, this.cfg.rewardScale, this.cfg.costScale);
      const init = tensor(isInit, { shape: [b.size], dtype: this.cfg.dtype });
      const p0 = this.stats.p0;
      const step = optimizerStep;
      const lambda = this.lambda;
      const wBar = noGrad(() => this.advantage(t, lambda).w);
      const ct = this.chiTauLoss(t, wBar, init, p0);
      // χ and τ from the same graph: their gradients do not interact (τ's loss uses D_KL as a number).
      const chiLoss = step(this.opts.chi, ct.chiLoss);
      this.tauRaw.grad?.dispose();
      this.tauRaw.grad = null;
      const tauLoss = step(this.opts.tau, ct.tauLoss);
      const nuLoss = step(this.opts.nu, this.nuLoss(t, init, p0, lambda));
      const lambdaLoss = step(this.opts.lambda, this.lambdaLoss(ct.cHat));
      const w2 = noGrad(() => this.advantage(t, lambda).w);
      const actorLoss = step(this.opts.actor, this.actorLoss(t, w2));
      return { chiLoss, tauLoss, nuLoss, lambdaLoss, actorLoss, cost: ct.cHat, dkl: ct.dkl, lambda: this.lambda, tau: this.tau, wMean: w2.mean().item() };
    });
  }

  act(observations: Float32Array): Float32Array {
    const B = observations.length / this.obsDim;
    return inference(() => this.actor.dist(tensor(observations, { shape: [B, this.obsDim], dtype: this.cfg.dtype })).mu.tanh());
  }

  stateTensors() { return this.bag.tensors(); }
  loadState(loaded: Parameters<StateBag['load']>[0]) { this.bag.load(loaded); }
  rngStates() { return getRngs(this.rngs); }
  setRngStates(s: Parameters<typeof setRngs>[1]) { setRngs(this.rngs, s, 'COptiDICE'); }
}

/** OSRL TransitionDataset extras: is_init[i] = done[i-1] (is_init[0] = 1), p0 = mean, per-dimension stds. */
export function datasetStats(ds: Dataset): { isInit: Float32Array; p0: number; obsStd: Float32Array; actStd: Float32Array } {
  const isInit = new Float32Array(ds.size);
  let sum = 0;
  for (let i = 0; i < ds.size; i++) {
    isInit[i] = i === 0 || ds.terminals[i - 1] > 0 || ds.timeouts[i - 1] > 0 ? 1 : 0;
    sum += isInit[i];
  }
  const std = (x: Float32Array, d: number) => {
    const n = x.length / d;
    const out = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += x[i * d + j];
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (x[i * d + j] - m) ** 2;
      out[j] = Math.sqrt(v / n);
    }
    return out;
  };
  return { isInit, p0: sum / ds.size, obsStd: std(ds.observations, ds.observationSize), actStd: std(ds.actions, ds.actionSize) };
}

function checkDice(c: COptiDICEConfig): void {
  const k = checker();
  for (const key of ['actorLr', 'criticLr', 'scalarLr', 'alpha', 'rewardScale', 'costScale', 'maxAction'] as const) k.pos(key, c[key]);
  k.unit('gamma', c.gamma);
  if (!(c.costUbEpsilon > 0)) throw new Error(`config key 'costUbEpsilon' must be > 0 (the cost upper bound is always on here), got ${c.costUbEpsilon}`);
  k.nonneg('augmentNoise', c.augmentNoise);
  for (const key of ['actorHidden', 'criticHidden'] as const) {
    if (c[key].length === 0) throw new Error(`config key '${key}' must have at least one layer`);
    c[key].forEach((h, i) => k.int(`${key}[${i}]`, h));
  }
  k.int('numNu', c.numNu);
  if (!(Number.isInteger(c.episodeLen) && c.episodeLen >= 0)) throw new Error(`config key 'episodeLen' must be an integer >= 0, got ${c.episodeLen}`);
}

export const COPTIDICE: AlgorithmDef<COptiDICEConfig> = {
  name: 'coptidice',
  summary: 'stationary-distribution correction with a cost upper bound, soft-chi^2 divergence (OSRL COptiDICE)',
  paper: COPTIDICE_PAPER,
  cpuChanges: COPTIDICE_CPU_CHANGES,
  check: checkDice,
  create: ({ cfg, obsDim, actDim, task, dataset, rng }) => new COptiDICE(cfg, obsDim, actDim, task, dataset, rng),
};
