/**
 * What both training loops (FISOR's rl/fisor/train.ts and the baselines' rl/algos/train.ts) do before and
 * beside a save: the best checkpoint by OSRL's rule, and the check that no parameter or optimizer value is
 * non-finite (a diverged state is never written over a good checkpoint).
 */
import type { Tensor } from '../../core/index.js';

export const BEST_CHECKPOINT_DIR = 'checkpoint-best';
export const BEST_RULE = 'lowest normalized cost, then highest normalized reward (OSRL)';

/** The evaluation the best checkpoint holds. */
export interface BestRecord {
  step: number;
  normalizedReward: number;
  normalizedCost: number;
}

/** OSRL's best-checkpoint rule: lower normalized cost wins; on a tie, higher normalized reward. */
export function isBetter(e: { normalizedReward: number; normalizedCost: number }, best: BestRecord | null): boolean {
  if (!best) return true;
  return e.normalizedCost < best.normalizedCost || (e.normalizedCost === best.normalizedCost && e.normalizedReward > best.normalizedReward);
}

/** The first non-finite value among named state tensors (parameters, optimizer moments), as "tensor 'name' (element i = v)". */
export function firstNonFinite(tensors: Record<string, Tensor>): string | null {
  for (const [name, t] of Object.entries(tensors)) {
    const d = t.dataSync();
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return `tensor '${name}' (element ${i} = ${d[i]})`;
  }
  return null;
}

/** Throws naming the first non-finite state value; `context` says when it was checked. */
export function checkFiniteState(tensors: Record<string, Tensor>, context: string): void {
  const bad = firstNonFinite(tensors);
  if (bad) throw new Error(`training diverged: non-finite value in ${bad} ${context}; nothing was saved from this state (the last checkpoint is intact)`);
}

/** Checks that a checkpoint's `best` field is a BestRecord (or absent / null); returns an error message or null. */
export function badBestRecord(b: unknown): string | null {
  if (b === undefined || b === null) return null;
  const o = b as Record<string, unknown>;
  const ok = typeof b === 'object' && Number.isInteger(o.step) && (o.step as number) >= 0 &&
    Number.isFinite(o.normalizedReward) && Number.isFinite(o.normalizedCost);
  return ok ? null : `field 'best' must be { step, normalizedReward, normalizedCost }, got ${JSON.stringify(b)}`;
}
