/**
 * CPQ, Constraints Penalized Q-learning (OSRL algorithms/cpq.py, configs/cpq_configs.py).
 *
 * Networks: squashed-Gaussian actor; reward and cost critics (numQ MLPs each, `predict` = min) with targets; a
 * VAE of the behaviour actions; a scalar α (as ln α).  q_thres = κ(1 - γ^T)/((1 - γ)T), qc_thres = qcScalar·q_thres.
 *
 * Per step, in OSRL's order (one method per loss):
 *  1. vaeStep:        as BCQ-Lag's.
 *  2. criticStep:     a' from the current actor at s'; y = r + γ(1 - done)·1[Qc_targ(s', a') <= q_thres]·Q_targ(s', a');
 *                     L = Σ_i mean (Q_i - y)².
 *  3. costCriticStep: y_c = c + γ·Qc_targ(s', a'') (no (1 - done)), a'' a fresh draw from the actor at s' (OSRL's
 *                     cost_critic_loss samples its own next actions, not the critic's);
 *                     L = Σ_i mean (Qc_i - y_c)² - α·(mean(qc_ood) - qc_thres).
 *                     OSRL computes the OOD term under no_grad with α a plain number, so it is a constant: the cost
 *                     critic learns from the MSE only (reproduced here, see BASELINES.md §3).
 *                     qc_ood(s) = mean over sampleActionNum pre-tanh actor samples u of 1[KL(s, u) >= q75]·Qc_targ(s, u),
 *                     q75 = the 0.75 quantile of all the samples' VAE KLs.  α step: ln α ← clamp(ln α +
 *                     alphaLr·α·(qc_thres - mean(qc_ood)), -5, 5).
 *  4. actorStep:      a = tanh(u)·maxAction (reparameterised); L = -mean(1[Qc(s, a) <= q_thres]·Q(s, a)).
 *  5. Polyak updates of both critics' targets (OSRL also updates an actor target that nothing reads; omitted).
 * Evaluation: tanh(μ(s))·maxAction.
 */
import { noGrad, Rng, tensor, tidy, type Tensor } from '../../core/index.js';
import { Adam, softUpdate, type EnsembleMLP, type Optimizer } from '../../nn/index.js';
import type { Batch, Dataset } from '../data/dataset.js';
import { checker } from './config.js';
import { criticValues, ensembleCritic, ensembleMse, getRngs, inference, normal, setRngs, SquashedGaussianActor, StateBag, VAE, vaeKl, vaeLoss, optimizerStep } from './common.js';
import { batchTensors, episodeLength, qcThreshold, TransitionSampler, type BatchTensors } from './data.js';
import type { Algorithm, AlgorithmDef, LoopConfig, Metrics } from './types.js';

export interface CPQConfig extends LoopConfig {
  actorLr: number;
  criticLr: number;
  vaeLr: number;
  alphaLr: number;
  beta: number;
  gamma: number;
  tau: number;
  vaeHidden: number[];
  actorHidden: number[];
  criticHidden: number[];
  numQ: number;
  /** Pre-tanh actor samples per state in the OOD estimate. */
  sampleActionNum: number;
  /** qc_thres = qcScalar·q_thres. */
  qcScalar: number;
  rewardScale: number;
  costScale: number;
  maxAction: number;
  episodeLen: number;
}

export const CPQ_PAPER: CPQConfig = {
  steps: 100_000, batchSize: 512, evalEvery: 2500, evalEpisodes: 10, logEvery: 100, checkpointEvery: 2500, costLimit: 10, dtype: 'float32',
  actorLr: 1e-4, criticLr: 1e-3, vaeLr: 1e-3, alphaLr: 1e-4, beta: 0.5, gamma: 0.99, tau: 0.005,
  vaeHidden: [400, 400], actorHidden: [256, 256], criticHidden: [256, 256], numQ: 2, sampleActionNum: 10, qcScalar: 1.5,
  rewardScale: 0.1, costScale: 1, maxAction: 1, episodeLen: 0,
};

export const CPQ_CPU_CHANGES: Record<string, { value: unknown; why: string }> = {
  steps: { value: 1000, why: 'paper 100k; about a minute on 2 cores (~15 steps/s measured at these sizes)' },
  batchSize: { value: 128, why: 'paper 512' },
  vaeHidden: { value: [128, 128], why: 'paper [400, 400]; the VAE only feeds the (constant) OOD term and α' },
  actorHidden: { value: [128, 128], why: 'paper [256, 256]' },
  criticHidden: { value: [128, 128], why: 'paper [256, 256]' },
  actorLr: { value: 1e-3, why: 'paper 1e-4 over 100k steps; a higher rate for ~70x fewer steps' },
  tau: { value: 0.02, why: 'paper 0.005; targets must track within 1k steps' },
  evalEvery: { value: 0, why: 'paper 2500; evaluate once at the end' },
  evalEpisodes: { value: 20, why: 'paper 10 during training; 20 = the reported evaluation' },
  checkpointEvery: { value: 500, why: 'paper 2500' },
};

/** Linear-interpolation quantile (torch.quantile's default) of `v` at q in [0, 1]. */
export function quantile(v: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(v).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export class CPQ implements Algorithm<Batch> {
  readonly actor: SquashedGaussianActor;
  readonly critic: EnsembleMLP;
  readonly criticTarget: EnsembleMLP;
  readonly costCritic: EnsembleMLP;
  readonly costCriticTarget: EnsembleMLP;
  readonly vae: VAE;
  /** [ln α]. */
  readonly logAlpha: Tensor;
  readonly opts: { vae: Optimizer; actor: Optimizer; critic: Optimizer; costCritic: Optimizer };
  readonly qThres: number;
  readonly qcThres: number;
  readonly rngs: { noise: Rng };
  readonly sampler: TransitionSampler | null;
  private readonly bag: StateBag;

  constructor(readonly cfg: CPQConfig, readonly obsDim: number, readonly actDim: number, task: string, dataset: Dataset | null, rng: Rng) {
    const { dtype } = cfg;
    const S = obsDim, A = actDim;
    this.actor = new SquashedGaussianActor(S, A, cfg.actorHidden, cfg.maxAction, rng, dtype);
    const critic = () => ensembleCritic(cfg.numQ, S + A, cfg.criticHidden, rng, dtype);
    this.critic = critic();
    this.criticTarget = critic();
    this.criticTarget.copyFrom(this.critic);
    this.costCritic = critic();
    this.costCriticTarget = critic();
    this.costCriticTarget.copyFrom(this.costCritic);
    this.vae = new VAE(S, A, 2 * A, cfg.vaeHidden, cfg.maxAction, rng, dtype);
    this.logAlpha = tensor([0], { dtype: 'float64' }).keep();
    this.opts = {
      vae: new Adam(this.vae.parameters(), { lr: cfg.vaeLr }),
      actor: new Adam(this.actor.parameters(), { lr: cfg.actorLr }),
      critic: new Adam(this.critic.parameters(), { lr: cfg.criticLr }),
      costCritic: new Adam(this.costCritic.parameters(), { lr: cfg.criticLr }),
    };
    this.qThres = qcThreshold(cfg.costLimit, cfg.gamma, cfg.episodeLen > 0 ? cfg.episodeLen : episodeLength(task));
    this.qcThres = cfg.qcScalar * this.qThres;
    this.rngs = { noise: new Rng(rng.nextU32()) };
    this.sampler = dataset ? new TransitionSampler(dataset, cfg.batchSize) : null;
    this.bag = new StateBag([
      ['actor', this.actor], ['critic', this.critic], ['criticTarget', this.criticTarget], ['costCritic', this.costCritic],
      ['costCriticTarget', this.costCriticTarget], ['vae', this.vae],
      ['opt.vae', this.opts.vae], ['opt.actor', this.opts.actor], ['opt.critic', this.opts.critic], ['opt.costCritic', this.opts.costCritic],
    ], [['logAlpha', this.logAlpha]]);
  }

  get alpha(): number {
    return Math.exp(this.logAlpha.buffer.view()[0]);
  }

  vaeLoss(t: BatchTensors) {
    const { recon, mu, logStd } = this.vae.forward(t.s, t.a, this.rngs.noise);
    return vaeLoss(recon, t.a, mu, logStd, this.cfg.beta);
  }

  /** y = r + γ(1 - done)·1[Qc_targ(s', a') <= q_thres]·Q_targ(s', a'), a' ~ current actor. */
  criticLoss(t: BatchTensors, a2: Tensor): { loss: Tensor; q: Tensor } {
    const y = noGrad(() => {
      const q2 = criticValues(this.criticTarget, t.s2, a2).min(0);
      const qc2 = criticValues(this.costCriticTarget, t.s2, a2).min(0);
      return t.r.add(qc2.le(this.qThres).mul(q2).mul(t.done.neg().add(1)).mul(this.cfg.gamma));
    });
    const q = criticValues(this.critic, t.s, t.a);
    return { loss: ensembleMse(q, y), q };
  }

  /**
   * qc_ood per state: mean over samples u (pre-tanh, unscaled) of 1[KL_u >= q75]·Qc_targ(s, u) (no gradient),
   * as a plain array of B numbers.
   */
  oodCost(t: BatchTensors): Float64Array {
    return noGrad(() => {
      const B = t.s.shape[0], N = this.cfg.sampleActionNum;
      const { mu, logStd } = this.actor.dist(t.s);
      const rep = (x: Tensor) => x.reshape([1, B, x.shape[1]]).expand([N, B, x.shape[1]]).reshape([N * B, x.shape[1]]);
      const u = rep(mu).add(rep(logStd).exp().mul(normal(this.rngs.noise, [N * B, this.actDim], this.cfg.dtype)));
      const sRep = rep(t.s);
      const enc = this.vae.encode(sRep, u);
      const kl = vaeKl(enc.mu, enc.logStd).mean(1).dataSync();
      const qc = criticValues(this.costCriticTarget, sRep, u).min(0).dataSync();
      const q75 = quantile(kl, 0.75);
      const out = new Float64Array(B);
      for (let k = 0; k < N; k++) for (let i = 0; i < B; i++) if (kl[k * B + i] >= q75) out[i] += qc[k * B + i] / N;
      return out;
    });
  }

  /** y_c = c + γ·Qc_targ(s', a'); L = Σ_i mean (Qc_i - y_c)² - α·(mean(qc_ood) - qc_thres) (the last term is a constant). */
  costCriticLoss(t: BatchTensors, a2: Tensor, qcOodMean: number): { loss: Tensor; qc: Tensor } {
    const y = noGrad(() => t.c.add(criticValues(this.costCriticTarget, t.s2, a2).min(0).mul(this.cfg.gamma)));
    const qc = criticValues(this.costCritic, t.s, t.a);
    return { loss: ensembleMse(qc, y).sub(this.alpha * (qcOodMean - this.qcThres)), qc };
  }

  /** ln α ← clamp(ln α + alphaLr·α·(qc_thres - mean qc_ood), -5, 5). */
  alphaStep(qcOodMean: number): void {
    const v = this.logAlpha.buffer.view();
    v[0] = Math.max(-5, Math.min(5, v[0] + this.cfg.alphaLr * this.alpha * (this.qcThres - qcOodMean)));
  }

  /** L = -mean(1[Qc(s, a) <= q_thres]·Q(s, a)), a = tanh(u)·maxAction reparameterised. */
  actorLoss(t: BatchTensors): Tensor {
    const { action } = this.actor.sample(t.s, this.rngs.noise);
    const q = criticValues(this.critic, t.s, action).min(0);
    const qc = criticValues(this.costCritic, t.s, action).min(0);
    return qc.le(this.qThres).mul(q).mean().neg();
  }

  sample(rng: Rng): Batch {
    if (!this.sampler) throw new Error('CPQ: built without a dataset (acting only); cannot sample');
    return this.sampler.sample(rng);
  }

  update(b: Batch): Metrics {
    return tidy(() => {
      const t = batchTensors(b, this.obsDim, this.actDim, this.cfg.dtype, this.cfg.rewardScale, this.cfg.costScale);
      const step = optimizerStep;
      const v = this.vaeLoss(t);
      const vae = step(this.opts.vae, v.loss);
      const a2 = noGrad(() => this.actor.sample(t.s2, this.rngs.noise).action);
      const c = this.criticLoss(t, a2);
      const qr = c.q.mean().item();
      const critic = step(this.opts.critic, c.loss);
      // OSRL draws the cost target's next actions anew, then the OOD samples (cpq.py cost_critic_loss).
      const a2c = noGrad(() => this.actor.sample(t.s2, this.rngs.noise).action);
      const ood = this.oodCost(t);
      const oodMean = ood.reduce((x, y) => x + y, 0) / ood.length;
      const cc = this.costCriticLoss(t, a2c, oodMean);
      const qc = cc.qc.mean().item();
      const costCritic = step(this.opts.costCritic, cc.loss);
      this.alphaStep(oodMean);
      const actor = step(this.opts.actor, this.actorLoss(t));
      this.critic.zeroGrad();
      this.costCritic.zeroGrad();
      softUpdate(this.criticTarget, this.critic, this.cfg.tau);
      softUpdate(this.costCriticTarget, this.costCritic, this.cfg.tau);
      return { vaeLoss: vae, klLoss: v.kl.item(), criticLoss: critic, costCriticLoss: costCritic, actorLoss: actor, qr, qc, qcOod: oodMean, alpha: this.alpha };
    });
  }

  act(observations: Float32Array): Float32Array {
    const B = observations.length / this.obsDim;
    return inference(() => this.actor.dist(tensor(observations, { shape: [B, this.obsDim], dtype: this.cfg.dtype })).mu.tanh().mul(this.cfg.maxAction));
  }

  stateTensors() { return this.bag.tensors(); }
  loadState(loaded: Parameters<StateBag['load']>[0]) { this.bag.load(loaded); }
  rngStates() { return getRngs(this.rngs); }
  setRngStates(s: Parameters<typeof setRngs>[1]) { setRngs(this.rngs, s, 'CPQ'); }
}

function checkCPQ(c: CPQConfig): void {
  const k = checker();
  for (const key of ['actorLr', 'criticLr', 'vaeLr', 'alphaLr', 'beta', 'qcScalar', 'rewardScale', 'costScale', 'maxAction'] as const) k.pos(key, c[key]);
  k.unit('gamma', c.gamma);
  k.unit('tau', c.tau);
  for (const key of ['vaeHidden', 'actorHidden', 'criticHidden'] as const) {
    if (c[key].length === 0) throw new Error(`config key '${key}' must have at least one layer`);
    c[key].forEach((h, i) => k.int(`${key}[${i}]`, h));
  }
  k.int('numQ', c.numQ);
  k.int('sampleActionNum', c.sampleActionNum);
  if (!(Number.isInteger(c.episodeLen) && c.episodeLen >= 0)) throw new Error(`config key 'episodeLen' must be an integer >= 0, got ${c.episodeLen}`);
}

export const CPQ_DEF: AlgorithmDef<CPQConfig> = {
  name: 'cpq',
  summary: 'Constraints Penalized Q-learning: reward backups only through states the cost critic deems safe (OSRL CPQ)',
  paper: CPQ_PAPER,
  cpuChanges: CPQ_CPU_CHANGES,
  check: checkCPQ,
  create: ({ cfg, obsDim, actDim, task, dataset, rng }) => new CPQ(cfg, obsDim, actDim, task, dataset, rng),
};
