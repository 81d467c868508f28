/**
 * FISOR: Feasibility-guided Safe Offline RL (Zheng et al., ICLR 2024), the agent.
 *
 * Read top to bottom; the paper's three decoupled processes:
 *
 *   1. Feasibility (offline Hamilton-Jacobi reachability). Q_h(s, a) and V_h(s) estimate the worst future
 *      constraint value max_t h(s_t) under the best (safest) in-data policy. Q_h regresses on the feasible
 *      Bellman target (1 - g) h + g max(h, V_h(s')); V_h is a *reversed* (lower) expectile of Q_h, i.e.
 *      approximately min_a Q_h. The feasible region is {s : V_h(s) <= 0}.
 *   2. Reward advantages (IQL). Q_r regresses on r + g V_r(s'); V_r is an upper expectile of Q_r.
 *   3. Policy extraction by weighted diffusion. A DDPM behaviour model eps_theta(a_t, t, s) is trained with
 *      the per-sample weights  w = [V_h > 0] clip(exp((V_h - Q_h) kc)) + [V_h <= 0][Q_h <= 0] clip(exp((Q_r - V_r) kr)):
 *      inside the feasible region it imitates high-advantage actions that stay feasible, outside it imitates
 *      actions that decrease the constraint value most. At run time N actions are sampled per state and the
 *      one with the lowest Q_h is executed.
 *
 * Execution order of one `update` follows the official code: two actor steps (halves of the batch), then
 * V_r, Q_r, V_h, Q_h on the first criticBatchSize rows. Q_r and Q_h have soft targets (tau); the actor has an
 * EMA copy used for acting. All randomness comes from Rngs held here (saved in checkpoints).
 *
 * With config schedule 'critics-first' (not the paper's), `update(batch, step)` runs critics only for the
 * first criticSteps iterations and the actor only afterwards, against the then frozen critics.
 */
import { Rng, concat, noGrad, tensor, tidy, type Tensor } from '../../core/index.js';
import { Adam, AdamW, Dropout, EnsembleMLP, MLP, Module, cosineDecay, ensembleMax, ensembleMin, restoreState, softUpdate, stateOf, type LoadedCheckpoint, type Optimizer } from '../../nn/index.js';
import { Denoiser, ddpmSample, diffusionLoss, vpSchedule, type DiffusionSchedule } from '../../diffusion/index.js';
import { copyRow } from '../data/dataset.js';
import type { FisorConfig } from './config.js';
import { advantageWeights, expectile, feasibleTarget, fisorWeights, reversedExpectile, rewardTarget } from './critics.js';

/** One minibatch, row-major Float32Arrays. `h` is the constraint value, `masks` = 1 - (terminal OR timeout). */
export interface FisorBatch {
  size: number;
  observations: Float32Array;
  nextObservations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  h: Float32Array;
  masks: Float32Array;
}

/** Running statistics of the actor's weights over one update (read straight from the tensors' buffers). */
class WeightStats {
  n = 0;
  sum = 0;
  max = 0;
  zero = 0;
  /** Rows judged infeasible (V_h > 0). */
  unsafe = 0;

  add(w: ArrayLike<number>, vc: ArrayLike<number>): void {
    for (let i = 0; i < w.length; i++) {
      this.sum += w[i];
      if (w[i] > this.max) this.max = w[i];
      if (w[i] === 0) this.zero++;
      if (vc[i] > 0) this.unsafe++;
    }
    this.n += w.length;
  }
}

/** Scalars logged after each update. */
export interface UpdateMetrics {
  actorLoss: number;
  qrLoss: number;
  vrLoss: number;
  qhLoss: number;
  vhLoss: number;
  meanQr: number;
  meanVr: number;
  meanQh: number;
  meanVh: number;
  /** Fraction of the actor batch with V_h(s) <= 0 (judged feasible). */
  feasibleFraction: number;
  /** Fraction of the actor batch weighted by the infeasible (cost) branch, and with weight 0. */
  unsafeFraction: number;
  zeroWeightFraction: number;
  weightMean: number;
  weightMax: number;
  actorLr: number;
}

/** The agent's random streams (all derived from one seed). */
export interface AgentRngs {
  /** Diffusion training: timesteps and noise. */
  actor: Rng;
  /** Action sampling in `act`. */
  act: Rng;
}

export class FisorAgent {
  readonly schedule: DiffusionSchedule;

  // ---- process 1: feasibility ----
  readonly qh: EnsembleMLP;
  readonly qhTarget: EnsembleMLP;
  readonly vh: MLP;
  readonly qhOpt: Optimizer;
  readonly vhOpt: Optimizer;

  // ---- process 2: reward ----
  readonly qr: EnsembleMLP;
  readonly qrTarget: EnsembleMLP;
  readonly vr: MLP;
  readonly qrOpt: Optimizer;
  readonly vrOpt: Optimizer;

  // ---- process 3: diffusion policy ----
  readonly actor: Denoiser;
  readonly actorEma: Denoiser;
  readonly actorOpt: Optimizer;

  readonly rngs: AgentRngs;

  /**
   * Config fallbackGrid = g > 0 (not the paper): the g^actDim actions with every coordinate in linspace(-1, 1, g),
   * row-major. g = 3 holds the box's corners, edge midpoints and centre (full braking with a full turn is a corner).
   */
  readonly fallbackActions?: Float32Array;
  /**
   * Config vhActionGrid = g > 0 (not the paper): the g^actDim grid actions whose lowest Q_h also enters V_h's target
   * (`vhTarget`), as a [K, 1, actDim] tensor kept for the agent's life.
   */
  private readonly vhGridActions?: Tensor;

  /** `seed` (an Rng) initialises the networks and forks the agent's streams. */
  constructor(readonly cfg: FisorConfig, readonly obsDim: number, readonly actDim: number, seed: Rng) {
    const dtype = cfg.dtype;
    const init = deriveRng(seed);
    this.rngs = { actor: deriveRng(seed), act: deriveRng(seed) };
    const critic = (inputSize: number) => ({ inputSize, hiddenSizes: cfg.criticHidden, outputSize: 1, activation: 'relu' as const, init: 'xavier' as const, rng: init, dtype });

    this.qh = new EnsembleMLP({ ...critic(obsDim + actDim), members: 2 });
    this.qhTarget = new EnsembleMLP({ ...critic(obsDim + actDim), members: 2 });
    this.qhTarget.copyFrom(this.qh);
    this.vh = new MLP(critic(obsDim));
    this.qhOpt = new Adam(this.qh.parameters(), { lr: cfg.criticLr });
    this.vhOpt = new Adam(this.vh.parameters(), { lr: cfg.criticLr });

    this.qr = new EnsembleMLP({ ...critic(obsDim + actDim), members: 2 });
    this.qrTarget = new EnsembleMLP({ ...critic(obsDim + actDim), members: 2 });
    this.qrTarget.copyFrom(this.qr);
    this.vr = new MLP(critic(obsDim));
    this.qrOpt = new Adam(this.qr.parameters(), { lr: cfg.criticLr });
    this.vrOpt = new Adam(this.vr.parameters(), { lr: cfg.criticLr });

    const a = cfg.actor;
    this.schedule = vpSchedule(a.T, a.betaMin, a.betaMax);
    const denoiser = () => new Denoiser({
      dataSize: actDim, condSize: obsDim, hidden: a.hidden, blocks: a.blocks, dropout: a.dropout,
      timeFeatures: a.timeFeatures, timeHidden: a.timeHidden, rng: init, dtype,
    });
    this.actor = denoiser();
    this.actorEma = denoiser().eval();
    this.actorEma.copyFrom(this.actor);
    const decaySteps = a.decaySteps > 0 ? a.decaySteps : actorIterations(cfg) * cfg.actorSplits;
    this.actorOpt = new AdamW(this.actor.parameters(), { schedule: cosineDecay(a.lr, decaySteps), weightDecay: a.weightDecay });
    // Target and value networks never use dropout; keep the critics' modes explicit.
    for (const m of [this.qhTarget, this.qrTarget]) m.eval();
    if (cfg.fallbackGrid > 0) this.fallbackActions = fallbackGridActions(cfg.fallbackGrid, actDim);
    if (cfg.vhActionGrid > 0) {
      const grid = fallbackGridActions(cfg.vhActionGrid, actDim, 'vhActionGrid', MAX_VH_GRID_ACTIONS);
      this.vhGridActions = this.t(grid, [grid.length / actDim, 1, actDim]).keep();
    }
  }

  private t(data: Float32Array, shape: number[]): Tensor {
    return tensor(data, { shape, dtype: this.cfg.dtype });
  }

  // =====================================================================================
  // Process 1: the largest feasible region (offline HJ reachability, reversed expectile)
  // =====================================================================================

  /** max over the target Q_h ensemble (approximates the lower expectile's max-safe estimate). */
  targetQh(s: Tensor, a: Tensor): Tensor {
    return ensembleMax(this.qhTarget.forward(concat([s, a], -1))).reshape([-1]);
  }

  /**
   * V_h's regression target per sample: max_i Q_h^target(s, a) at the data's action (the paper). With config
   * vhActionGrid = g > 0 (not the paper), the lower of that and min_k max_i Q_h^target(s, a_k) over the g^actDim grid
   * actions a_k: an explicit min over actions, so that V_h need not reach min_a Q_h through the expectile. Why: with
   * exact Q values at the data's transitions, the reversed expectile at tau = 0.9 still misplaces PointRobot's
   * boundary (IoU 0.84-0.85 on the fast slice at 12k; a plain regression on the truth, 0.92-0.95): its asymmetric weights
   * pull V_h below the targets wherever the network cannot separate feasible from infeasible neighbours. With the
   * min taken explicitly, V_h can be regressed symmetrically (feasibilityExpectile 0.5; docs/results-diagnosis.md,
   * round 11).
   */
  vhTarget(s: Tensor, a: Tensor): Tensor {
    return noGrad(() => {
      const q = this.targetQh(s, a);
      const grid = this.vhGridActions;
      if (!grid) return q;
      const K = grid.shape[0], B = s.shape[0];
      const sk = s.reshape([1, B, this.obsDim]).expand([K, B, this.obsDim]).reshape([K * B, this.obsDim]);
      const ak = grid.expand([K, B, this.actDim]).reshape([K * B, this.actDim]);
      return q.minimum(this.targetQh(sk, ak).reshape([K, B]).min(0));
    });
  }

  /** V_h <- reversed expectile of vhTarget(s, a) - V_h(s) (the paper: max_i Q_h^target(s, a)), tau = feasibilityExpectile. */
  private updateVh(s: Tensor, a: Tensor): { loss: number; mean: number } {
    const qc = this.vhTarget(s, a);
    const vc = this.vh.forward(s).reshape([-1]);
    const vhLoss = this.cfg.vhExpectile === 'plain' ? expectile : reversedExpectile;
    const loss = vhLoss(qc.sub(vc), this.cfg.feasibilityExpectile).mean();
    this.vhOpt.zeroGrad();
    loss.backward();
    this.vhOpt.step();
    return { loss: loss.item(), mean: vc.mean().item() };
  }

  /** Q_h <- MSE to the feasible Bellman target with V_h(s'); then soft-update the target. */
  private updateQh(s: Tensor, a: Tensor, s2: Tensor, h: Tensor, mask: Tensor): { loss: number; mean: number } {
    const target = noGrad(() => feasibleTarget(h, this.vh.forward(s2).reshape([-1]), mask, this.cfg.discount));
    const qcs = this.qh.forward(concat([s, a], -1)).reshape([2, -1]); // [2, B]
    const loss = qcs.sub(target).square().mean();
    this.qhOpt.zeroGrad();
    loss.backward();
    this.qhOpt.step();
    softUpdate(this.qhTarget, this.qh, this.cfg.tau);
    return { loss: loss.item(), mean: qcs.mean().item() };
  }

  // =====================================================================================
  // Process 2: optimal reward advantages (IQL)
  // =====================================================================================

  /** min over the target Q_r ensemble. */
  targetQr(s: Tensor, a: Tensor): Tensor {
    return ensembleMin(this.qrTarget.forward(concat([s, a], -1))).reshape([-1]);
  }

  /** V_r <- expectile of min_i Q_r^target(s, a) - V_r(s), tau = rewardExpectile. */
  private updateVr(s: Tensor, a: Tensor): { loss: number; mean: number } {
    const q = noGrad(() => this.targetQr(s, a));
    const v = this.vr.forward(s).reshape([-1]);
    const loss = expectile(q.sub(v), this.cfg.rewardExpectile).mean();
    this.vrOpt.zeroGrad();
    loss.backward();
    this.vrOpt.step();
    return { loss: loss.item(), mean: v.mean().item() };
  }

  /** Q_r <- MSE to r + g mask V_r(s'); then soft-update the target. */
  private updateQr(s: Tensor, a: Tensor, s2: Tensor, r: Tensor, mask: Tensor): { loss: number; mean: number } {
    const target = noGrad(() => rewardTarget(r, this.vr.forward(s2).reshape([-1]), mask, this.cfg.discount));
    const qs = this.qr.forward(concat([s, a], -1)).reshape([2, -1]);
    const loss = qs.sub(target).square().mean();
    this.qrOpt.zeroGrad();
    loss.backward();
    this.qrOpt.step();
    softUpdate(this.qrTarget, this.qr, this.cfg.tau);
    return { loss: loss.item(), mean: qs.mean().item() };
  }

  // =====================================================================================
  // Process 3: policy extraction by feasibility-weighted diffusion
  // =====================================================================================

  /** The per-sample weights of (s, a): q, qc from the target critics, v, vc from the current value nets. */
  policyWeights(s: Tensor, a: Tensor): { w: Tensor; vc: Tensor } {
    return noGrad(() => {
      const q = this.targetQr(s, a);
      const v = this.vr.forward(s).reshape([-1]);
      const qc = this.targetQh(s, a);
      const vc = this.vh.forward(s).reshape([-1]);
      const w = this.cfg.actorWeights === 'reward' ? advantageWeights(q, v, this.cfg.weights) : fisorWeights(q, v, qc, vc, this.cfg.weights);
      return { w, vc };
    });
  }

  /** One weighted noise-prediction step of the actor, then the EMA update; adds its weights to `stats`. */
  private updateActor(s: Tensor, a: Tensor, stats: WeightStats): number {
    const { w, vc } = this.policyWeights(s, a);
    stats.add(w.buffer.view(), vc.buffer.view());
    const { loss } = diffusionLoss(this.actor, this.schedule, a, s, w, this.rngs.actor);
    this.actorOpt.zeroGrad();
    loss.backward();
    this.actorOpt.step();
    softUpdate(this.actorEma, this.actor, this.cfg.actor.emaTau);
    return loss.item();
  }

  // =====================================================================================
  // One training iteration and acting
  // =====================================================================================

  /**
   * One training iteration (`step` = iterations done before it): actor steps then critic steps (joint), or,
   * with schedule 'critics-first', critics only while step < criticSteps and the actor only afterwards. `step` may be
   * left out only with the joint schedule: under 'critics-first' a caller that never passed it trained the critics on
   * every iteration and the actor never (step 0 is always in the critic phase).
   */
  update(b: FisorBatch, step?: number): UpdateMetrics {
    if (step === undefined && this.cfg.schedule === 'critics-first') {
      throw new Error("FisorAgent.update: schedule 'critics-first' needs the iteration index (update(batch, step), step = iterations done before this one): without it every iteration is a critic-only one and the actor is never trained");
    }
    if (step !== undefined && !(Number.isInteger(step) && step >= 0)) throw new Error(`FisorAgent.update: step must be a whole number >= 0, got ${step}`);
    return tidy(() => {
      const { obsDim: S, actDim: A, cfg } = this;
      const B = b.size;
      if (B !== cfg.batchSize) throw new Error(`FisorAgent.update: batch of ${B} rows, config batchSize is ${cfg.batchSize}`);
      const s = this.t(b.observations, [B, S]);
      const a = this.t(b.actions, [B, A]);
      const phase = iterationPhase(cfg, step ?? 0);
      if (phase === 'critics') {
        const { vr, qr, vh, qh } = this.criticStep(b, s, a);
        return {
          actorLoss: 0, qrLoss: qr.loss, vrLoss: vr.loss, qhLoss: qh.loss, vhLoss: vh.loss,
          meanQr: qr.mean, meanVr: vr.mean, meanQh: qh.mean, meanVh: vh.mean,
          feasibleFraction: 0, unsafeFraction: 0, zeroWeightFraction: 0, weightMean: 0, weightMax: 0, actorLr: 0,
        };
      }

      // Process 3 (official order: actor first), on actorSplits consecutive parts of the batch.
      const m = B / cfg.actorSplits;
      let actorLoss = 0;
      const stats = new WeightStats();
      const actorLr = this.actorOpt.lr;
      for (let k = 0; k < cfg.actorSplits; k++) {
        actorLoss += this.updateActor(s.slice([k * m, 0], [m, S]), a.slice([k * m, 0], [m, A]), stats) / cfg.actorSplits;
      }

      // Processes 2 and 1 on the first criticBatchSize rows (frozen after the critic phase of critics-first).
      const none = { loss: 0, mean: 0 };
      const { vr, qr, vh, qh } = phase === 'joint' ? this.criticStep(b, s, a) : { vr: none, qr: none, vh: none, qh: none };

      const n = stats.n;
      return {
        actorLoss, qrLoss: qr.loss, vrLoss: vr.loss, qhLoss: qh.loss, vhLoss: vh.loss,
        meanQr: qr.mean, meanVr: vr.mean, meanQh: qh.mean, meanVh: vh.mean,
        feasibleFraction: (n - stats.unsafe) / n, unsafeFraction: stats.unsafe / n, zeroWeightFraction: stats.zero / n,
        weightMean: stats.sum / n, weightMax: stats.max, actorLr,
      };
    });
  }

  /** V_r, Q_r, V_h, Q_h (official order) on the first criticBatchSize rows of `b` (`s`, `a`: its tensors, if built). */
  private criticStep(b: FisorBatch, s?: Tensor, a?: Tensor) {
    const { obsDim: S, actDim: A, cfg } = this;
    const C = cfg.criticBatchSize;
    const cs = s && s.shape[0] === C ? s : s ? s.slice([0, 0], [C, S]) : this.t(b.observations.subarray(0, C * S), [C, S]);
    const ca = a && a.shape[0] === C ? a : a ? a.slice([0, 0], [C, A]) : this.t(b.actions.subarray(0, C * A), [C, A]);
    const s2 = this.t(b.nextObservations.subarray(0, C * S), [C, S]);
    const r = this.t(b.rewards.subarray(0, C), [C]);
    const h = this.t(b.h.subarray(0, C), [C]);
    const mask = this.t(b.masks.subarray(0, C), [C]);
    const vr = this.updateVr(cs, ca);
    const qr = this.updateQr(cs, ca, s2, r, mask);
    const vh = this.updateVh(cs, ca);
    const qh = this.updateQh(cs, ca, s2, h, mask);
    return { vr, qr, vh, qh };
  }

  /**
   * Critic-only iteration (V_r, Q_r, V_h, Q_h) on the first criticBatchSize rows of `b`, without an actor
   * step: the cpu preset's extra critic updates (config criticUpdates > 1), run before `update`.
   */
  updateCritics(b: FisorBatch): void {
    if (b.size < this.cfg.criticBatchSize) throw new Error(`FisorAgent.updateCritics: batch of ${b.size} rows, need criticBatchSize ${this.cfg.criticBatchSize}`);
    tidy(() => {
      this.criticStep(b);
    });
  }

  /**
   * Actions for a batch of observations (row-major [B * obsDim]): samples `n` candidates per observation
   * with the EMA actor in one batch, and returns per observation the candidate with the lowest target
   * Q_h (max over the ensemble). With config fallbackGrid > 0 (not the paper), where no candidate is judged
   * feasible (every Q_h > 0; with fallbackMargin m, every Q_h > -m), the actions of a grid over the action box
   * compete too (`fallbackActions`).
   * `violating` [B] (optional): 1 where the observation's episode incurred a cost at its last step; with config
   * violatingChoice 'reward' (not the paper) those rows execute the candidate with the highest target Q_r.
   * With config modeCandidate (not the paper), the actor's most likely action (config modeEstimate: its noise-free
   * sample, or the densest of the N) is executed where its Q_h <= -modeMargin (rows not chosen by Q_r), before the
   * fallback grid is considered.
   * Returns [B * actDim].
   */
  act(observations: Float32Array, n = this.cfg.numSamples, violating?: Uint8Array): Float32Array {
    return this.actWithCandidates(observations, n, violating).actions;
  }

  /**
   * `act`, also returning what the choice was based on (the safety monitor): `candidateQh` [B * n] the
   * target Q_h (ensemble max) of every candidate, `chosen` [B] the index of the executed one per observation
   * (-1 where a fallback grid action was executed), `chosenQh` [B] the Q_h of the executed action, and
   * `candidateQr` [B * n] the target Q_r (ensemble min) of every candidate and `rewardChosen` [B] (1 where the
   * candidate was chosen by Q_r) when the 'reward' choice was made for some row (both null otherwise). With
   * config modeCandidate, `modeChosen` [B] is 1 where the mode estimate was executed (null without it), and
   * `chosen` there is n (modeEstimate 'noise-free': the extra sample) or the densest candidate's index.
   */
  actWithCandidates(
    observations: Float32Array, n = this.cfg.numSamples, violating?: Uint8Array,
  ): { actions: Float32Array; candidateQh: Float32Array; chosen: Int32Array; chosenQh: Float32Array; candidateQr: Float32Array | null; rewardChosen: Uint8Array | null; modeChosen: Uint8Array | null } {
    const S = this.obsDim, A = this.actDim;
    const B = observations.length / S;
    if (!Number.isInteger(B) || B < 1) throw new Error(`FisorAgent.act: ${observations.length} numbers are not whole observations of size ${S}`);
    checkCandidateCount(n, 'FisorAgent.act: n');
    if (violating !== undefined && violating.length !== B) throw new Error(`FisorAgent.act: ${violating.length} violating flags for ${B} observations`);
    return tidy(() => noGrad(() => {
      const { s, a } = this.drawCandidates(observations, B, n);
      const qc = Float32Array.from(this.targetQh(s, a).dataSync());
      // Rows chosen by Q_r (config violatingChoice 'reward', flagged rows); Q_r is computed only when there is one.
      const rewardChosen = this.cfg.violatingChoice === 'reward' && violating?.some((v) => v !== 0)
        ? Uint8Array.from(violating, (v) => (v !== 0 ? 1 : 0)) : null;
      const qr = rewardChosen ? Float32Array.from(this.targetQr(s, a).dataSync()) : null;
      const av = a.dataSync();
      const mode = !this.cfg.modeCandidate ? null
        : this.cfg.modeEstimate === 'densest' ? densestCandidates(av, qc, B, n, A) : this.modeSample(observations, B);
      const out = new Float32Array(B * A);
      const chosen = new Int32Array(B);
      const chosenQh = new Float32Array(B);
      const modeChosen = mode ? new Uint8Array(B) : null;
      const stranded: number[] = [];
      for (let i = 0; i < B; i++) {
        let best = i * n;
        const byReward = rewardChosen !== null && rewardChosen[i] === 1;
        if (byReward) {
          for (let j = 1; j < n; j++) if (qr![i * n + j] > qr![best]) best = i * n + j;
        } else {
          for (let j = 1; j < n; j++) if (qc[i * n + j] < qc[best]) best = i * n + j;
        }
        for (let d = 0; d < A; d++) out[i * A + d] = av[best * A + d];
        chosen[i] = best - i * n;
        chosenQh[i] = qc[best];
        if (mode && !byReward && mode.qh[i] <= -this.cfg.modeMargin) {
          for (let d = 0; d < A; d++) out[i * A + d] = mode.actions[i * A + d];
          chosen[i] = mode.index ? mode.index[i] : n;
          chosenQh[i] = mode.qh[i];
          modeChosen![i] = 1;
          continue;
        }
        // Stranded: no candidate judged feasible, by at least fallbackMargin (0: the plain sign of Q_h).
        if (qc[best] > -this.cfg.fallbackMargin && !byReward) stranded.push(i);
      }
      if (this.fallbackActions && stranded.length > 0) this.fallBack(observations, stranded, out, chosen, chosenQh);
      return { actions: out, candidateQh: qc, chosen, chosenQh, candidateQr: qr, rewardChosen, modeChosen };
    }));
  }

  /**
   * The n candidates per observation that `act` chooses among, unchosen: [B * n * actDim], observation-major. Draws
   * from the acting stream exactly as `act` does (the same call there would see the same candidates).
   */
  sampleCandidates(observations: Float32Array, n = this.cfg.numSamples): Float32Array {
    const B = observations.length / this.obsDim;
    if (!Number.isInteger(B) || B < 1) throw new Error(`FisorAgent.sampleCandidates: ${observations.length} numbers are not whole observations of size ${this.obsDim}`);
    checkCandidateCount(n, 'FisorAgent.sampleCandidates: n');
    return tidy(() => noGrad(() => Float32Array.from(this.drawCandidates(observations, B, n).a.dataSync())));
  }

  /** n samples of the EMA actor per observation from the acting stream: `s` the repeated observations [B * n, S], `a` the samples [B * n, A]. */
  private drawCandidates(observations: Float32Array, B: number, n: number): { s: Tensor; a: Tensor } {
    const S = this.obsDim;
    const rep = new Float32Array(B * n * S);
    for (let i = 0; i < B; i++) for (let j = 0; j < n; j++) copyRow(observations, i, rep, i * n + j, S);
    const s = this.t(rep, [B * n, S]);
    const a = ddpmSample(this.actorEma, this.schedule, s, this.actDim, this.rngs.act, {
      clip: this.cfg.actor.clipSampler, temperature: this.cfg.actor.temperature, dtype: this.cfg.dtype,
    });
    return { s, a };
  }

  /**
   * One noise-free sample per observation (config modeCandidate): the ancestral sampler from its own x_T with
   * temperature 0, drawn from the acting stream after the N candidates, and its target Q_h (ensemble max).
   */
  private modeSample(observations: Float32Array, B: number): ModeEstimate {
    const s = this.t(observations, [B, this.obsDim]);
    const a = ddpmSample(this.actorEma, this.schedule, s, this.actDim, this.rngs.act, {
      clip: this.cfg.actor.clipSampler, temperature: 0, dtype: this.cfg.dtype,
    });
    return { actions: Float32Array.from(a.dataSync()), qh: Float32Array.from(this.targetQh(s, a).dataSync()), index: null };
  }

  /**
   * For the observations `rows` where no candidate is judged feasible (by fallbackMargin): executes the grid action with the
   * lowest target Q_h where it is lower than the chosen candidate's (chosen = -1 there). The paper's choice
   * needs the actor to propose the safest action; in a state its data never shows recovering from (PointRobot's
   * fixed start: brake with a full left turn), it does not, and Q_h, defined for every action, can still rank it.
   */
  private fallBack(observations: Float32Array, rows: number[], out: Float32Array, chosen: Int32Array, chosenQh: Float32Array): void {
    const S = this.obsDim, A = this.actDim;
    const grid = this.fallbackActions!;
    const K = grid.length / A;
    const s = new Float32Array(rows.length * K * S);
    const a = new Float32Array(rows.length * K * A);
    rows.forEach((i, r) => {
      for (let k = 0; k < K; k++) copyRow(observations, i, s, r * K + k, S);
      a.set(grid, r * K * A);
    });
    const q = this.targetQh(this.t(s, [rows.length * K, S]), this.t(a, [rows.length * K, A])).dataSync();
    rows.forEach((i, r) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (q[r * K + k] < q[r * K + best]) best = k;
      if (!(q[r * K + best] < chosenQh[i])) return;
      for (let d = 0; d < A; d++) out[i * A + d] = grid[best * A + d];
      chosen[i] = -1;
      chosenQh[i] = q[r * K + best];
    });
  }

  /** V_h(s) for a batch of observations [B * obsDim] (the learned feasibility: <= 0 means feasible). */
  feasibilityValue(observations: Float32Array): Float32Array {
    const S = this.obsDim;
    const B = observations.length / S;
    if (!Number.isInteger(B) || B < 1) throw new Error(`FisorAgent.feasibilityValue: ${observations.length} numbers are not whole observations of size ${S}`);
    return tidy(() => noGrad(() => Float32Array.from(this.vh.forward(this.t(observations, [B, S])).dataSync())));
  }

  // =====================================================================================
  // State for checkpoints
  // =====================================================================================

  private modules(): [string, Module][] {
    return [
      ['qh', this.qh], ['qhTarget', this.qhTarget], ['vh', this.vh],
      ['qr', this.qr], ['qrTarget', this.qrTarget], ['vr', this.vr],
      ['actor', this.actor], ['actorEma', this.actorEma],
    ];
  }

  private optimizers(): [string, Optimizer][] {
    return [['opt.qh', this.qhOpt], ['opt.vh', this.vhOpt], ['opt.qr', this.qrOpt], ['opt.vr', this.vrOpt], ['opt.actor', this.actorOpt]];
  }

  /** Every network, target, EMA and optimizer tensor, by dotted name. */
  stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [p, m] of this.modules()) Object.assign(out, stateOf(p, m));
    for (const [p, o] of this.optimizers()) Object.assign(out, stateOf(p, o));
    return out;
  }

  /** Loads what `stateTensors` saved (every name and shape checked first; nothing loaded on error). */
  loadState(loaded: LoadedCheckpoint): void {
    restoreState(loaded, Object.fromEntries<Module | Optimizer>([...this.modules(), ...this.optimizers()]));
  }

  /** The states of every Rng the agent uses (its own streams and the dropout masks'). */
  rngStates(): Record<string, ReturnType<Rng['getState']>> {
    const out: Record<string, ReturnType<Rng['getState']>> = { actor: this.rngs.actor.getState(), act: this.rngs.act.getState() };
    dropoutRngs(this.actor).forEach((r, i) => (out[`dropout.${i}`] = r.getState()));
    return out;
  }

  setRngStates(states: Record<string, ReturnType<Rng['getState']>>): void {
    const need = Object.keys(this.rngStates());
    for (const k of need) if (!states[k]) throw new Error(`FisorAgent.setRngStates: missing Rng state '${k}'`);
    this.rngs.actor.setState(states.actor);
    this.rngs.act.setState(states.act);
    dropoutRngs(this.actor).forEach((r, i) => r.setState(states[`dropout.${i}`]));
  }
}

/** The mode estimate per observation (config modeCandidate): its action [B * actDim], target Q_h [B], and candidate index (null: an extra sample). */
interface ModeEstimate {
  actions: Float32Array;
  qh: Float32Array;
  index: Int32Array | null;
}

/**
 * Config modeEstimate 'densest': per observation, the candidate of the N (`actions` [B * n * dim], `qh` [B * n])
 * in the densest neighbourhood (`densestCandidate`).
 */
function densestCandidates(actions: ArrayLike<number>, qh: Float32Array, B: number, n: number, dim: number): ModeEstimate {
  const out = new Float32Array(B * dim), q = new Float32Array(B), index = new Int32Array(B);
  for (let i = 0; i < B; i++) {
    const j = densestCandidate(actions, i * n, n, dim);
    index[i] = j;
    q[i] = qh[i * n + j];
    for (let d = 0; d < dim; d++) out[i * dim + d] = actions[(i * n + j) * dim + d];
  }
  return { actions: out, qh: q, index };
}

/**
 * Of the n points in rows first .. first + n - 1 of `actions` (rows of `dim` numbers), the index (0-based within them)
 * of the one with the highest Gaussian kernel density over the n, score_j = sum_k exp(-|a_j - a_k|^2 / (2 b^2)), with
 * Silverman's bandwidth b = mean_d std_d (4 / ((dim + 2) n))^(1 / (dim + 4)): a sample-based estimate of the mode. The
 * first of bit-equal scores wins (scores equal in exact arithmetic may differ in the last bit, as each is summed in its
 * own order; deterministic either way, float64 throughout, so the same on every backend). n <= 2, identical points
 * (b = 0) or a non-finite coordinate (b NaN) give index 0.
 */
export function densestCandidate(actions: ArrayLike<number>, first: number, n: number, dim: number): number {
  if (n <= 2) return 0;
  let spread = 0;
  for (let d = 0; d < dim; d++) {
    let m = 0;
    for (let j = 0; j < n; j++) m += actions[(first + j) * dim + d];
    m /= n;
    let v = 0;
    for (let j = 0; j < n; j++) v += (actions[(first + j) * dim + d] - m) ** 2;
    spread += Math.sqrt(v / (n - 1));
  }
  const b = (spread / dim) * (4 / ((dim + 2) * n)) ** (1 / (dim + 4));
  if (!(b > 0)) return 0;
  const inv = 1 / (2 * b * b);
  let best = 0, bestScore = -Infinity;
  for (let j = 0; j < n; j++) {
    let score = 0;
    for (let k = 0; k < n; k++) {
      let d2 = 0;
      for (let d = 0; d < dim; d++) d2 += (actions[(first + j) * dim + d] - actions[(first + k) * dim + d]) ** 2;
      score += Math.exp(-d2 * inv);
    }
    if (score > bestScore) {
      bestScore = score;
      best = j;
    }
  }
  return best;
}

/**
 * Candidates per observation must be a whole number >= 1: 0 or a negative count failed deep in the sampler, and a
 * fraction (n = 1.5) silently mixed the candidates of neighbouring observations.
 */
export function checkCandidateCount(n: number, who: string): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`${who} must be a whole number >= 1 (candidate actions per observation), got ${n}`);
}

/**
 * A child generator seeded from `parent`'s next 32 bits. (Kept instead of Rng.fork() because every saved
 * checkpoint and published result was made with this derivation; changing it would change every run's bits.)
 */
export function deriveRng(parent: Rng): Rng {
  return new Rng(parent.nextU32());
}

/** The g^dim points of a grid with every coordinate in linspace(-1, 1, g), row-major [g^dim * dim]; first coordinate fastest. */
export function fallbackGridActions(g: number, dim: number, key = 'fallbackGrid', max = MAX_FALLBACK_ACTIONS): Float32Array {
  if (!Number.isInteger(g) || g < 2) throw new Error(`config ${key}: grid size must be an integer >= 2, got ${g}`);
  const K = g ** dim;
  if (K > max) throw new Error(`config ${key} ${g} gives ${g}^${dim} = ${K} actions for ${dim}-d actions, more than ${max}; use a smaller grid or 0`);
  const out = new Float32Array(K * dim);
  for (let k = 0; k < K; k++) {
    let r = k;
    for (let d = 0; d < dim; d++) {
      out[k * dim + d] = -1 + (2 * (r % g)) / (g - 1);
      r = Math.floor(r / g);
    }
  }
  return out;
}

/** Most fallback actions evaluated per stranded observation (each one a Q_h forward row). */
export const MAX_FALLBACK_ACTIONS = 4096;
/** Most grid actions V_h's target may take (config vhActionGrid): each costs a Q_h ensemble pass over the critic batch. */
export const MAX_VH_GRID_ACTIONS = 256;

/** Actor iterations of a run: all of them (joint), or those after the critic phase (critics-first). */
export function actorIterations(cfg: FisorConfig): number {
  return cfg.schedule === 'critics-first' ? cfg.steps - cfg.criticSteps : cfg.steps;
}

/** What iteration `step` (0-based) trains: both (joint), or critics / actor under critics-first. */
export function iterationPhase(cfg: FisorConfig, step: number): 'joint' | 'critics' | 'actor' {
  if (cfg.schedule !== 'critics-first') return 'joint';
  return step < cfg.criticSteps ? 'critics' : 'actor';
}

/** The distinct Rngs of all Dropout layers inside `m`, in module order. */
function dropoutRngs(m: Module): Rng[] {
  const out: Rng[] = [];
  const walk = (x: Module) => {
    if (x instanceof Dropout && !out.includes(x.rng)) out.push(x.rng);
    for (const [, c] of x.namedChildren()) walk(c);
  };
  walk(m);
  return out;
}
