import { describe, expect, it } from 'vitest';
import { emptyDataset } from '../../rl/data/dataset.js';
import { prepareData } from '../../rl/fisor/data.js';
import { tinyConfig } from './tiny.js';

/**
 * FISOR's data preparation on a hand-made DSRL-task dataset (BallCircle: max_episode_steps 200), checked against
 * numbers derived by hand from the reference (FISOR.md: r /= (maxR - minR); r *= max_episode_steps; actions clipped to
 * +-(1 - 1e-5); mask = 1 - (terminal OR timeout); h = +25 where cost > 0 else -1).
 */
describe('prepareData on a hand-made DSRL dataset', () => {
  // Three episodes: rows 0-5 (terminal at 5), 6-12 (timeout at 12), 13-19 (timeout at 19).
  const ds = emptyDataset(20, 8, 2);
  const ret = [3, -2, 10];
  const bounds = [[0, 6], [6, 13], [13, 20]];
  bounds.forEach(([s, e], k) => {
    for (let i = s; i < e; i++) ds.rewards[i] = ret[k] / (e - s);
  });
  ds.terminals[5] = 1;
  ds.timeouts[12] = 1;
  ds.timeouts[19] = 1;
  ds.costs[3] = 1;
  ds.costs[14] = 0.5;
  ds.actions.set([1, -1, 0.5, -1.5, 2, -0.25]);

  it('scales rewards by max_episode_steps / (max return - min return) over the episodes', () => {
    const d = prepareData(ds, 'BallCircle', tinyConfig([], { task: 'BallCircle' }));
    const scale = 200 / (10 - -2);
    expect(d.rewardScale).toBeCloseTo(scale, 4);
    for (let i = 0; i < 20; i++) expect(d.rewards[i]).toBeCloseTo(ds.rewards[i] * scale, 4);
    // one episode's scaled rewards sum to its return times the scale
    expect(d.rewards.slice(13, 20).reduce((a, b) => a + b, 0)).toBeCloseTo(10 * scale, 3);
  });

  it('clips actions on both sides, ends episodes at terminals and at timeouts, h from costs', () => {
    const d = prepareData(ds, 'BallCircle', tinyConfig([], { task: 'BallCircle' }));
    const c = Math.fround(1 - 1e-5);
    expect(Array.from(d.actions.slice(0, 6))).toEqual([c, -c, 0.5, -c, c, -0.25]);
    const masks = Array.from({ length: 20 }, (_, i) => (i === 5 || i === 12 || i === 19 ? 0 : 1));
    expect(Array.from(d.masks)).toEqual(masks);
    expect(d.hSource).toBe('cost');
    expect(Array.from(d.h)).toEqual(Array.from({ length: 20 }, (_, i) => (i === 3 || i === 14 ? 25 : -1)));
  });
});
