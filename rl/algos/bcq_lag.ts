/**
 * BCQ-Lag (OSRL algorithms/bcql.py, configs/bcql_configs.py): BCQ with a PID-Lagrangian cost constraint.
 *
 * Networks: a VAE behaviour model of a given s; a perturbation actor ξ(s, â) that moves a VAE sample â by at most
 * φ·maxAction; reward and cost critics, each two groups of numQ MLPs (4 nets each by default), with target
 * copies of the actor and both critics.
 *
 * Per step, in OSRL's order (one method per loss):
 *  1. vaeStep:       L = MSE(recon, a) + β·KL (KL averaged over batch and latent dims).
 *  2. criticStep:    a' = ξ_targ(s', decode(s')) for sampleActionNum copies of s'; q = λ_mix·min(m1, m2) +
 *                    (1 - λ_mix)·max(m1, m2) of the target groups' minima, max over the copies;
 *                    y = r + γ(1 - done)·q;  L = Σ_i mean (Q_i(s, a) - y)².
 *  3. costCriticStep: the same with the cost critics and y_c = c + γ·q_c (OSRL: no (1 - done) on the cost).
 *  4. actorStep:     a = ξ(s, decode(s)); Q = min of the 4 reward nets, Qc = min of the 4 cost nets (OSRL takes
 *                    the min for the cost too); λ = PID(mean Qc) (no gradient);
 *                    L = -mean(Q) + mean((Qc - qc_thres)·λ).
 *  5. Polyak updates of the three targets (τ).
 * Evaluation: one action ξ(s, decode(s)) with a fresh clipped latent.
 */
import { concat, noGrad, Rng, tensor, tidy, type Tensor } from '../../core/index.js';
import { Adam, EnsembleMLP, softUpdate, type MLP, type Optimizer } from '../../nn/index.js';
import type { Batch, Dataset } from '../data/dataset.js';
import { checker } from './config.js';
import { criticValues, doubleQMinima, ensembleCritic, ensembleMse, getRngs, inference, mlp, PidLagrangian, repeatRows, setRngs, softClippedDoubleQ, StateBag, VAE, vaeLoss, optimizerStep } from './common.js';
import { actingRngState, batchTensors, episodeLength, qcThreshold, TransitionSampler, type BatchTensors } from './data.js';
import type { Algorithm, AlgorithmDef, LoopConfig, Metrics } from './types.js';

export interface BCQLagConfig extends LoopConfig {
  actorLr: number;
  criticLr: number;
  vaeLr: number;
  /** Largest perturbation, as a fraction of maxAction. */
  phi: number;
  /** Weight of the min in the soft clipped double-Q target. */
  lmbda: number;
  /** KL weight of the VAE. */
  beta: number;
  gamma: number;
  tau: number;
  /** VAE hidden sizes (encoder and decoder); the latent has 2·act_dim dims. */
  vaeHidden: number[];
  actorHidden: number[];
  criticHidden: number[];
  /** MLPs per critic group (2 groups). */
  numQ: number;
  /** Next-state copies in the critic targets. */
  sampleActionNum: number;
  rewardScale: number;
  costScale: number;
  /** PID gains [KP, KI, KD]. */
  pid: number[];
  maxAction: number;
  /** Episode length T in qc_thres (0 = the task's time limit, as OSRL's per-task episode_len). */
  episodeLen: number;
}

export const BCQL_PAPER: BCQLagConfig = {
  steps: 100_000, batchSize: 512, evalEvery: 2500, evalEpisodes: 10, logEvery: 100, checkpointEvery: 2500, costLimit: 10, dtype: 'float32',
  actorLr: 1e-3, criticLr: 1e-3, vaeLr: 1e-3, phi: 0.05, lmbda: 0.75, beta: 0.5, gamma: 0.99, tau: 0.005,
  vaeHidden: [400, 400], actorHidden: [256, 256], criticHidden: [256, 256], numQ: 2, sampleActionNum: 10,
  rewardScale: 0.1, costScale: 1, pid: [0.1, 0.003, 0.001], maxAction: 1, episodeLen: 0,
};

export const BCQL_CPU_CHANGES: Record<string, { value: unknown; why: string }> = {
  steps: { value: 1000, why: 'paper 100k; about a minute on 2 cores (~15 steps/s measured at these sizes)' },
  batchSize: { value: 128, why: 'paper 512; the 10 next-state copies make every critic target a 10x larger batch' },
  vaeHidden: { value: [128, 128], why: 'paper [400, 400]; ~10x fewer FLOPs for 7-36-d observations' },
  actorHidden: { value: [128, 128], why: 'paper [256, 256]' },
  criticHidden: { value: [128, 128], why: 'paper [256, 256]; 8 critic nets run on the 10x batch' },
  sampleActionNum: { value: 5, why: 'paper 10; halves the target cost' },
  tau: { value: 0.02, why: 'paper 0.005; targets must track within 1k steps instead of 100k' },
  evalEvery: { value: 0, why: 'paper 2500; evaluate once at the end' },
  evalEpisodes: { value: 20, why: 'paper 10 during training; 20 = the reported evaluation' },
  checkpointEvery: { value: 500, why: 'paper 2500' },
};

export class BCQLag implements Algorithm<Batch> {
  readonly vae: VAE;
  readonly actor: MLP;
  readonly actorTarget: MLP;
  readonly critic: EnsembleMLP;
  readonly criticTarget: EnsembleMLP;
  readonly costCritic: EnsembleMLP;
  readonly costCriticTarget: EnsembleMLP;
  readonly opts: { vae: Optimizer; actor: Optimizer; critic: Optimizer; costCritic: Optimizer };
  readonly pid: PidLagrangian;
  readonly qcThres: number;
  readonly rngs: { noise: Rng; act: Rng };
  readonly sampler: TransitionSampler | null;
  private readonly bag: StateBag;

  constructor(readonly cfg: BCQLagConfig, readonly obsDim: number, readonly actDim: number, task: string, dataset: Dataset | null, rng: Rng) {
    const { dtype } = cfg;
    const S = obsDim, A = actDim;
    this.vae = new VAE(S, A, 2 * A, cfg.vaeHidden, cfg.maxAction, rng, dtype);
    const actor = () => mlp(S + A, cfg.actorHidden, A, rng, dtype, 'tanh');
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
    this.opts = {
      vae: new Adam(this.vae.parameters(), { lr: cfg.vaeLr }),
      actor: new Adam(this.actor.parameters(), { lr: cfg.actorLr }),
      critic: new Adam(this.critic.parameters(), { lr: cfg.criticLr }),
      costCritic: new Adam(this.costCritic.parameters(), { lr: cfg.criticLr }),
    };
    this.qcThres = qcThreshold(cfg.costLimit, cfg.gamma, cfg.episodeLen > 0 ? cfg.episodeLen : episodeLength(task));
    this.pid = new PidLagrangian(cfg.pid[0], cfg.pid[1], cfg.pid[2], this.qcThres);
    this.rngs = { noise: new Rng(rng.nextU32()), act: new Rng(rng.nextU32()) };
    this.sampler = dataset ? new TransitionSampler(dataset, cfg.batchSize) : null;
    this.bag = new StateBag([
      ['vae', this.vae], ['actor', this.actor], ['actorTarget', this.actorTarget], ['critic', this.critic], ['criticTarget', this.criticTarget],
      ['costCritic', this.costCritic], ['costCriticTarget', this.costCriticTarget],
      ['opt.vae', this.opts.vae], ['opt.actor', this.opts.actor], ['opt.critic', this.opts.critic], ['opt.costCritic', this.opts.costCritic],
    ], [['pid', this.pid.state]]);
  }

  /** clip(â + φ·maxAction·ξ(s, â), ±maxAction). */
  perturb(net: MLP, s: Tensor, aHat: Tensor): Tensor {
    const m = this.cfg.maxAction;
    const xi = net.forward(concat([s, aHat], -1)).tanh();
    return aHat.add(xi.mul(this.cfg.phi * m)).clamp(-m, m);
  }

  /** Minimum within group 1 (members 0..numQ-1) and within group 2: each [B]. */
  groupMinima(q: Tensor): [Tensor, Tensor] {
    return doubleQMinima(q, this.cfg.numQ);
  }

  /** BCQ's soft clipped double-Q target value at s' (max over sampleActionNum VAE+actor candidates): [B]. */
  targetValue(target: EnsembleMLP, s2: Tensor): Tensor {
    return noGrad(() => {
      const B = s2.shape[0], N = this.cfg.sampleActionNum;
      const rep = repeatRows(s2, N);
      const a2 = this.perturb(this.actorTarget, rep, this.vae.decode(rep, this.rngs.noise));
      const [m1, m2] = this.groupMinima(criticValues(target, rep, a2));
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

  /** L = -mean(min_i Q_i) + mean((min_i Qc_i - qc_thres)·λ), λ from the PID controller fed mean(Qc). */
  actorLoss(t: BatchTensors): { loss: Tensor; lambda: number; qc: number } {
    const aHat = noGrad(() => this.vae.decode(t.s, this.rngs.noise));
    const a = this.perturb(this.actor, t.s, aHat);
    const q = criticValues(this.critic, t.s, a).min(0);
    const qc = criticValues(this.costCritic, t.s, a).min(0);
    const meanQc = noGrad(() => qc.mean().item());
    const lambda = this.pid.control(meanQc);
    return { loss: q.mean().neg().add(qc.sub(this.qcThres).mul(lambda).mean()), lambda, qc: meanQc };
  }

  sample(rng: Rng): Batch {
    if (!this.sampler) throw new Error('BCQ-Lag: built without a dataset (acting only); cannot sample');
    return this.sampler.sample(rng);
  }

  update(b: Batch): Metrics {
    return tidy(() => {
      const t = batchTensors(b, this.obsDim, this.actDim, this.cfg.dtype, this.cfg.rewardScale, this.cfg.costScale);
      const step = optimizerStep;
      const v = this.vaeLoss(t);
      const vae = step(this.opts.vae, v.loss);
      const c = this.criticLoss(t);
      const qrMean = c.q.mean().item();
      const critic = step(this.opts.critic, c.loss);
      const cc = this.costCriticLoss(t);
      const qcMean = cc.qc.mean().item();
      const costCritic = step(this.opts.costCritic, cc.loss);
      const a = this.actorLoss(t);
      const actor = step(this.opts.actor, a.loss);
      this.critic.zeroGrad();
      this.costCritic.zeroGrad();
      softUpdate(this.criticTarget, this.critic, this.cfg.tau);
      softUpdate(this.costCriticTarget, this.costCritic, this.cfg.tau);
      softUpdate(this.actorTarget, this.actor, this.cfg.tau);
      return { vaeLoss: vae, klLoss: v.kl.item(), reconLoss: v.recon.item(), criticLoss: critic, costCriticLoss: costCritic, actorLoss: actor, qr: qrMean, qc: qcMean, qcPolicy: a.qc, lambda: a.lambda };
    });
  }

  act(observations: Float32Array): Float32Array {
    const B = observations.length / this.obsDim;
    return inference(() => {
      const s = tensor(observations, { shape: [B, this.obsDim], dtype: this.cfg.dtype });
      return this.perturb(this.actor, s, this.vae.decode(s, this.rngs.act));
    });
  }

  stateTensors() { return this.bag.tensors(); }
  loadState(loaded: Parameters<StateBag['load']>[0]) { this.bag.load(loaded); }
  rngStates() { return getRngs(this.rngs); }
  setRngStates(s: Parameters<typeof setRngs>[1]) { setRngs(this.rngs, s, 'BCQ-Lag'); }
  seedActing(seed: number) { this.rngs.act.setState(actingRngState(seed)); }
}

function checkBCQL(c: BCQLagConfig): void {
  const k = checker();
  for (const key of ['actorLr', 'criticLr', 'vaeLr', 'phi', 'maxAction', 'beta'] as const) k.pos(key, c[key]);
  k.unit('gamma', c.gamma);
  k.unit('tau', c.tau);
  if (!(c.lmbda >= 0 && c.lmbda <= 1)) throw new Error(`config key 'lmbda' must be in [0, 1], got ${c.lmbda}`);
  for (const key of ['vaeHidden', 'actorHidden', 'criticHidden'] as const) {
    if (c[key].length === 0) throw new Error(`config key '${key}' must have at least one layer`);
    c[key].forEach((h, i) => k.int(`${key}[${i}]`, h));
  }
  k.int('numQ', c.numQ);
  k.int('sampleActionNum', c.sampleActionNum);
  k.pos('rewardScale', c.rewardScale);
  k.pos('costScale', c.costScale);
  if (c.pid.length !== 3 || c.pid.some((g) => !(g >= 0))) throw new Error(`config key 'pid' must be three gains >= 0 [KP, KI, KD], got ${JSON.stringify(c.pid)}`);
  if (!(Number.isInteger(c.episodeLen) && c.episodeLen >= 0)) throw new Error(`config key 'episodeLen' must be an integer >= 0, got ${c.episodeLen}`);
}

export const BCQ_LAG: AlgorithmDef<BCQLagConfig> = {
  name: 'bcq-lag',
  summary: 'BCQ with a PID-Lagrangian cost critic (OSRL BCQ-L)',
  paper: BCQL_PAPER,
  cpuChanges: BCQL_CPU_CHANGES,
  check: checkBCQL,
  create: ({ cfg, obsDim, actDim, task, dataset, rng }) => new BCQLag(cfg, obsDim, actDim, task, dataset, rng),
};
