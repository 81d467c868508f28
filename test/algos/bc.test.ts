/** BC-All / BC-Safe: the loss by hand, the safe filter, an audited update, a smoke run with resume. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { audit, formatAudit, Rng } from '../../core/index.js';
import { BC, BC_ALL, BC_SAFE } from '../../rl/algos/bc.js';
import { presetOf, resolveAlgoConfig } from '../../rl/algos/config.js';
import { selectTrajectories } from '../../rl/algos/data.js';
import { loadAlgorithm, trainAlgorithm } from '../../rl/algos/train.js';
import { toyDataset, wholeBatch } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'bc-'));
  dirs.push(d);
  return d;
};

describe('BC', () => {
  it('loss = mean over batch and action dims of (tanh(MLP(s)) - a)², computed by hand from the weights', () => {
    const ds = toyDataset({ S: 2, A: 2, len: 2, costs: [0] });
    const cfg = { ...presetOf(BC_ALL, 'paper'), hidden: [3], batchSize: 4, dtype: 'float64' as const };
    const bc = new BC(cfg, 2, 2, ds, new Rng(3));
    const W = bc.actor.namedParameters().map(([, p]) => p.toFlatArray());
    const [w0, b0, w1, b1] = W; // [2,3], [3], [3,2], [2]
    let sum = 0;
    for (let i = 0; i < ds.size; i++) {
      const s = [ds.observations[2 * i], ds.observations[2 * i + 1]];
      const h = [0, 1, 2].map((j) => Math.max(0, s[0] * w0[j] + s[1] * w0[3 + j] + b0[j]));
      for (let k = 0; k < 2; k++) {
        const pi = Math.tanh(h[0] * w1[k] + h[1] * w1[2 + k] + h[2] * w1[4 + k] + b1[k]);
        sum += (pi - ds.actions[2 * i + k]) ** 2;
      }
    }
    expect(bc.actorLoss(wholeBatch(ds)).loss.item()).toBeCloseTo(sum / (ds.size * 2), 12);
  });

  it('BC-Safe keeps whole episodes with cost <= kappa (inclusive) and nothing else', () => {
    // Episode costs with len 5: 0, 5, 10, 15.
    const ds = toyDataset({ len: 5, costs: [0, 1, 2, 3] });
    const safe = selectTrajectories(ds, (t) => t.cost <= 10, 'test');
    expect(safe.size).toBe(15);
    expect([...safe.costs]).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect(() => selectTrajectories(ds, () => false, 'BC-Safe')).toThrow(/BC-Safe: no trajectory/);
    const bc = BC_SAFE.create({ cfg: resolveAlgoConfig(BC_SAFE, { overrides: { batchSize: 8 } }), task: 'BallRun', obsDim: 3, actDim: 2, dataset: ds, rng: new Rng(0) }) as BC;
    const b = bc.sample(new Rng(5));
    for (const c of b.costs) expect(c).toBeLessThanOrEqual(2);
  });

  it('audit: one full update in float64, every op row ok', () => {
    const ds = toyDataset();
    const cfg = { ...presetOf(BC_ALL, 'paper'), hidden: [8, 8], batchSize: 6, dtype: 'float64' as const };
    const bc = new BC(cfg, 3, 2, ds, new Rng(1));
    const batch = bc.sample(new Rng(2));
    const rep = audit(() => bc.update(batch));
    expect(rep.rows.length).toBeGreaterThan(5);
    expect(rep.ok, formatAudit(rep.rows)).toBe(true);
  });

  it('trains from the CLI loop, resumes bit-exactly, and reloads for evaluation', async () => {
    const cfg = resolveAlgoConfig(BC_SAFE, { task: 'BallRun', overrides: { steps: 6, batchSize: 16, hidden: [16], evalEpisodes: 2, checkpointEvery: 3, logEvery: 2 } });
    const a = tmp(), b = tmp();
    const full = await trainAlgorithm({ algo: 'bc-safe', task: 'BallRun', config: cfg, seed: 4, outDir: a });
    await trainAlgorithm({ algo: 'bc-safe', task: 'BallRun', config: cfg, seed: 4, outDir: b, stopAt: 3 });
    const resumed = await trainAlgorithm({ algo: 'bc-safe', task: 'BallRun', config: cfg, seed: 4, outDir: b, resume: true });
    const wa = full.algorithm.stateTensors(), wb = resumed.algorithm.stateTensors();
    for (const k of Object.keys(wa)) expect(wb[k].toFlatArray(), k).toEqual(wa[k].toFlatArray());
    expect(resumed.lastEval?.normalizedReward).toBe(full.lastEval?.normalizedReward);
    // Stopped at step 3, inside a logging window (logEvery 2): the window goes into the checkpoint, so the
    // resumed run writes the same train lines as the uninterrupted one (only the rates differ).
    const trainLines = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'train').map(({ stepsPerSec: _, ...rest }) => rest);
    expect(trainLines(a).map((l) => l.step)).toEqual([2, 4, 6]);
    expect(trainLines(b)).toEqual(trainLines(a));
    const { algorithm, meta, step } = await loadAlgorithm(a);
    expect([meta.algo, meta.task, step]).toEqual(['bc-safe', 'BallRun', 6]);
    const obs = new Float32Array(3 * 7).fill(0.1);
    expect(algorithm.act(obs)).toEqual(full.algorithm.act(obs));
  });
});
