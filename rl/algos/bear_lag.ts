/**
 * BEAR-Lag (OSRL algorithms/bearl.py, configs/bearl_configs.py at 03a4586): BEAR's support matching by MMD with a
 * PID-Lagrangian cost constraint, the BEAR-Lag column of the FISOR paper's Table 1.
 *
 * Networks: a squashed-Gaussian actor with a target copy; reward and cost critics, each two groups of numQ MLPs
 * (OSRL EnsembleDoubleQCritic) with targets; a VAE behaviour model; a scalar α for the MMD constraint (as ln α).
 * qc_thres = κ(1 - γ^T)/((1 - γ)T) as in BCQ-Lag.
 *
 * Per step, in OSRL's order (one method per loss; bearl.py lines in brackets):
 *  1. vaeLoss:        as BCQ-Lag's [147-158].
 *  2. criticLoss:     a' = tanh(u'), u' ~ the target actor at sampleActionNum copies of s'; m_g = min within group g
 *                     of the target critic; q = λ_mix·min(m1, m2) + (1 - λ_mix)·max(m1, m2), max over the copies;
 *                     y = r + γ(1 - done)·q;  L = Σ_i mean (Q_i(s, a) - y)²  [160-181].
 *  3. costCriticLoss: the same with the cost critics and y_c = c + γ·q_c (no (1 - done), as OSRL) [183-206].
 *  4. actorLoss:      numSamplesMmdMatch pre-tanh actor samples u and pre-tanh VAE decodings x per state;
 *                     MMD_b = sqrt(mean k(x, x') + mean k(u, u') - 2 mean k(x, u) + 1e-6), with the Gaussian kernel
 *                     k = exp(-|d|² / (2σ)) or the Laplacian k = exp(-|d|₁ / (2σ)) (σ, not σ², as OSRL);
 *                     on the first sample a₀ = tanh(u₀): Q = min(m1, m2), Qc = min(mc1, mc2); λ = PID(mean Qc);
 *                     L = mean(-Q + α·(MMD - ε)) + mean((Qc - qc_thres)·λ)  (before startUpdatePolicyStep the -Q
 *                     term is left out) [208-276].
 *     α step:         ln α ← clamp(ln α + alphaLr·α·mean(MMD - ε), -5, 5) (a dual ascent by hand, not Adam) [268-270].
 *  5. Polyak updates of both critics' and the actor's targets (τ) [329-335].
 * Evaluation: tanh(μ(s))·maxAction (OSRL act(obs, deterministic=True)).
 *
 * OSRL feeds the critics tanh(u) without the maxAction factor (only `act` scales); the two agree on every task here
 * (maxAction = 1). OSRL's trainer never passes alpha_lr, so its default 1e-3 (BEARLTrainer) is what runs.
 */
import { noGrad, Rng, tensor, tidy, type Tensor } from '../../core/index.js';
import { Adam, softUpdate, type EnsembleMLP, type Optimizer } from '../../nn/index.js';
import type { Batch, Dataset } from '../data/dataset.js';
import { checker } from './config.js';
import { criticValues, doubleQMinima, ensembleCritic, ensembleMse, getRngs, inference, optimizerStep, PidLagrangian, repeatRows, setRngs, softClippedDoubleQ, SquashedGaussianActor, StateBag, VAE, vaeLoss } from './common.js';
import { batchTensors, episodeLength, qcThreshold, TransitionSampler, type BatchTensors } from './data.js';
import type { Algorithm, AlgorithmDef, LoopConfig, Metrics } from './types.js';

export type MmdKernel = 'gaussian' | 'laplacian';

export interface BEARLagConfig extends LoopConfig {
  actorLr: number;
  criticLr: number;
  vaeLr: number;
  /** Step size of the hand-written ascent on ln α. */
  alphaLr: number;
  /** KL weight of the VAE. */
  beta: number;
  gamma: number;
  tau: number;
  /** Weight of the min in the soft clipped double-Q target. */
  lmbda: number;
  vaeHidden: number[];
  actorHidden: number[];
  criticHidden: number[];
  /** MLPs per critic group (2 groups). */
  numQ: number;
  /** Next-state copies in the critic targets. */
  sampleActionNum: number;
  /** Kernel width σ of the MMD (divides by 2σ). */
  mmdSigma: number;
  /** The MMD level ε the Lagrange multiplier α holds the actor to. */
  targetMmdThresh: number;
  /** Actor and VAE samples per state in the MMD. */
  numSamplesMmdMatch: number;
  kernel: MmdKernel;
  /** Updates before the actor also maximises Q (OSRL's config: 0). */
  startUpdatePolicyStep: number;
  rewardScale: number;
  costScale: number;
  /** PID gains [KP, KI, KD]. */
  pid: number[];
  maxAction: number;
  /** Episode length T in qc_thres (0 = the task's time limit, as OSRL's per-task episode_len). */
  episodeLen: number;
}

export const BEARL_PAPER: BEARLagConfig = {
  steps: 300_000, batchSize: 512, evalEvery: 2500, evalEpisodes: 10, logEvery: 100, checkpointEvery: 2500, costLimit: 10, dtype: 'float32',
  actorLr: 1e-3, criticLr: 1e-3, vaeLr: 1e-3, alphaLr: 1e-3, beta: 0.5, gamma: 0.99, tau: 0.005, lmbda: 0.75,
  vaeHidden: [400, 400], actorHidden: [256, 256], criticHidden: [256, 256], numQ: 2, sampleActionNum: 10,
  mmdSigma: 50, targetMmdThresh: 0.05, numSamplesMmdMatch: 10, kernel: 'gaussian', startUpdatePolicyStep: 0,
  rewardScale: 0.1, costScale: 1, pid: [0.1, 0.003, 0.001], maxAction: 1, episodeLen: 0,
};

export const BEARL_CPU_CHANGES: Record<string, { value: unknown; why: string }> = {
  steps: { value: 1000, why: 'paper 300k; about a minute on 2 cores at these sizes, as the other Q-based baselines' },
  batchSize: { value: 128, why: 'paper 512; the 10 next-state copies make every critic target a 10x larger batch' },
  vaeHidden: { value: [128, 128], why: 'paper [400, 400]; ~10x fewer FLOPs for 7-36-d observations' },
  actorHidden: { value: [128, 128], why: 'paper [256, 256]; the actor runs on numSamplesMmdMatch = 10 copies of the batch' },
  criticHidden: { value: [128, 128], why: 'paper [256, 256]; 8 critic nets run on the 10x batch' },
  sampleActionNum: { value: 5, why: 'paper 10; halves the target cost' },
  tau: { value: 0.02, why: 'paper 0.005; targets must track within 1k steps instead of 300k' },
  evalEvery: { value: 0, why: 'paper 2500; evaluate once at the end' },
  evalEpisodes: { value: 20, why: 'paper 10 during training; 20 = the reported evaluation' },
  checkpointEvery: { value: 500, why: 'paper 2500' },
};

/**
 * Per-state MMD between two sample sets x, y: [B, N, A] (OSRL mmd_loss_gaussian / mmd_loss_laplacian):
 * sqrt(mean_{j,k} k(x_j, x_k) + mean k(y_j, y_k) - 2 mean k(x_j, y_k) + 1e-6), k(d) = exp(-Σ d² / (2σ)) or
 * exp(-Σ |d| / (2σ)). Returns [B].
 */
export function mmd(x: Tensor, y: Tensor, sigma: number, kernel: MmdKernel): Tensor {
  const [B, N, A] = x.shape;
  const meanKernel = (p: Tensor, q: Tensor): Tensor => {
    const d = p.reshape([B, N, 1, A]).sub(q.reshape([B, 1, N, A]));
    const dist = (kernel === 'gaussian' ? d.square() : d.abs()).sum(-1);
    return dist.mul(-1 / (2 * sigma)).exp().mean([1, 2]);
  };
  return meanKernel(x, x).add(meanKernel(y, y)).sub(meanKernel(x, y).mul(2)).add(1e-6).sqrt();
}

export class BEARLag implements Algorithm<Batch> {
  readonly actor: SquashedGaussianActor;
  readonly actorTarget: SquashedGaussianActor;
  readonly critic: EnsembleMLP;
  readonly criticTarget: EnsembleMLP;
  readonly costCritic: EnsembleMLP;
  readonly costCriticTarget: EnsembleMLP;
  readonly vae: VAE;
  /** [ln α]. */
  readonly logAlpha: Tensor;
  readonly opts: { vae: Optimizer; actor: Optimizer; critic: Optimizer; costCritic: Optimizer };
  readonly pid: PidLagrangian;
  readonly qcThres: number;
  readonly rngs: { noise: Rng };
  readonly sampler: TransitionSampler | null;
  private readonly bag: StateBag;

  constructor(readonly cfg: BEARLagConfig, readonly obsDim: number, readonly actDim: number, task: string, dataset: Dataset | null, rng: Rng) {
    const { dtype } = cfg;
    const S = obsDim, A = actDim;
    const actor = () => new SquashedGaussianActor(S, A, cfg.actorHidden, cfg.maxAction, rng, dtype);
    this.actor = actor();
    this.actorTarget = actor();
    this.actorTarget.copyFrom(this.actor);
    const critic = () => ensembleCritic(2 * cfg.numQ, S + A, cfg.criticHidden, rng, dtype);
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
    this.qcThres = qcThreshold(cfg.costLimit, cfg.gamma, cfg.episodeLen > 0 ? cfg.episodeLen : episodeLength(task));
    this.pid = new PidLagrangian(cfg.pid[0], cfg.pid[1], cfg.pid[2], this.qcThres);
    this.rngs = { noise: new Rng(rng.nextU32()) };
    this.sampler = dataset ? new TransitionSampler(dataset, cfg.batchSize) : null;
    this.bag = new StateBag([
      ['actor', this.actor], ['actorTarget', this.actorTarget], ['critic', this.critic], ['criticTarget', this.criticTarget],
      ['costCritic', this.costCritic], ['costCriticTarget', this.costCriticTarget], ['vae', this.vae],
      ['opt.vae', this.opts.vae], ['opt.actor', this.opts.actor], ['opt.critic', this.opts.critic], ['opt.costCritic', this.opts.costCritic],
    ], [['logAlpha', this.logAlpha], ['pid', this.pid.state]]);
  }

  get alpha(): number {
    return Math.exp(this.logAlpha.buffer.view()[0]);
  }

  /** BEAR's soft clipped double-Q target value at s' (max over sampleActionNum target-actor samples): [B]. */
  targetValue(target: EnsembleMLP, s2: Tensor): Tensor {
    return noGrad(() => {
      const B = s2.shape[0], N = this.cfg.sampleActionNum;
      const rep = repeatRows(s2, N);
      const a2 = this.actorTarget.sample(rep, this.rngs.noise).action;
      const [m1, m2] = doubleQMinima(criticValues(target, rep, a2), this.cfg.numQ);
      return softClippedDoubleQ(m1, m2, this.cfg.lmbda).reshape([B, N]).max(1);
    });
  }

  vaeLoss(t: BatchTensors) {
    const { recon, mu, logStd } = this.vae.forward(t.s, t.a, this.rngs.noise);
    return vaeLoss(recon, t.a, mu, logStd, this.cfg.beta);
  }

  /** y = r + γ(1 - done)·q(s'); L = Σ_i mean (Q_i - y)². */
  criticLoss(t: BatchTensors): { loss: Tensor; q: Tensor } {
    const y = t.r.add(this.targetValue(this.criticTarget, t.s2).mul(t.done.neg().add(1)).mul(this.cfg.gamma));
    const q = criticValues(this.critic, t.s, t.a);
    return { loss: ensembleMse(q, y), q };
  }

  /** y_c = c + γ·q_c(s') (no (1 - done), as OSRL); L = Σ_i mean (Qc_i - y_c)². */
  costCriticLoss(t: BatchTensors): { loss: Tensor; qc: Tensor } {
    const y = t.c.add(this.targetValue(this.costCriticTarget, t.s2).mul(this.cfg.gamma));
    const qc = criticValues(this.costCritic, t.s, t.a);
    return { loss: ensembleMse(qc, y), qc };
  }

  /**
   * L = mean(-Q + α·(MMD - ε)) + mean((Qc - qc_thres)·λ) on the first of numSamplesMmdMatch actor samples per state
   * (no -Q before startUpdatePolicyStep); `index` = updates done before this one. Also returns the per-state MMD.
   */
  actorLoss(t: BatchTensors, index: number): { loss: Tensor; mmd: Tensor; lambda: number; qc: number; qcPenalty: number } {
    const B = t.s.shape[0], N = this.cfg.numSamplesMmdMatch, A = this.actDim;
    const rep = repeatRows(t.s, N);
    const vaeRaw = noGrad(() => this.vae.decodeRaw(rep, this.rngs.noise)).reshape([B, N, A]);
    const { u, action } = this.actor.sample(rep, this.rngs.noise);
    const m = mmd(vaeRaw, u.reshape([B, N, A]), this.cfg.mmdSigma, this.cfg.kernel);
    const a0 = action.reshape([B, N, A]).slice([0, 0, 0], [B, 1, A]).reshape([B, A]);
    const [q1, q2] = doubleQMinima(criticValues(this.critic, t.s, a0), this.cfg.numQ);
    const [c1, c2] = doubleQMinima(criticValues(this.costCritic, t.s, a0), this.cfg.numQ);
    const qc = c1.minimum(c2);
    const meanQc = noGrad(() => qc.mean().item());
    const lambda = this.pid.control(meanQc);
    const penalty = qc.sub(this.qcThres).mul(lambda).mean();
    const constraint = m.sub(this.cfg.targetMmdThresh).mul(this.alpha);
    const perState = index >= this.cfg.startUpdatePolicyStep ? q1.minimum(q2).neg().add(constraint) : constraint;
    return { loss: perState.mean().add(penalty), mmd: m, lambda, qc: meanQc, qcPenalty: noGrad(() => penalty.item()) };
  }

  /** ln α ← clamp(ln α + alphaLr·α·mean(MMD - ε), -5, 5). */
  alphaStep(mmdMean: number): void {
    const v = this.logAlpha.buffer.view();
    v[0] = Math.max(-5, Math.min(5, v[0] + this.cfg.alphaLr * this.alpha * (mmdMean - this.cfg.targetMmdThresh)));
  }

  sample(rng: Rng): Batch {
    if (!this.sampler) throw new Error('BEAR-Lag: built without a dataset (acting only); cannot sample');
    return this.sampler.sample(rng);
  }

  update(b: Batch, index = 0): Metrics {
    return tidy(() => {
      const t = batchTensors(b, this.obsDim, this.actDim, this.cfg.dtype, this.cfg.rewardScale, this.cfg.costScale);
      const step = optimizerStep;
      const v = this.vaeLoss(t);
      const vae = step(this.opts.vae, v.loss);
      const c = this.criticLoss(t);
      const qr = c.q.mean().item();
      const critic = step(this.opts.critic, c.loss);
      const cc = this.costCriticLoss(t);
      const qc = cc.qc.mean().item();
      const costCritic = step(this.opts.costCritic, cc.loss);
      const a = this.actorLoss(t, index);
      const mmdMean = noGrad(() => a.mmd.mean().item());
      const actor = step(this.opts.actor, a.loss);
      this.alphaStep(mmdMean);
      this.critic.zeroGrad();
      this.costCritic.zeroGrad();
      softUpdate(this.criticTarget, this.critic, this.cfg.tau);
      softUpdate(this.costCriticTarget, this.costCritic, this.cfg.tau);
      softUpdate(this.actorTarget, this.actor, this.cfg.tau);
      return {
        vaeLoss: vae, klLoss: v.kl.item(), reconLoss: v.recon.item(), criticLoss: critic, costCriticLoss: costCritic, actorLoss: actor,
        mmd: mmdMean, qcPenalty: a.qcPenalty, alpha: this.alpha, lambda: a.lambda, qr, qc, qcPolicy: a.qc,
      };
    });
  }

  act(observations: Float32Array): Float32Array {
    const B = observations.length / this.obsDim;
    return inference(() => this.actor.dist(tensor(observations, { shape: [B, this.obsDim], dtype: this.cfg.dtype })).mu.tanh().mul(this.cfg.maxAction));
  }

  stateTensors() { return this.bag.tensors(); }
  loadState(loaded: Parameters<StateBag['load']>[0]) { this.bag.load(loaded); }
  rngStates() { return getRngs(this.rngs); }
  setRngStates(s: Parameters<typeof setRngs>[1]) { setRngs(this.rngs, s, 'BEAR-Lag'); }
}

function checkBEARL(c: BEARLagConfig): void {
  const k = checker();
  for (const key of ['actorLr', 'criticLr', 'vaeLr', 'alphaLr', 'beta', 'mmdSigma', 'rewardScale', 'costScale', 'maxAction'] as const) k.pos(key, c[key]);
  k.unit('gamma', c.gamma);
  k.unit('tau', c.tau);
  if (!(c.lmbda >= 0 && c.lmbda <= 1)) throw new Error(`config key 'lmbda' must be in [0, 1], got ${c.lmbda}`);
  if (!(c.targetMmdThresh >= 0 && Number.isFinite(c.targetMmdThresh))) throw new Error(`config key 'targetMmdThresh' must be a finite number >= 0, got ${c.targetMmdThresh}`);
  for (const key of ['vaeHidden', 'actorHidden', 'criticHidden'] as const) {
    if (c[key].length === 0) throw new Error(`config key '${key}' must have at least one layer`);
    c[key].forEach((h, i) => k.int(`${key}[${i}]`, h));
  }
  k.int('numQ', c.numQ);
  k.int('sampleActionNum', c.sampleActionNum);
  k.int('numSamplesMmdMatch', c.numSamplesMmdMatch);
  if (c.kernel !== 'gaussian' && c.kernel !== 'laplacian') throw new Error(`config key 'kernel' must be "gaussian" or "laplacian", got ${JSON.stringify(c.kernel)}`);
  if (!(Number.isInteger(c.startUpdatePolicyStep) && c.startUpdatePolicyStep >= 0)) throw new Error(`config key 'startUpdatePolicyStep' must be an integer >= 0, got ${c.startUpdatePolicyStep}`);
  if (c.pid.length !== 3 || c.pid.some((g) => !(g >= 0))) throw new Error(`config key 'pid' must be three gains >= 0 [KP, KI, KD], got ${JSON.stringify(c.pid)}`);
  if (!(Number.isInteger(c.episodeLen) && c.episodeLen >= 0)) throw new Error(`config key 'episodeLen' must be an integer >= 0, got ${c.episodeLen}`);
}

export const BEAR_LAG: AlgorithmDef<BEARLagConfig> = {
  name: 'bear-lag',
  summary: 'BEAR (MMD support matching to a VAE behaviour model) with a PID-Lagrangian cost critic (OSRL BEAR-L)',
  paper: BEARL_PAPER,
  cpuChanges: BEARL_CPU_CHANGES,
  check: checkBEARL,
  create: ({ cfg, obsDim, actDim, task, dataset, rng }) => new BEARLag(cfg, obsDim, actDim, task, dataset, rng),
};
