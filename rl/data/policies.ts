/**
 * Scripted behaviour policies per task with a risk knob in [0, 1] (0 = cautious, 1 = reckless), plus
 * Gaussian action noise, and uniform random actions. Scripted policies read the env's internal state
 * (they are behaviour generators, not learners).
 *
 * - PointRobot: goal seeking (heading controller + speed controller). Hazard avoidance is a repulsive +
 *   tangential field around each hazard with gain (1 - risk) and an influence margin 0.2 + 0.8 (1 - risk);
 *   target speed 0.6 + 1.4 * risk. risk 1 drives straight at the goal through hazards.
 * - Circle (Ball/Car): follow a clockwise circle of radius 4 + 3.5 * risk (radius > 6 crosses the |x| > 6
 *   band) at speed (Ball 1 + 3 risk, Car 0.8 + 1.2 risk) m/s.
 * - Run (Ball/Car): drive along +x at target speed (Ball 1.5 + 2 risk, Car 0.9 + 1.1 risk; limits 2.5 / 1.5),
 *   lane keeping gain 2 (1 - risk) and a per-episode lateral drift ~ risk * N(0, 0.6) that a reckless
 *   policy does not correct.
 * - PointGoal1: goal seeking with hazard avoidance gain 1.5 (1 - risk) within 0.25 + 0.45 (1 - risk) of a hazard's edge.
 *   PointGoalLidarPolicy is the same controller fed only by the agent's observation (the 'observed' recipe).
 */
import type { Rng } from '../../core/rng.js';
import { BALL, BulletTaskEnv, CAR, CIRCLE } from '../envs/bullet.js';
import { PointGoal1, POINT_GOAL } from '../envs/point_goal.js';
import { evasiveTurn, isFeasibleState, POINT_ROBOT, PointRobot } from '../envs/point_robot.js';
import type { Env } from '../envs/types.js';

export interface BehaviourPolicy {
  /** Write the action for the env's current state into `out` (length actionSize). */
  act(env: Env, out: Float64Array): void;
}

export interface BehaviourSpec {
  kind: 'scripted' | 'random';
  risk: number;
  noise: number;
}

const clip1 = (v: number): number => (v > 1 ? 1 : v < -1 ? -1 : v);
const wrap = (a: number): number => a - 2 * Math.PI * Math.round(a / (2 * Math.PI));

export class RandomPolicy implements BehaviourPolicy {
  constructor(private readonly rng: Rng) {}
  act(_env: Env, out: Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.rng.uniformRange(-1, 1);
  }
}

/** Adds N(0, noise^2) to every component of the base policy's action and clips to [-1, 1]. */
export class NoisyPolicy implements BehaviourPolicy {
  constructor(private readonly base: BehaviourPolicy, private readonly noise: number, private readonly rng: Rng) {}
  act(env: Env, out: Float64Array): void {
    this.base.act(env, out);
    if (this.noise > 0) for (let i = 0; i < out.length; i++) out[i] = clip1(out[i] + this.noise * this.rng.normal());
  }
}

/** Repulsive + tangential avoidance around a disc at (cx, cy) of radius r, added to direction (dx, dy). */
function avoid(px: number, py: number, gx: number, gy: number, cx: number, cy: number, r: number, margin: number, gain: number, acc: [number, number]): void {
  const ox = px - cx, oy = py - cy;
  const d = Math.hypot(ox, oy) || 1e-9;
  const w = gain * Math.max(0, (r + margin - d) / margin);
  if (w <= 0) return;
  const ux = ox / d, uy = oy / d;
  // tangent pointing to the side of the goal
  let tx = -uy, ty = ux;
  if (tx * (gx - px) + ty * (gy - py) < 0) { tx = -tx; ty = -ty; }
  acc[0] += w * (2 * ux + 2.5 * tx);
  acc[1] += w * (2 * uy + 2.5 * ty);
}

export class PointRobotExpert implements BehaviourPolicy {
  private readonly dir: [number, number] = [0, 0];
  constructor(readonly risk: number) {}
  act(env: Env, out: Float64Array): void {
    const s = (env as PointRobot).state;
    const [x, y, v, th] = s;
    const [gx, gy] = POINT_ROBOT.goal;
    const dg = Math.hypot(gx - x, gy - y) || 1e-9;
    const dir = this.dir;
    dir[0] = (gx - x) / dg;
    dir[1] = (gy - y) / dg;
    const g = 1 - this.risk;
    if (g > 0) for (const [cx, cy] of POINT_ROBOT.hazards) avoid(x, y, gx, gy, cx, cy, POINT_ROBOT.hazardRadius, 0.2 + 0.8 * g, g, dir);
    const err = wrap(Math.atan2(dir[1], dir[0]) - th);
    const vTarget = (0.6 + 1.4 * this.risk) * Math.max(0.25, Math.cos(err));
    out[0] = clip1(2 * (vTarget - v));
    out[1] = clip1(3 * err);
  }
}

/**
 * A safety filter around a PointRobot behaviour (the 'evasive' data recipe): if the base action's next state
 * (one Euler step of the env's dynamics) is one the ground truth calls infeasible while the current one is
 * feasible, take the ground truth's evasive manoeuvre instead: full braking, full turn away from the hazard
 * ahead (u = [-1, evasiveTurn]).
 */
export class PointRobotSafetyFilter implements BehaviourPolicy {
  constructor(private readonly base: BehaviourPolicy) {}
  act(env: Env, out: Float64Array): void {
    this.base.act(env, out);
    const [x, y, v, th] = (env as PointRobot).state;
    const dt = POINT_ROBOT.dt;
    const u0 = clip1(out[0]), u1 = clip1(out[1]);
    const nx = x + dt * v * Math.cos(th), ny = y + dt * v * Math.sin(th);
    if (isFeasibleState(x, y, v, th) && !isFeasibleState(nx, ny, v + dt * u0, th + dt * u1)) {
      out[0] = -1;
      out[1] = evasiveTurn(x, y, th);
    }
  }
}

export class CirclePolicy implements BehaviourPolicy {
  readonly radius: number;
  readonly speed: number;
  constructor(readonly risk: number, agent: 'Ball' | 'Car') {
    this.radius = 4 + 3.5 * risk;
    this.speed = agent === 'Ball' ? 1 + 3 * risk : 0.8 + 1.2 * risk;
  }
  act(env: Env, out: Float64Array): void {
    const e = env as BulletTaskEnv;
    const r = Math.hypot(e.x, e.y) || 1e-9;
    const ux = e.x / r, uy = e.y / r; // radial
    const tx = uy, ty = -ux; // clockwise tangent
    const radialV = Math.max(-1, Math.min(1, 0.8 * (this.radius - r)));
    const vdx = this.speed * tx + radialV * ux;
    const vdy = this.speed * ty + radialV * uy;
    if (e.agent === 'Ball') {
      const accMax = BALL.maxForce / BALL.mass;
      const cen = (this.speed * this.speed) / this.radius;
      out[0] = clip1((BALL.friction * vdx + 3 * (vdx - e.vx) - cen * ux) / accMax);
      out[1] = clip1((BALL.friction * vdy + 3 * (vdy - e.vy) - cen * uy) / accMax);
    } else {
      const err = wrap(Math.atan2(vdy, vdx) - e.yaw);
      const ff = -Math.atan(CAR.wheelbase / this.radius); // clockwise = turning right
      out[0] = clip1(this.speed / CAR.maxSpeed);
      out[1] = clip1((ff + 1.5 * err) / CAR.maxSteer);
    }
  }
}

export class RunPolicy implements BehaviourPolicy {
  readonly speed: number;
  readonly laneGain: number;
  constructor(readonly risk: number, agent: 'Ball' | 'Car', readonly drift: number) {
    this.speed = agent === 'Ball' ? 1.5 + 2 * risk : 0.9 + 1.1 * risk;
    this.laneGain = 2 * (1 - risk);
  }
  act(env: Env, out: Float64Array): void {
    const e = env as BulletTaskEnv;
    const lateral = Math.max(-1, Math.min(1, -this.laneGain * e.y + this.drift));
    if (e.agent === 'Ball') {
      const accMax = BALL.maxForce / BALL.mass;
      const vdx = this.speed, vdy = lateral;
      out[0] = clip1((BALL.friction * vdx + 3 * (vdx - e.vx)) / accMax);
      out[1] = clip1((BALL.friction * vdy + 3 * (vdy - e.vy)) / accMax);
    } else {
      const err = wrap(Math.atan2(lateral, Math.max(0.3, this.speed)) - e.yaw);
      out[0] = clip1(this.speed / CAR.maxSpeed);
      out[1] = clip1((2 * err) / CAR.maxSteer);
    }
  }
}

export class PointGoalPolicy implements BehaviourPolicy {
  private readonly dir: [number, number] = [0, 0];
  constructor(readonly risk: number) {}
  act(env: Env, out: Float64Array): void {
    const e = env as PointGoal1;
    const dg = Math.hypot(e.goalX - e.x, e.goalY - e.y) || 1e-9;
    const dir = this.dir;
    dir[0] = (e.goalX - e.x) / dg;
    dir[1] = (e.goalY - e.y) / dg;
    const g = 1 - this.risk;
    if (g > 0) for (let j = 0; j < POINT_GOAL.nHazards; j++) avoidPointGoalHazard(e.x, e.y, e.goalX, e.goalY, e.hazards[2 * j], e.hazards[2 * j + 1], g, dir);
    pointGoalSteer(wrap(Math.atan2(dir[1], dir[0]) - e.heading), dg, this.risk, out);
  }
}

/** PointGoal1's avoidance of the hazard at (cx, cy), added to `dir`: gain 1.5 g within 0.25 + 0.45 g of its edge, g = 1 - risk. */
function avoidPointGoalHazard(px: number, py: number, gx: number, gy: number, cx: number, cy: number, g: number, dir: [number, number]): void {
  avoid(px, py, gx, gy, cx, cy, POINT_GOAL.hazardRadius, 0.25 + 0.45 * g, 1.5 * g, dir);
}

/** PointGoal1's throttle and turn for a heading error `err` (rad) with the goal `dg` m away: slower when turning or near. */
function pointGoalSteer(err: number, dg: number, risk: number, out: Float64Array): void {
  out[0] = clip1((0.4 + 0.6 * risk) * Math.max(-0.2, Math.cos(err)) * Math.min(1, 0.5 + dg));
  out[1] = clip1(3 * err);
}

/**
 * PointGoalPolicy's controller fed by the observation instead of the env's state: the goal and each hazard are
 * placed at their lidar bin's centre angle, at the distance the bin reads, 3 (1 - value), in the body frame (the
 * lidar keeps the nearest hazard per bin). DSRL's behaviour policies are RL agents trained on the observation, so
 * whatever they do a learner can see the reason for; PointGoalPolicy steers by exact hazard positions that the
 * 16-bin lidar blurs by up to 11 degrees, and imitating its violation-free episodes is not safe (round 14 of
 * docs/results-diagnosis.md). With the goal out of lidar range (farther than 3 m) it drives straight ahead.
 */
export class PointGoalLidarPolicy implements BehaviourPolicy {
  private readonly dir: [number, number] = [0, 0];
  constructor(readonly risk: number) {}
  act(env: Env, out: Float64Array): void {
    const o = (env as PointGoal1).observe();
    const B = POINT_GOAL.lidarBins, L = POINT_GOAL.lidarMax;
    const binAngle = (k: number): number => ((k + 0.5) * 2 * Math.PI) / B;
    let goalBin = -1, goalValue = 0;
    for (let k = 0; k < B; k++) if (o[4 + k] > goalValue) { goalValue = o[4 + k]; goalBin = k; }
    const dg = goalBin < 0 ? L : L * (1 - goalValue);
    const ga = goalBin < 0 ? 0 : binAngle(goalBin);
    const gx = dg * Math.cos(ga), gy = dg * Math.sin(ga);
    const dir = this.dir;
    dir[0] = Math.cos(ga);
    dir[1] = Math.sin(ga);
    const g = 1 - this.risk;
    if (g > 0) {
      for (let k = 0; k < B; k++) {
        const v = o[4 + B + k];
        if (v <= 0) continue;
        const d = L * (1 - v), a = binAngle(k);
        avoidPointGoalHazard(0, 0, gx, gy, d * Math.cos(a), d * Math.sin(a), g, dir);
      }
    }
    pointGoalSteer(Math.atan2(dir[1], dir[0]), dg, this.risk, out); // body frame: the heading is angle 0
  }
}

/** Mixture weights of uniform-random episodes per task (the rest are scripted with risk ~ U[0, 1]). */
export const RANDOM_FRACTION: Record<string, number> = {
  PointRobot: 0.3,
  BallCircle: 0.1,
  CarCircle: 0.1,
  BallRun: 0.1,
  CarRun: 0.1,
  PointGoal1: 0.1,
};

/** Draw one episode's behaviour: random with the task's probability, else scripted risk ~ U[0,1], noise ~ U[0, 0.4]. */
export function drawBehaviour(task: string, rng: Rng): BehaviourSpec {
  const kind = rng.uniform53() < (RANDOM_FRACTION[task] ?? 0.1) ? 'random' : 'scripted';
  return { kind, risk: rng.uniform53(), noise: 0.4 * rng.uniform53() };
}

/**
 * Build the policy for a task and behaviour spec. `observed`: PointGoal1's scripted behaviour acts on the
 * observation (PointGoalLidarPolicy) instead of the env's state; other tasks ignore it.
 */
export function makeBehaviourPolicy(task: string, spec: BehaviourSpec, rng: Rng, observed = false): BehaviourPolicy {
  if (spec.kind === 'random') return new RandomPolicy(rng);
  let base: BehaviourPolicy;
  switch (task) {
    case 'PointRobot':
      base = new PointRobotExpert(spec.risk);
      break;
    case 'BallCircle':
    case 'CarCircle':
      base = new CirclePolicy(spec.risk, task === 'BallCircle' ? 'Ball' : 'Car');
      break;
    case 'BallRun':
    case 'CarRun':
      base = new RunPolicy(spec.risk, task === 'BallRun' ? 'Ball' : 'Car', spec.risk * 0.6 * rng.normal());
      break;
    case 'PointGoal1':
      base = observed ? new PointGoalLidarPolicy(spec.risk) : new PointGoalPolicy(spec.risk);
      break;
    default:
      throw new Error(`no behaviour policy for task '${task}'`);
  }
  return new NoisyPolicy(base, spec.noise, rng);
}

export { CIRCLE };
