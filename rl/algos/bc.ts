/**
 * BC-All and BC-Safe (OSRL algorithms/bc.py, configs/bc_configs.py): behaviour cloning with a deterministic
 * MLP actor, π(s) = tanh(MLP(s)) · maxAction, trained by mean squared error to the dataset's actions.
 * BC-All clones every transition; BC-Safe only the trajectories whose episode cost is at most κ (whole
 * episodes kept or dropped, OSRL process_bc_dataset with bc_mode "safe").
 *
 * Loss: L = mean over batch and action dims of (π(s) - a)².  Metrics: actorLoss, actionMean (mean |π(s)|).
 * Evaluation: π(s).
 */
import { Rng, tensor, tidy } from '../../core/index.js';
import { Adam, mse, type MLP, type Optimizer } from '../../nn/index.js';
import type { Batch, Dataset } from '../data/dataset.js';
import { checker } from './config.js';
import { getRngs, inference, mlp, setRngs, StateBag } from './common.js';
import { selectTrajectories, TransitionSampler } from './data.js';
import type { Algorithm, AlgorithmDef, CreateContext, LoopConfig, Metrics } from './types.js';

export interface BCConfig extends LoopConfig {
  /** 'all' clones every transition; 'safe' only trajectories with episode cost <= costLimit. */
  mode: 'all' | 'safe';
  hidden: number[];
  lr: number;
  maxAction: number;
}

/** OSRL BCTrainConfig (C/bc): the values the paper's BC baselines ran with. */
export const BC_PAPER: BCConfig = {
  steps: 100_000, batchSize: 512, evalEvery: 2500, evalEpisodes: 10, logEvery: 100, checkpointEvery: 2500, costLimit: 10, dtype: 'float32',
  mode: 'all', hidden: [256, 256], lr: 1e-3, maxAction: 1,
};

export const BC_CPU_CHANGES: Record<string, { value: unknown; why: string }> = {
  steps: { value: 2000, why: "paper 100k; ~30-40 s on 2 cores (~60 steps/s); the cloning loss flattens within ~1-2k steps on these datasets" },
  batchSize: { value: 256, why: 'paper 512; half the time per step, the gradient noise is still small for a regression' },
  evalEvery: { value: 0, why: 'paper 2500; evaluate once at the end (evaluation costs as much as training here)' },
  evalEpisodes: { value: 20, why: 'paper 10 during training; 20 = the reported evaluation (3 seeds x 20 episodes)' },
  checkpointEvery: { value: 1000, why: 'paper 2500; a short run still gets resumable checkpoints' },
};

export class BC implements Algorithm<Batch> {
  readonly actor: MLP;
  readonly opt: Optimizer;
  readonly sampler: TransitionSampler | null;
  readonly rngs: { init: Rng };
  private readonly bag: StateBag;
  readonly obsDim: number;
  readonly actDim: number;

  constructor(readonly cfg: BCConfig, obsDim: number, actDim: number, dataset: Dataset | null, rng: Rng) {
    this.obsDim = obsDim;
    this.actDim = actDim;
    this.rngs = { init: rng };
    const data = dataset && cfg.mode === 'safe' ? selectTrajectories(dataset, (t) => t.cost <= cfg.costLimit, `BC-Safe (episode cost <= ${cfg.costLimit})`) : dataset;
    this.sampler = data ? new TransitionSampler(data, cfg.batchSize) : null;
    this.actor = mlp(this.obsDim, cfg.hidden, this.actDim, rng, cfg.dtype);
    this.opt = new Adam(this.actor.parameters(), { lr: cfg.lr });
    this.bag = new StateBag([['actor', this.actor], ['opt.actor', this.opt]]);
  }

  /** π(s) = tanh(MLP(s)) · maxAction. */
  policy(s: ReturnType<typeof tensor>) {
    return this.actor.forward(s).tanh().mul(this.cfg.maxAction);
  }

  sample(rng: Rng): Batch {
    if (!this.sampler) throw new Error('BC: built without a dataset (acting only); cannot sample');
    return this.sampler.sample(rng);
  }

  /** L = mean (π(s) - a)². */
  actorLoss(b: Batch) {
    const s = tensor(b.observations, { shape: [b.size, this.obsDim], dtype: this.cfg.dtype });
    const a = tensor(b.actions, { shape: [b.size, this.actDim], dtype: this.cfg.dtype });
    const pi = this.policy(s);
    return { loss: mse(pi, a), pi };
  }

  update(b: Batch): Metrics {
    return tidy(() => {
      const { loss, pi } = this.actorLoss(b);
      this.opt.zeroGrad();
      loss.backward();
      this.opt.step();
      return { actorLoss: loss.item(), actionMean: pi.abs().mean().item() };
    });
  }

  act(observations: Float32Array): Float32Array {
    const B = observations.length / this.obsDim;
    return inference(() => this.policy(tensor(observations, { shape: [B, this.obsDim], dtype: this.cfg.dtype })));
  }

  stateTensors() { return this.bag.tensors(); }
  loadState(loaded: Parameters<StateBag['load']>[0]) { this.bag.load(loaded); }
  rngStates() { return getRngs(this.rngs); }
  setRngStates(s: Parameters<typeof setRngs>[1]) { setRngs(this.rngs, s, 'BC'); }
}

function checkBC(c: BCConfig): void {
  const k = checker();
  if (c.mode !== 'all' && c.mode !== 'safe') throw new Error(`config key 'mode' must be all or safe, got ${String(c.mode)}`);
  if (c.hidden.length === 0) throw new Error("config key 'hidden' must have at least one layer");
  c.hidden.forEach((h, i) => k.int(`hidden[${i}]`, h));
  k.pos('lr', c.lr);
  k.pos('maxAction', c.maxAction);
}

function bcDef(name: string, mode: 'all' | 'safe', summary: string): AlgorithmDef<BCConfig> {
  /** The mode is the algorithm's identity: a bc-safe run that cloned every transition would carry the wrong name in its results. */
  const check = (c: BCConfig): void => {
    checkBC(c);
    if (c.mode !== mode) throw new Error(`config key 'mode' is '${c.mode}', but ${name} clones with mode '${mode}' (use --algo bc-${c.mode})`);
  };
  return {
    name, summary, paper: { ...BC_PAPER, mode }, cpuChanges: BC_CPU_CHANGES, check,
    create: ({ cfg, obsDim, actDim, dataset, rng }: CreateContext<BCConfig>) => new BC(cfg, obsDim, actDim, dataset, rng),
  };
}

export const BC_ALL = bcDef('bc-all', 'all', 'behaviour cloning of every transition (OSRL BC, bc_mode all)');
export const BC_SAFE = bcDef('bc-safe', 'safe', 'behaviour cloning of the trajectories with episode cost <= kappa (OSRL BC, bc_mode safe)');
