/** One full update of each algorithm, audited in float64: every recorded op's VJP agrees with finite differences. */
import { describe, expect, it } from 'vitest';
import { audit, formatAudit, Rng } from '../../core/index.js';
import { presetOf } from '../../rl/algos/config.js';
import { algorithmDef } from '../../rl/algos/registry.js';
import { toyDataset } from './helpers.js';

const small: Record<string, Record<string, unknown>> = {
  'bcq-lag': { vaeHidden: [6, 6], actorHidden: [6], criticHidden: [6], sampleActionNum: 3 },
  'bear-lag': { vaeHidden: [6, 6], actorHidden: [6], criticHidden: [6], sampleActionNum: 3, numSamplesMmdMatch: 3 },
  cpq: { vaeHidden: [6, 6], actorHidden: [6], criticHidden: [6], sampleActionNum: 3 },
  coptidice: { actorHidden: [6], criticHidden: [6] },
  cdt: { embedDim: 8, heads: 2, blocks: 1, seqLen: 3, targetReturn: 1 },
};

describe('audit of one update in float64', () => {
  for (const name of Object.keys(small)) {
    it(name, () => {
      const def = algorithmDef(name);
      const cfg = { ...presetOf(def, 'paper'), ...small[name], batchSize: 5, dtype: 'float64' as const };
      // COptiDICE: costs kept small so that w = exp(e/α) stays well above the finite-difference step (ln(w + 1e-10)
      // in f(w) is steep near 0 and a 5-point stencil of h = 1e-4 around w ~ 1e-4 is not a derivative any more).
      const costs = name === 'coptidice' ? [0, 0.2, 0, 0.4, 0.1] : [0, 1, 0, 3, 0.5];
      const algo = def.create({ cfg, task: 'BallRun', obsDim: 3, actDim: 2, dataset: toyDataset({ costs }), rng: new Rng(2) });
      const batch = algo.sample(new Rng(3));
      // BEAR-Lag at this seed: one critic ReLU pre-activation lies 1.4e-4 from its kink, within the default stencil's
      // reach (h = 1e-4), so finite differences straddle it; a float64 step of 1e-6 stays clear of it.
      const rep = audit(() => algo.update(batch), name === 'bear-lag' ? { h: 1e-6 } : {});
      expect(rep.rows.length).toBeGreaterThan(10);
      expect(rep.ok, formatAudit(rep.rows.filter((r) => !r.ok))).toBe(true);
      for (const v of Object.values(rep.result)) expect(Number.isFinite(v)).toBe(true);
    });
  }
});
