/**
 * CDT, the Constrained Decision Transformer (OSRL algorithms/cdt.py, common/net.py, configs/cdt_configs.py),
 * built from core ops (linear, softmax, GELU, LayerNorm, causal mask, indexSelect for the timestep embedding).
 *
 * Sequence data: episodes split at terminal|timeout; per step the undiscounted return-to-go R_t = Σ_{k>=t} r_k
 * and cost-to-go C_t = Σ_{k>=t} c_k. An episode is drawn with probability ∝ max(0, costSampleCap - C_0) (OSRL
 * cost_sample, linear transform 70 - x), a start uniformly in it, and a window of L steps (zero-padded past the
 * end, mask 0 there; timesteps keep counting).
 *
 * Tokens per step, in order (R_t·rewardScale, costTransform - C_t, s_t, a_t), each embedded by its own Linear plus a
 * learned embedding of the absolute timestep: 4L tokens -> LayerNorm -> dropout -> blocks (pre-LN: x + Drop(MHA(LN x)),
 * x + Drop(W2 GELU(W1 LN x))) with causal self-attention (token i sees j <= i; padded keys masked) -> LayerNorm.
 * The action head (Gaussian: μ, log σ, no clamp, no tanh) reads the s_t token; the cost head (2-class log-softmax of
 * c_t) reads the a_t token.
 *
 * Losses (one method each):
 *   actionLoss:  L_a = -(mean ln N(a; μ, σ) + T_ent·mean H[N(μ, σ)]) over unpadded steps and action dims.
 *   costLoss:    L_c = mean over all B·L positions of mask·NLL(c_t)   (OSRL divides by B·L, pads included).
 *   total:       L = L_a + costWeight·L_c; AdamW (weight decay), gradient-norm clip, linear warm-up of the rate.
 *   temperatureLoss: T_ent·(H̄ - H_target), H_target = -act_dim, on ln T_ent with Adam.
 * Evaluation: the window of the last <= L steps with the target return-to-go and cost-to-go (by default R̂ = the best
 * safe return in the data and Ĉ = κ, one pair instead of OSRL's three per task), decreased by what each episode
 * received; the action is μ at the last s-token, clipped to ±maxAction.
 *
 * Not implemented: OSRL's Pareto-frontier data augmentation (augment_percent 0.2: grid filter, Pareto set,
 * polynomial fit, relabelled copies). Both presets here train on the original episodes only (augmentPercent 0).
 */
import { causalMask, concat, gelu, keyPaddingMask, logSoftmax, noGrad, Rng, softmax, tensor, tidy, type Tensor } from '../../core/index.js';
import { Adam, AdamW, clipGradNorm, Dropout, LayerNorm, Linear, Module, type Optimizer } from '../../nn/index.js';
import { copyRow, splitTrajectories, type Dataset } from '../data/dataset.js';
import { taskReference } from '../envs/reference.js';
import { checker } from './config.js';
import { gaussianEntropy, gaussianLogProb, getRngs, setRngs, StateBag, type DType } from './common.js';
import type { Algorithm, AlgorithmDef, LoopConfig, Metrics } from './types.js';

export interface CDTConfig extends LoopConfig {
  embedDim: number;
  blocks: number;
  heads: number;
  /** Context length L in steps (4L tokens). */
  seqLen: number;
  dropout: number;
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  clipGrad: number;
  costWeight: number;
  /** Initial entropy temperature T_ent and the Adam rate of ln T_ent. */
  initTemperature: number;
  temperatureLr: number;
  rewardScale: number;
  costScale: number;
  /** Cost tokens carry costTransform - C_t (OSRL cost_transform: 50 - x). */
  costTransform: number;
  /** Episodes are sampled ∝ max(0, costSampleCap - C_0) (OSRL: 70 - x). */
  costSampleCap: number;
  /** Fraction of Pareto-relabelled episodes added (OSRL 0.2); only 0 is implemented. */
  augmentPercent: number;
  /** Evaluation targets: return-to-go R̂ (0 = the best return among dataset episodes with cost <= costLimit) and cost-to-go Ĉ. */
  targetReturn: number;
  /** -1 = the run's cost limit κ (so that `--cost-limit` also moves the cost the policy is asked to keep to). */
  targetCost: number;
  maxAction: number;
  /** Length of the timestep table minus seqLen (0 = the task's time limit). */
  episodeLen: number;
}

export const CDT_PAPER: CDTConfig = {
  steps: 100_000, batchSize: 2048, evalEvery: 2500, evalEpisodes: 10, logEvery: 100, checkpointEvery: 2500, costLimit: 10, dtype: 'float32',
  embedDim: 128, blocks: 3, heads: 8, seqLen: 10, dropout: 0.1, lr: 1e-4, weightDecay: 1e-4, warmupSteps: 500, clipGrad: 0.25,
  costWeight: 0.02, initTemperature: 0.1, temperatureLr: 1e-4, rewardScale: 0.1, costScale: 1, costTransform: 50, costSampleCap: 70,
  augmentPercent: 0, targetReturn: 0, targetCost: -1, maxAction: 1, episodeLen: 0,
};

export const CDT_CPU_CHANGES: Record<string, { value: unknown; why: string }> = {
  steps: { value: 400, why: 'paper 100k; about a minute on 2 cores (the transformer runs at ~8 steps/s at these sizes here)' },
  batchSize: { value: 16, why: 'paper 2048 windows (81,920 tokens per step); 16 windows (640 tokens) keep a step near 0.1 s' },
  embedDim: { value: 32, why: 'paper 128' },
  blocks: { value: 1, why: 'paper 3' },
  heads: { value: 2, why: 'paper 8 (head size 16 kept)' },
  lr: { value: 1e-3, why: 'paper 1e-4 over 100k steps; a higher rate for 250x fewer steps' },
  warmupSteps: { value: 40, why: 'paper 500 = 0.5% of the run; 40 keeps the warm-up short in a 400-step run' },
  temperatureLr: { value: 1e-3, why: 'paper 1e-4; same reason as lr' },
  evalEvery: { value: 0, why: 'paper 2500; evaluate once at the end' },
  evalEpisodes: { value: 20, why: 'paper 10 during training; 20 = the reported evaluation' },
  checkpointEvery: { value: 200, why: 'paper 2500' },
};

/** Writes N(0, std) into a Linear's weight and zeros into its bias (OSRL's _init_weights). */
function initNormal(l: Linear, std: number, rng: Rng): Linear {
  const w = l.weight.buffer.view();
  const d = new Float64Array(w.length);
  for (let i = 0; i < d.length; i++) d[i] = std * rng.normal();
  l.weight.backend.write(l.weight.buffer, d);
  if (l.bias) l.bias.backend.fill(l.bias.buffer, 0);
  return l;
}

/** Multi-head causal self-attention (PyTorch nn.MultiheadAttention layout: packed Q/K/V projection, output projection). */
export class CausalSelfAttention extends Module {
  readonly qkv: Linear;
  readonly out: Linear;
  readonly attnDrop: Dropout;

  constructor(readonly dim: number, readonly heads: number, dropout: number, rng: Rng, dropRng: Rng, dtype: DType) {
    super();
    // PyTorch keeps xavier-uniform (zero bias) for the packed in-projection; the out-projection is an nn.Linear.
    this.qkv = this.registerModule('qkv', new Linear(dim, 3 * dim, { init: 'xavier', rng, dtype }));
    this.out = this.registerModule('out', initNormal(new Linear(dim, dim, { rng, dtype }), 0.02, rng));
    this.attnDrop = this.registerModule('attnDrop', new Dropout(dropout, dropRng));
  }

  /** x [B, T, E]; mask: additive [T, T] (causal) plus optional [B, 1, 1, T] (padded keys). */
  forward(x: Tensor, mask: Tensor, padMask?: Tensor): Tensor {
    const [B, T, E] = x.shape;
    const H = this.heads, d = E / H;
    const qkv = this.qkv.forward(x).reshape([B, T, 3, H, d]).transpose([2, 0, 3, 1, 4]); // [3, B, H, T, d]
    const q = qkv.slice([0, 0, 0, 0, 0], [1, B, H, T, d]).reshape([B, H, T, d]);
    const k = qkv.slice([1, 0, 0, 0, 0], [1, B, H, T, d]).reshape([B, H, T, d]);
    const v = qkv.slice([2, 0, 0, 0, 0], [1, B, H, T, d]).reshape([B, H, T, d]);
    let logits = q.matmul(k.transpose([0, 1, 3, 2])).mul(1 / Math.sqrt(d)).add(mask);
    if (padMask) logits = logits.add(padMask);
    const w = this.attnDrop.forward(softmax(logits));
    const y = w.matmul(v).transpose([0, 2, 1, 3]).reshape([B, T, E]);
    return this.out.forward(y);
  }
}

/** Pre-LN transformer block: x + Drop(MHA(LN₁x)); x + Drop(W₂ GELU(W₁ LN₂x)). */
export class Block extends Module {
  readonly ln1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly drop: Dropout;

  constructor(dim: number, heads: number, dropout: number, rng: Rng, dropRng: Rng, dtype: DType) {
    super();
    this.ln1 = this.registerModule('ln1', new LayerNorm(dim, { eps: 1e-5, dtype }));
    this.attn = this.registerModule('attn', new CausalSelfAttention(dim, heads, dropout, rng, dropRng, dtype));
    this.ln2 = this.registerModule('ln2', new LayerNorm(dim, { eps: 1e-5, dtype }));
    this.fc1 = this.registerModule('fc1', initNormal(new Linear(dim, 4 * dim, { rng, dtype }), 0.02, rng));
    this.fc2 = this.registerModule('fc2', initNormal(new Linear(4 * dim, dim, { rng, dtype }), 0.02, rng));
    this.drop = this.registerModule('drop', new Dropout(dropout, dropRng));
  }

  forward(x: Tensor, mask: Tensor, padMask?: Tensor): Tensor {
    const h = x.add(this.drop.forward(this.attn.forward(this.ln1.forward(x), mask, padMask)));
    return h.add(this.drop.forward(this.fc2.forward(gelu(this.fc1.forward(this.ln2.forward(h))))));
  }
}

/** One training window batch: [B, L, ·] row-major arrays. */
export interface SequenceBatch {
  size: number;
  states: Float32Array;
  actions: Float32Array;
  /** Return-to-go (scaled) and cost-to-go (scaled) tokens. */
  rtg: Float32Array;
  ctg: Float32Array;
  costs: Float32Array;
  timesteps: Int32Array;
  mask: Float32Array;
}

/** The transformer: token embeddings, blocks, heads. */
export class CDTModel extends Module {
  readonly embedState: Linear;
  readonly embedAction: Linear;
  readonly embedReturn: Linear;
  readonly embedCost: Linear;
  /** Timestep table [episodeLen + L, E] (an nn.Embedding: rows selected with indexSelect). */
  readonly timestep: Linear;
  readonly ln: LayerNorm;
  readonly drop: Dropout;
  readonly blocks: Block[] = [];
  readonly lnFinal: LayerNorm;
  readonly muHead: Linear;
  readonly logStdHead: Linear;
  readonly costHead: Linear;

  constructor(readonly cfg: CDTConfig, readonly obsDim: number, readonly actDim: number, readonly maxTimestep: number, rng: Rng, dropRng: Rng) {
    super();
    const E = cfg.embedDim, dt = cfg.dtype;
    const lin = (name: string, i: number, o: number) => this.registerModule(name, initNormal(new Linear(i, o, { rng, dtype: dt }), 0.02, rng));
    this.embedState = lin('embedState', obsDim, E);
    this.embedAction = lin('embedAction', actDim, E);
    this.embedReturn = lin('embedReturn', 1, E);
    this.embedCost = lin('embedCost', 1, E);
    this.timestep = this.registerModule('timestep', initNormal(new Linear(maxTimestep, E, { rng, dtype: dt, bias: false }), 0.02, rng));
    this.ln = this.registerModule('ln', new LayerNorm(E, { eps: 1e-5, dtype: dt }));
    this.drop = this.registerModule('drop', new Dropout(cfg.dropout, dropRng));
    for (let i = 0; i < cfg.blocks; i++) this.blocks.push(this.registerModule(`blocks.${i}`, new Block(E, cfg.heads, cfg.dropout, rng, dropRng, dt)));
    this.lnFinal = this.registerModule('lnFinal', new LayerNorm(E, { eps: 1e-5, dtype: dt }));
    this.muHead = lin('mu', E, actDim);
    this.logStdHead = lin('logStd', E, actDim);
    this.costHead = lin('cost', E, 2);
  }

  /**
   * Outputs for a batch of windows of length T (<= L): μ and log σ at each s-token [B, T, A], cost log-probs at each
   * a-token [B, T, 2]. `valid` (B·T flags) masks padded keys when given.
   */
  forward(s: Tensor, a: Tensor, rtg: Tensor, ctg: Tensor, timesteps: Int32Array, valid?: ArrayLike<number>) {
    const [B, T] = s.shape;
    const E = this.cfg.embedDim;
    const time = this.timestep.weight.indexSelect(timesteps).reshape([B, T, E]);
    const tokR = this.embedReturn.forward(rtg.reshape([B, T, 1])).add(time);
    const tokC = this.embedCost.forward(ctg.neg().add(this.cfg.costTransform).reshape([B, T, 1])).add(time);
    const tokS = this.embedState.forward(s).add(time);
    const tokA = this.embedAction.forward(a).add(time);
    const seq = concat([tokR, tokC, tokS, tokA].map((t) => t.reshape([B, T, 1, E])), 2).reshape([B, 4 * T, E]);
    let x = this.drop.forward(this.ln.forward(seq));
    const mask = causalMask(4 * T, { dtype: this.cfg.dtype });
    const pad = valid ? keyPaddingMask(Float32Array.from({ length: B * 4 * T }, (_, i) => valid[Math.floor(i / 4)]), B, 4 * T, { dtype: this.cfg.dtype }) : undefined;
    for (const b of this.blocks) x = b.forward(x, mask, pad);
    const out = this.lnFinal.forward(x).reshape([B, T, 4, E]);
    const atS = out.slice([0, 0, 2, 0], [B, T, 1, E]).reshape([B, T, E]);
    const atA = out.slice([0, 0, 3, 0], [B, T, 1, E]).reshape([B, T, E]);
    return { mu: this.muHead.forward(atS), logStd: this.logStdHead.forward(atS), costLogp: logSoftmax(this.costHead.forward(atA)) };
  }
}

interface Episode { start: number; length: number; c0: number }

export class CDT implements Algorithm<SequenceBatch> {
  readonly model: CDTModel;
  readonly opt: Optimizer;
  /** [ln T_ent]. */
  readonly logTemp: Tensor;
  readonly tempOpt: Optimizer;
  readonly rngs: { drop: Rng };
  readonly targetReturn: number;
  /** Ĉ, the cost-to-go every evaluation episode starts from. */
  readonly targetCost: number;
  private readonly data: { ds: Dataset; episodes: Episode[]; cumWeights: Float64Array; rtg: Float32Array; ctg: Float32Array } | null;
  private readonly bag: StateBag;
  private readonly maxTimestep: number;
  /** Evaluation state per episode: the tokens so far. */
  private hist: { s: number[][]; a: number[][]; r: number[]; c: number[] }[] = [];

  constructor(readonly cfg: CDTConfig, readonly obsDim: number, readonly actDim: number, task: string, dataset: Dataset | null, rng: Rng) {
    const epLen = cfg.episodeLen > 0 ? cfg.episodeLen : taskReference(task).maxEpisodeSteps;
    this.maxTimestep = epLen + cfg.seqLen;
    this.rngs = { drop: new Rng(rng.nextU32()) };
    this.model = new CDTModel(cfg, obsDim, actDim, this.maxTimestep, rng, this.rngs.drop);
    const warm = cfg.warmupSteps;
    this.opt = new AdamW(this.model.parameters(), { schedule: (k) => cfg.lr * Math.min((k + 1) / warm, 1), weightDecay: cfg.weightDecay });
    this.logTemp = tensor([Math.log(cfg.initTemperature)], { dtype: cfg.dtype });
    this.logTemp.requiresGrad = true;
    this.logTemp.keep();
    this.tempOpt = new Adam([this.logTemp], { lr: cfg.temperatureLr });
    this.data = dataset ? sequenceData(dataset, cfg.costSampleCap) : null;
    this.targetReturn = cfg.targetReturn > 0 ? cfg.targetReturn : dataset ? bestSafeReturn(dataset, cfg.costLimit) : 0;
    this.targetCost = cfg.targetCost === -1 ? cfg.costLimit : cfg.targetCost;
    this.bag = new StateBag([['model', this.model], ['opt', this.opt], ['opt.temperature', this.tempOpt]], [['logTemp', this.logTemp], ['targetReturn', tensor([this.targetReturn], { dtype: 'float64' }).keep()]]);
  }

  get temperature(): number {
    return Math.exp(this.logTemp.buffer.view()[0]);
  }

  sample(rng: Rng): SequenceBatch {
    if (!this.data) throw new Error('CDT: built without a dataset (acting only); cannot sample');
    const { ds, episodes, cumWeights, rtg, ctg } = this.data;
    const B = this.cfg.batchSize, L = this.cfg.seqLen, S = this.obsDim, A = this.actDim;
    const out: SequenceBatch = {
      size: B, states: new Float32Array(B * L * S), actions: new Float32Array(B * L * A), rtg: new Float32Array(B * L), ctg: new Float32Array(B * L),
      costs: new Float32Array(B * L), timesteps: new Int32Array(B * L), mask: new Float32Array(B * L),
    };
    const total = cumWeights[cumWeights.length - 1];
    for (let b = 0; b < B; b++) {
      const u = rng.uniform53() * total;
      let lo = 0, hi = cumWeights.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumWeights[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      const ep = episodes[lo];
      const start = rng.int(ep.length);
      for (let k = 0; k < L; k++) {
        const o = b * L + k;
        out.timesteps[o] = Math.min(start + k, this.maxTimestep - 1);
        if (start + k >= ep.length) continue;
        const j = ep.start + start + k;
        copyRow(ds.observations, j, out.states, o, S);
        copyRow(ds.actions, j, out.actions, o, A);
        out.rtg[o] = rtg[j] * this.cfg.rewardScale;
        out.ctg[o] = ctg[j] * this.cfg.costScale;
        out.costs[o] = ds.costs[j] > 0 ? 1 : 0;
        out.mask[o] = 1;
      }
    }
    return out;
  }

  private tensors(b: SequenceBatch) {
    const B = b.size, L = b.states.length / (b.size * this.obsDim), dt = this.cfg.dtype;
    return {
      s: tensor(b.states, { shape: [B, L, this.obsDim], dtype: dt }), a: tensor(b.actions, { shape: [B, L, this.actDim], dtype: dt }),
      rtg: tensor(b.rtg, { shape: [B, L], dtype: dt }), ctg: tensor(b.ctg, { shape: [B, L], dtype: dt }),
      mask: tensor(b.mask, { shape: [B, L], dtype: dt }), cost: tensor(b.costs, { shape: [B, L], dtype: dt }),
    };
  }

  /** L_a = -(Σ mask·ln N(a; μ, σ) + T·Σ mask·H) / (Σ mask · A); also returns H̄ (the per-dimension mean entropy). */
  actionLoss(mu: Tensor, logStd: Tensor, a: Tensor, mask: Tensor): { loss: Tensor; entropy: number; nll: number } {
    const m = mask.reshape([mask.shape[0], mask.shape[1], 1]);
    const denom = mask.sum().item() * this.actDim;
    const lp = gaussianLogProb(a, mu, logStd).mul(m).sum().div(denom);
    const ent = gaussianEntropy(logStd).mul(m).sum().div(denom);
    return { loss: lp.add(ent.mul(this.temperature)).neg(), entropy: ent.item(), nll: -lp.item() };
  }

  /** L_c = mean over B·L of mask·(-ln p(c_t)). */
  costLoss(costLogp: Tensor, cost: Tensor, mask: Tensor): Tensor {
    const [B, L] = cost.shape;
    const p0 = costLogp.slice([0, 0, 0], [B, L, 1]).reshape([B, L]);
    const p1 = costLogp.slice([0, 0, 1], [B, L, 1]).reshape([B, L]);
    const lp = p1.mul(cost).add(p0.mul(cost.neg().add(1)));
    return lp.mul(mask).mean().neg();
  }

  /** T_ent·(H̄ - H_target) on ln T_ent, H_target = -act_dim. */
  temperatureLoss(entropy: number): Tensor {
    return this.logTemp.exp().mul(entropy + this.actDim).sum();
  }

  update(b: SequenceBatch): Metrics {
    return tidy(() => {
      this.model.train();
      const t = this.tensors(b);
      const { mu, logStd, costLogp } = this.model.forward(t.s, t.a, t.rtg, t.ctg, b.timesteps, b.mask);
      const act = this.actionLoss(mu, logStd, t.a, t.mask);
      const cost = this.costLoss(costLogp, t.cost, t.mask);
      const loss = act.loss.add(cost.mul(this.cfg.costWeight));
      const lr = this.opt.lr;
      this.opt.zeroGrad();
      loss.backward();
      const gradNorm = clipGradNorm(this.model.parameters(), this.cfg.clipGrad);
      this.opt.step();
      this.tempOpt.zeroGrad();
      this.temperatureLoss(act.entropy).backward();
      this.tempOpt.step();
      return { loss: loss.item(), actionNll: act.nll, costLoss: cost.item(), entropy: act.entropy, temperature: this.temperature, gradNorm, lr };
    });
  }

  /** Eval: without episode hooks, each call is a fresh one-step context per observation. */
  act(observations: Float32Array): Float32Array {
    const n = observations.length / this.obsDim;
    this.beginEpisodes(n);
    return this.actEpisodes(observations, Array.from({ length: n }, (_, i) => i));
  }

  beginEpisodes(count: number): void {
    const r0 = this.targetReturn * this.cfg.rewardScale, c0 = this.targetCost * this.cfg.costScale;
    this.hist = Array.from({ length: count }, () => ({ s: [], a: [], r: [r0], c: [c0] }));
  }

  actEpisodes(observations: Float32Array, live: readonly number[]): Float32Array {
    const S = this.obsDim, A = this.actDim, L = this.cfg.seqLen, n = live.length;
    for (const [k, i] of live.entries()) {
      const h = this.hist[i];
      if (!h) throw new Error(`CDT.actEpisodes: episode ${i} was not begun (call beginEpisodes first)`);
      h.s.push(Array.from(observations.subarray(k * S, k * S + S)));
      h.a.push(new Array(A).fill(0));
    }
    const len = this.hist[live[0]].s.length;
    const T = Math.min(len, L);
    const s = new Float32Array(n * T * S), a = new Float32Array(n * T * A), r = new Float32Array(n * T), c = new Float32Array(n * T);
    const ts = new Int32Array(n * T);
    live.forEach((i, k) => {
      const h = this.hist[i];
      if (h.s.length !== len) throw new Error('CDT.actEpisodes: the live episodes are not in lockstep');
      for (let j = 0; j < T; j++) {
        const step = len - T + j;
        const o = k * T + j;
        s.set(h.s[step], o * S);
        a.set(h.a[step], o * A);
        r[o] = h.r[step];
        c[o] = h.c[step];
        ts[o] = Math.min(step, this.maxTimestep - 1);
      }
    });
    const m = this.cfg.maxAction;
    const out = tidy(() => noGrad(() => {
      this.model.eval();
      const dt = this.cfg.dtype;
      const { mu } = this.model.forward(
        tensor(s, { shape: [n, T, S], dtype: dt }), tensor(a, { shape: [n, T, A], dtype: dt }),
        tensor(r, { shape: [n, T], dtype: dt }), tensor(c, { shape: [n, T], dtype: dt }), ts);
      return Float32Array.from(mu.slice([0, T - 1, 0], [n, 1, A]).clamp(-m, m).dataSync());
    }));
    live.forEach((i, k) => {
      this.hist[i].a[len - 1] = Array.from(out.subarray(k * A, k * A + A));
    });
    return out;
  }

  observeStep(live: readonly number[], rewards: Float64Array, costs: Float64Array): void {
    live.forEach((i, k) => {
      const h = this.hist[i];
      h.r.push(h.r[h.r.length - 1] - rewards[k] * this.cfg.rewardScale);
      h.c.push(h.c[h.c.length - 1] - costs[k] * this.cfg.costScale);
    });
  }

  stateTensors() { return this.bag.tensors(); }
  loadState(loaded: Parameters<StateBag['load']>[0]) {
    this.bag.load(loaded);
    (this as { targetReturn: number }).targetReturn = loaded.tensors.targetReturn[0];
  }
  rngStates() { return getRngs(this.rngs); }
  setRngStates(st: Parameters<typeof setRngs>[1]) { setRngs(this.rngs, st, 'CDT'); }
}

/** Episodes, per-row return-to-go and cost-to-go, and cumulative sampling weights ∝ max(0, cap - C_0). */
export function sequenceData(ds: Dataset, cap: number) {
  const trajs = splitTrajectories(ds);
  const rtg = new Float32Array(ds.size), ctg = new Float32Array(ds.size);
  const episodes: Episode[] = [];
  const cumWeights = new Float64Array(trajs.length);
  let total = 0;
  trajs.forEach((t, k) => {
    let R = 0, C = 0;
    for (let j = t.end - 1; j >= t.start; j--) {
      R += ds.rewards[j];
      C += ds.costs[j];
      rtg[j] = R;
      ctg[j] = C;
    }
    episodes.push({ start: t.start, length: t.length, c0: C });
    total += Math.max(0, cap - C);
    cumWeights[k] = total;
  });
  if (!(total > 0)) throw new Error(`CDT: every episode has cost >= costSampleCap (${cap}); no episode can be sampled`);
  return { ds, episodes, cumWeights, rtg, ctg };
}

/** The largest episode return among episodes with cost <= costLimit (the default evaluation target). */
export function bestSafeReturn(ds: Dataset, costLimit: number): number {
  const safe = splitTrajectories(ds).filter((t) => t.cost <= costLimit);
  if (safe.length === 0) throw new Error(`CDT: no dataset episode has cost <= ${costLimit}; set targetReturn explicitly`);
  return Math.max(...safe.map((t) => t.ret));
}

function checkCDT(c: CDTConfig): void {
  const k = checker();
  for (const key of ['embedDim', 'blocks', 'heads', 'seqLen', 'warmupSteps'] as const) k.int(key, c[key]);
  if (c.embedDim % c.heads !== 0) throw new Error(`config key 'embedDim' (${c.embedDim}) must be divisible by heads (${c.heads})`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`config key 'dropout' must be in [0, 1), got ${c.dropout}`);
  for (const key of ['lr', 'clipGrad', 'initTemperature', 'temperatureLr', 'rewardScale', 'costScale', 'maxAction'] as const) k.pos(key, c[key]);
  for (const key of ['weightDecay', 'costWeight', 'targetReturn'] as const) k.nonneg(key, c[key]);
  if (!(c.targetCost === -1 || c.targetCost >= 0)) throw new Error(`config key 'targetCost' must be >= 0, or -1 for the cost limit, got ${c.targetCost}`);
  if (c.augmentPercent !== 0) throw new Error(`config key 'augmentPercent' = ${c.augmentPercent}: OSRL's Pareto-frontier augmentation is not implemented; only 0 is accepted`);
  if (!(Number.isInteger(c.episodeLen) && c.episodeLen >= 0)) throw new Error(`config key 'episodeLen' must be an integer >= 0, got ${c.episodeLen}`);
}

export const CDT_DEF: AlgorithmDef<CDTConfig> = {
  name: 'cdt',
  summary: 'Constrained Decision Transformer: return- and cost-to-go tokens, causal self-attention (OSRL CDT)',
  paper: CDT_PAPER,
  cpuChanges: CDT_CPU_CHANGES,
  check: checkCDT,
  create: ({ cfg, obsDim, actDim, task, dataset, rng }) => new CDT(cfg, obsDim, actDim, task, dataset, rng),
};
