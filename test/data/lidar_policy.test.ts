/**
 * PointGoalLidarPolicy (the 'observed' recipe's PointGoal1 behaviour) is PointGoalPolicy fed by the lidar: each
 * bin is read as a point at its centre angle, (k + 0.5) 2 pi / 16, at distance 3 (1 - value). So where the goal
 * and the hazard sit exactly at bin centres, both policies must act alike; and with no goal in range it drives
 * straight ahead. Pinned by a mutation audit (the docs tables do not cover this recipe).
 */
import { describe, expect, it } from 'vitest';
import { PointGoal1, POINT_GOAL } from '../../rl/envs/point_goal.js';
import { PointGoalLidarPolicy, PointGoalPolicy } from '../../rl/data/policies.js';

const centre = (k: number): number => ((k + 0.5) * 2 * Math.PI) / POINT_GOAL.lidarBins;

/** The agent at the origin facing +x, at rest; the goal and hazard 0 where given, every other hazard far away. */
function scene(goal: [number, number], hazard?: [number, number]): PointGoal1 {
  const env = new PointGoal1();
  env.reset({ seed: 1 });
  env.x = 0;
  env.y = 0;
  env.heading = 0;
  env.vx = 0;
  env.vy = 0;
  [env.goalX, env.goalY] = goal;
  for (let j = 0; j < POINT_GOAL.nHazards; j++) [env.hazards[2 * j], env.hazards[2 * j + 1]] = [50 + 10 * j, 50];
  if (hazard) [env.hazards[0], env.hazards[1]] = hazard;
  return env;
}

const act = (p: { act: (e: PointGoal1, o: Float64Array) => void }, env: PointGoal1): number[] => {
  const out = new Float64Array(2);
  p.act(env, out);
  return Array.from(out);
};

const polar = (d: number, a: number): [number, number] => [d * Math.cos(a), d * Math.sin(a)];

describe('PointGoalLidarPolicy', () => {
  it('acts as PointGoalPolicy where the goal and a hazard lie at their bins\' centres', () => {
    for (const [risk, gk, gd, hk, hd] of [[1, 2, 2, 1, 0.5], [0, 2, 2, 1, 0.5], [0.3, 13, 1.2, 14, 0.45], [0, 5, 0.3, 4, 0.6]]) {
      const env = scene(polar(gd, centre(gk)), polar(hd, centre(hk)));
      const lidar = act(new PointGoalLidarPolicy(risk), env);
      const exact = act(new PointGoalPolicy(risk), env);
      expect(lidar[0]).toBeCloseTo(exact[0], 4);
      expect(lidar[1]).toBeCloseTo(exact[1], 4);
    }
  });

  it('steers to the goal bin\'s centre: 10 degrees reads as 11.25, -20 as -11.25 (risk 1: no avoidance)', () => {
    const a = act(new PointGoalLidarPolicy(1), scene(polar(1.5, (10 * Math.PI) / 180)));
    expect(a[1]).toBeCloseTo(3 * (11.25 * Math.PI) / 180, 4);
    expect(a[0]).toBeCloseTo(Math.cos((11.25 * Math.PI) / 180), 4); // full speed at risk 1, goal 1.5 m: min(1, 2)
    const b = act(new PointGoalLidarPolicy(1), scene(polar(1.5, (-20 * Math.PI) / 180)));
    expect(b[1]).toBeCloseTo(-3 * (11.25 * Math.PI) / 180, 4);
    // 0.3 m from the goal the throttle is scaled by 0.5 + 0.3 = 0.8
    const c = act(new PointGoalLidarPolicy(1), scene(polar(0.3, centre(0))));
    expect(c[0]).toBeCloseTo(0.8 * Math.cos(centre(0)), 4);
  });

  it('drives straight ahead when the goal is out of lidar range', () => {
    expect(act(new PointGoalLidarPolicy(0.5), scene([5, 1]))).toEqual([0.7, 0]); // (0.4 + 0.6 x 0.5) cos 0 min(1, 3.5)
  });
});
