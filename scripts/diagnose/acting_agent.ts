/**
 * A run's checkpoint rebuilt for re-evaluation with acting-time config changes (training is not repeated), shared
 * by reeval.ts and margin_validation.ts; and the one-line text of an evaluation both print.
 */
import { join } from 'node:path';
import { loadCheckpoint } from '../../nn/checkpoint.js';
import { applySet, checkConfig } from '../../rl/fisor/config.js';
import type { FisorAgent } from '../../rl/fisor/agent.js';
import type { EvalResult } from '../../rl/fisor/evaluate.js';
import { buildAgent, CHECKPOINT_DIR } from '../../rl/fisor/train.js';
import { checkpointMetadata, type CheckpointMetadata } from '../../rl/fisor/train_meta.js';

/**
 * The config keys that act only at evaluation, so a saved checkpoint can be re-evaluated with other values
 * (actor.temperature: the sampler's noise scale, read only by FisorAgent.act).
 */
export const ACTING_KEYS = new Set(['numSamples', 'fallbackGrid', 'fallbackMargin', 'violatingChoice', 'modeCandidate', 'modeMargin', 'modeEstimate', 'actor.temperature']);

export interface ActingRun {
  meta: CheckpointMetadata;
  /** A fresh agent from the checkpoint with `sets` applied, its random streams as saved (call again for a fresh stream). */
  agentWith(sets: string[]): FisorAgent;
}

export async function loadActingRun(dir: string, script: string): Promise<ActingRun> {
  const ckpt = join(dir, CHECKPOINT_DIR);
  const loaded = await loadCheckpoint(ckpt);
  const meta = checkpointMetadata(loaded, ckpt);
  return {
    meta,
    agentWith(sets) {
      const cfg = structuredClone(meta.config);
      for (const s of sets) {
        const key = s.split('=')[0];
        if (!ACTING_KEYS.has(key)) throw new Error(`${script}: '${key}' changes training, not acting; only ${[...ACTING_KEYS].join(', ')} can be re-evaluated`);
        applySet(cfg, s);
      }
      checkConfig(cfg); // across keys: e.g. modeMargin without modeCandidate is refused, not run as the base
      const { agent } = buildAgent(cfg, meta.obsDim, meta.actDim, meta.seed);
      agent.loadState(loaded);
      agent.setRngStates(meta.rngs);
      return agent;
    },
  };
}

/** Reward, cost, violation-free episodes, and how often the fallback grid and the Q_r choice acted. */
export const evalText = (e: EvalResult): string =>
  `reward ${e.normalizedReward.toFixed(3)} cost ${e.normalizedCost.toFixed(3)}, ${e.violationFree} of ${e.episodes.length} without a violation, fallback on ${(100 * (e.monitor?.fallbackFraction ?? 0)).toFixed(1)} % of steps, Q_r choice while violating on ${(100 * (e.monitor?.rewardChoiceFraction ?? 0)).toFixed(2)} %${e.monitor?.modeFraction ? `, mode estimate on ${(100 * e.monitor.modeFraction).toFixed(1)} %` : ''}`;
