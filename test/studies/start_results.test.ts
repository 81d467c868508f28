/** Issue 9's "without a violation" count as the results script reads it, from new and from older saved runs. */
import { describe, expect, it } from 'vitest';
import { violationFree, violationFreeText, type StartResult } from '../../scripts/start_results.js';

const base = { normalizedReward: 0.4, normalizedCost: 0.3, safeFraction: 57 / 60 };
const monitor = (violatingEpisodes: number) => ({ steps: 1000, violations: 40, violatingEpisodes, byCause: { critic: 0, actor: 0, selection: 0, recovery: 40 }, rootCause: { critic: 0, actor: 0, selection: 0, start: 40 }, judgedInfeasibleFraction: 0, noFeasibleCandidateFraction: 0 });

describe('violation-free starts', () => {
  it('reads the saved count, else derives it from the monitor; never from cost <= kappa', () => {
    const saved: StartResult = { ...base, episodes: 60, violationFree: 56, monitor: monitor(4) };
    expect(violationFree(saved, 60)).toEqual([56, 60]);
    // An older run.json: no counts, only the monitor (57 of 60 within kappa, 4 episodes with a violation).
    const older: StartResult = { ...base, monitor: monitor(4) };
    expect(violationFree(older, 60)).toEqual([56, 60]);
    expect(violationFreeText(older)).toBe('56 of 60 (93%)');
    expect(() => violationFree({ ...base }, 60)).toThrow(/rerun it/);
  });
});
