/**
 * Safety-Gymnasium PointGoal1 task definition on light 2-D point dynamics (NOT MuJoCo: scores are
 * comparable inside this project only).
 *
 * Layout: the agent, 8 hazards (radius 0.2) and the goal (radius 0.3) are placed uniformly in [-1.5, 1.5]^2
 * by rejection sampling with keep-outs (hazard-hazard centres >= 0.4 apart, hazards >= 0.4 from the agent,
 * goal >= 0.5 from every hazard and >= 0.6 from the agent). Hazards stay fixed for the episode.
 *
 * Point dynamics, control step dt = 0.02 s integrated with 2 semi-implicit Euler sub-steps:
 *   heading' = 4 a1 (rad/s);  v' = 4 a0 (cos h, sin h) - 2.5 v  (world-frame velocity with drag;
 *   top speed 1.6 m/s, faster than MuJoCo's point so that a good policy reaches ~10+ goals per episode);
 *   p' = v. There are no walls; nothing terminates; episodes last 1000 steps.
 * Reward: (previous goal distance - goal distance) + 1 on reaching the goal (distance <= 0.3); the goal
 * then moves to a new random place (same keep-outs) and the distance baseline restarts from it.
 * Cost: 1 while the agent is within 0.2 of any hazard centre (`info.h` = 0.2 - min hazard distance).
 *
 * Observation (36, float32):
 *   [0..1]   body-frame velocity (forward, left)
 *   [2..3]   cos(heading), sin(heading)
 *   [4..19]  goal pseudo-lidar, 16 bins
 *   [20..35] hazard pseudo-lidar, 16 bins
 * Lidar bin k covers egocentric angles [k, k+1) * 2pi/16, measured counter-clockwise from the heading;
 * each bin reads max(0, 3 - d) / 3 for the nearest object of that kind in the bin (0 if none).
 */
import { Rng } from '../../core/rng.js';
import { checkSeed, clipAction, episodeEnd, NOT_RESET, refuseStepWhenDone, type Env, type EnvOptions, type ResetOptions, type StepResult } from './types.js';

export const POINT_GOAL = {
  dt: 0.02,
  substeps: 2,
  nHazards: 8,
  hazardRadius: 0.2,
  goalRadius: 0.3,
  extent: 1.5,
  lidarBins: 16,
  lidarMax: 3,
  accel: 4,
  drag: 2.5,
  turnRate: 4,
  maxEpisodeSteps: 1000,
} as const;

export class PointGoal1 implements Env {
  readonly name = 'PointGoal1';
  readonly observationSize = 4 + 2 * POINT_GOAL.lidarBins;
  readonly actionSize = 2;
  readonly maxEpisodeSteps = POINT_GOAL.maxEpisodeSteps;
  x = 0;
  y = 0;
  heading = 0;
  vx = 0;
  vy = 0;
  goalX = 0;
  goalY = 0;
  /** Hazard centres, [x0, y0, x1, y1, ...]. */
  readonly hazards = new Float64Array(2 * POINT_GOAL.nHazards);
  goalsReached = 0;
  private rng: Rng;
  private t = 0;
  private lastDist = 0;
  /** Null while an episode runs; else why `step` is refused (refuseStepWhenDone). */
  private done: string | null = NOT_RESET;
  private readonly act = new Float64Array(2);

  constructor(opts: EnvOptions = {}) {
    this.rng = new Rng(checkSeed(this.name, opts.seed, 'the constructor') ?? 0);
  }

  reset(options: ResetOptions = {}): Float32Array {
    const seed = checkSeed(this.name, options.seed, 'the reset');
    if (seed !== undefined) this.rng = new Rng(seed);
    const rng = this.rng;
    const E = POINT_GOAL.extent;
    this.x = rng.uniformRange(-E, E);
    this.y = rng.uniformRange(-E, E);
    this.heading = rng.uniformRange(-Math.PI, Math.PI);
    this.vx = this.vy = 0;
    for (let i = 0; i < POINT_GOAL.nHazards; i++) {
      let hx = 0, hy = 0;
      for (let tries = 0; tries < 1000; tries++) {
        hx = rng.uniformRange(-E, E);
        hy = rng.uniformRange(-E, E);
        let ok = Math.hypot(hx - this.x, hy - this.y) >= 0.4;
        for (let j = 0; ok && j < i; j++) ok = Math.hypot(hx - this.hazards[2 * j], hy - this.hazards[2 * j + 1]) >= 0.4;
        if (ok) break;
      }
      this.hazards[2 * i] = hx;
      this.hazards[2 * i + 1] = hy;
    }
    this.placeGoal();
    this.goalsReached = 0;
    this.t = 0;
    this.done = null;
    return this.observe();
  }

  private placeGoal(): void {
    const E = POINT_GOAL.extent;
    let gx = 0, gy = 0;
    for (let tries = 0; tries < 1000; tries++) {
      gx = this.rng.uniformRange(-E, E);
      gy = this.rng.uniformRange(-E, E);
      let ok = Math.hypot(gx - this.x, gy - this.y) >= 0.6;
      for (let j = 0; ok && j < POINT_GOAL.nHazards; j++) ok = Math.hypot(gx - this.hazards[2 * j], gy - this.hazards[2 * j + 1]) >= 0.5;
      if (ok) break;
    }
    this.goalX = gx;
    this.goalY = gy;
    this.lastDist = Math.hypot(gx - this.x, gy - this.y);
  }

  /** Minimum distance from the agent to a hazard centre. */
  minHazardDistance(): number {
    let m = Infinity;
    for (let j = 0; j < POINT_GOAL.nHazards; j++) {
      const d = Math.hypot(this.hazards[2 * j] - this.x, this.hazards[2 * j + 1] - this.y);
      if (d < m) m = d;
    }
    return m;
  }

  private lidar(o: Float32Array, off: number, ox: number, oy: number): void {
    const dx = ox - this.x;
    const dy = oy - this.y;
    const d = Math.hypot(dx, dy);
    const val = Math.max(0, POINT_GOAL.lidarMax - d) / POINT_GOAL.lidarMax;
    if (val <= 0) return;
    let ang = Math.atan2(dy, dx) - this.heading;
    ang -= 2 * Math.PI * Math.floor(ang / (2 * Math.PI));
    let bin = Math.floor((ang / (2 * Math.PI)) * POINT_GOAL.lidarBins);
    if (bin >= POINT_GOAL.lidarBins) bin = POINT_GOAL.lidarBins - 1;
    if (val > o[off + bin]) o[off + bin] = val;
  }

  /** The observation of the current state (a fresh array; behaviour policies that act on it call this too). */
  observe(): Float32Array {
    const o = new Float32Array(this.observationSize);
    const c = Math.cos(this.heading);
    const s = Math.sin(this.heading);
    o[0] = this.vx * c + this.vy * s;
    o[1] = -this.vx * s + this.vy * c;
    o[2] = c;
    o[3] = s;
    this.lidar(o, 4, this.goalX, this.goalY);
    const hOff = 4 + POINT_GOAL.lidarBins;
    for (let j = 0; j < POINT_GOAL.nHazards; j++) this.lidar(o, hOff, this.hazards[2 * j], this.hazards[2 * j + 1]);
    return o;
  }

  step(action: ArrayLike<number>): StepResult {
    refuseStepWhenDone(this.name, this.done);
    const a = clipAction(this.name, action, 2, this.act);
    const h = POINT_GOAL.dt / POINT_GOAL.substeps;
    for (let k = 0; k < POINT_GOAL.substeps; k++) {
      this.heading += h * POINT_GOAL.turnRate * a[1];
      const f = POINT_GOAL.accel * a[0];
      this.vx += h * (f * Math.cos(this.heading) - POINT_GOAL.drag * this.vx);
      this.vy += h * (f * Math.sin(this.heading) - POINT_GOAL.drag * this.vy);
      this.x += h * this.vx;
      this.y += h * this.vy;
    }
    if (this.heading > Math.PI || this.heading < -Math.PI) this.heading -= 2 * Math.PI * Math.round(this.heading / (2 * Math.PI));
    this.t++;
    const dist = Math.hypot(this.goalX - this.x, this.goalY - this.y);
    let reward = this.lastDist - dist;
    this.lastDist = dist;
    const goalReached = dist <= POINT_GOAL.goalRadius;
    if (goalReached) {
      reward += 1;
      this.goalsReached++;
      this.placeGoal();
    }
    const hVal = POINT_GOAL.hazardRadius - this.minHazardDistance();
    const truncated = this.t >= this.maxEpisodeSteps;
    this.done = episodeEnd(false, truncated, this.t);
    return {
      observation: this.observe(),
      reward,
      cost: hVal >= 0 ? 1 : 0,
      terminated: false,
      truncated,
      info: { h: hVal, goalReached },
    };
  }
}
