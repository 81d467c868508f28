/**
 * FISOR behind the common Algorithm interface: a thin adapter over rl/fisor's agent, data preparation and config,
 * so that the generic loop (rl/algos/train.ts), `fisor algos` and the baselines script see it like the others.
 * `fisor train --algo fisor` keeps FISOR's own loop (rl/fisor/train.ts); with the same seed the two give the same
 * networks bit for bit (test/algos/fisor_adapter.test.ts): the master Rng derives the agent, data and evaluation
 * streams in the same order, and the extra critic batches are drawn before the main one as there.
 * Differences: the paper preset's PointRobot schedule overrides (steps, batch, eval cadence) are not applied here.
 */
import type { Rng } from '../../core/index.js';
import type { Dataset } from '../data/dataset.js';
import { FisorAgent, type FisorBatch } from '../fisor/agent.js';
import { checkConfig, CPU_CHANGES, PAPER, TASK_OVERRIDES, withDefaults, type FisorConfig } from '../fisor/config.js';
import { allocFisorBatch, prepareData, sampleBatch, type FisorData } from '../fisor/data.js';
import { actingRngState } from './data.js';
import type { Algorithm, AlgorithmDef, LoopConfig, Metrics } from './types.js';

export type FisorAlgoConfig = FisorConfig & Pick<LoopConfig, 'costLimit'>;

/** The batches of one FISOR iteration: criticUpdates - 1 critic-only batches, then the main batch. */
export interface FisorStep {
  extra: FisorBatch[];
  main: FisorBatch;
}

export class FisorAlgorithm implements Algorithm<FisorStep> {
  readonly agent: FisorAgent;
  private readonly data: FisorData | null;
  private readonly main: FisorBatch;
  private readonly extra: FisorBatch[];

  constructor(readonly cfg: FisorAlgoConfig, obsDim: number, actDim: number, task: string, dataset: Dataset | null, rng: Rng) {
    this.agent = new FisorAgent(cfg, obsDim, actDim, rng);
    this.data = dataset ? prepareData(dataset, task, cfg) : null;
    this.main = allocFisorBatch({ obsDim, actDim }, cfg.batchSize);
    this.extra = Array.from({ length: cfg.criticUpdates - 1 }, () => allocFisorBatch({ obsDim, actDim }, cfg.criticBatchSize));
  }

  sample(rng: Rng): FisorStep {
    if (!this.data) throw new Error('FISOR adapter: built without a dataset (acting only); cannot sample');
    for (const b of this.extra) sampleBatch(this.data, rng, b);
    return { extra: this.extra, main: sampleBatch(this.data, rng, this.main) };
  }

  /** `index` = iterations done before this one: under 'critics-first' it decides the phase, as in train()'s loop. */
  update(step: FisorStep, index?: number): Metrics {
    for (const b of step.extra) this.agent.updateCritics(b);
    return { ...this.agent.update(step.main, index) };
  }

  act(observations: Float32Array, n?: number, violating?: Uint8Array): Float32Array {
    return this.agent.act(observations, n, violating);
  }

  stateTensors() { return this.agent.stateTensors(); }
  loadState(loaded: Parameters<FisorAgent['loadState']>[0]) { this.agent.loadState(loaded); }
  rngStates() { return this.agent.rngStates(); }
  setRngStates(s: Parameters<FisorAgent['setRngStates']>[0]) { this.agent.setRngStates(s); }
  seedActing(seed: number) { this.agent.rngs.act.setState(actingRngState(seed)); }
}

export const FISOR_DEF: AlgorithmDef<FisorAlgoConfig> = {
  name: 'fisor',
  summary: 'FISOR: feasibility-guided diffusion (rl/fisor; `fisor train --algo fisor` runs its own loop)',
  paper: { ...PAPER, costLimit: 10 },
  cpuChanges: CPU_CHANGES,
  taskOverrides: (task) => TASK_OVERRIDES[task]?.algorithmic ?? {},
  check: (c) => checkConfig(c),
  withDefaults,
  create: ({ cfg, obsDim, actDim, task, dataset, rng }) => new FisorAlgorithm(cfg, obsDim, actDim, task, dataset, rng),
};
