/**
 * Bullet-Safety-Gym task definitions (Circle, Run) for the Ball and Car agents, re-implemented on light
 * 2-D dynamics. The task definitions (reward, cost, velocity limits, episode lengths, observation layouts,
 * action range) follow Bullet-Safety-Gym / DSRL; the physics does NOT: scores are comparable inside this
 * project only, never with PyBullet numbers in papers.
 *
 * Agents (integrated with `SUBSTEPS` semi-implicit Euler sub-steps per control step):
 * - Ball (mass 0.3, radius 0.5): world-frame force F = 3.5 * a (N), rolling friction modelled as linear
 *   drag F_f = -mu * m * v with mu = 2 /s, so  dv/dt = F / m - mu v  (top speed along one axis ~5.8 m/s,
 *   well above the 2.5 m/s velocity limit). Rolling without slip gives angular velocity
 *   w = (-vy / 0.5, vx / 0.5, 0). Extra reward -0.5 * |a| (Euclidean norm of the clipped action).
 *   Agent obs (7) = [0.1x, 0.1y, 0.2vx, 0.2vy, 0.1wx, 0.1wy, 0.1wz].
 * - Car (race car): kinematic bicycle model, wheelbase L = 0.325 m. Action a0 sets the target wheel speed
 *   40 * a0 rad/s (wheel radius 0.05 m -> target forward speed 2 * a0 m/s, above the 1.5 m/s limit at full
 *   throttle), tracked by a first-order motor lag dv/dt = 5 (v_target - v); a1 sets the steering angle
 *   delta = 0.5 * a1 rad; yaw rate = v tan(delta) / L. No extra reward.
 *   Agent obs (7) = [0.1x, 0.1y, vx, vy, sin yaw, cos yaw, 0.1 yaw_rate] (world-frame velocity).
 *
 * Tasks (per-step cost = min(1, sum of cost terms)); nothing ever terminates, episodes are truncated:
 * - Circle (dt 0.1 s): reward = 0.1 (x (-vy) + y vx) / (1 + |r - 7|) + 0.01 * agent extra reward
 *   (clockwise motion around the radius-7 circle pays); cost = 1 iff |x| > 6. Task obs (r - 7) / 10 appended
 *   (obs 8-d). Reset: position uniform (by area) in the annulus 2 <= r <= 4, at rest, car heading tangent
 *   to the circle in the clockwise direction.
 * - Run (dt 1/30 s): reward = 60 * (previous - current distance to (1000, 0)) + agent extra reward;
 *   cost = min(1, [|y| > 2] + [speed > velocity limit]) (Ball 2.5 m/s, Car 1.5 m/s). Obs is the agent's 7.
 *   Reset at the origin +-0.01 (car heading 0 +-0.01), at rest.
 * Episode lengths: BallCircle 200, BallRun 100, CarCircle 300, CarRun 200.
 */
import { Rng } from '../../core/rng.js';
import { checkSeed, clipAction, episodeEnd, NOT_RESET, refuseStepWhenDone, type Env, type EnvOptions, type ResetOptions, type StepResult } from './types.js';

export const BALL = { mass: 0.3, radius: 0.5, maxForce: 3.5, friction: 2.0, velocityLimit: 2.5 } as const;
export const CAR = { wheelbase: 0.325, maxSpeed: 2.0, motorGain: 5.0, maxSteer: 0.5, velocityLimit: 1.5 } as const;
export const CIRCLE = { radius: 7, xLimit: 6, dt: 0.1 } as const;
export const RUN = { target: [1000, 0] as const, yLimit: 2, dt: 1 / 30, progressScale: 60 } as const;
const SUBSTEPS = 5;

type AgentKind = 'Ball' | 'Car';
type TaskKind = 'Circle' | 'Run';

/** Shared implementation of the four Bullet-Safety-Gym style tasks. Agent state is public for policies. */
export class BulletTaskEnv implements Env {
  readonly name: string;
  readonly observationSize: number;
  readonly actionSize = 2;
  readonly maxEpisodeSteps: number;
  readonly agent: AgentKind;
  readonly task: TaskKind;
  readonly dt: number;
  readonly velocityLimit: number;
  // state
  x = 0;
  y = 0;
  vx = 0;
  vy = 0;
  /** Car only: heading, signed forward speed, yaw rate. */
  yaw = 0;
  speed = 0;
  yawRate = 0;
  private rng: Rng;
  private t = 0;
  /** Null while an episode runs; else why `step` is refused (refuseStepWhenDone). */
  private done: string | null = NOT_RESET;
  private readonly act = new Float64Array(2);

  constructor(agent: AgentKind, task: TaskKind, opts: EnvOptions = {}) {
    this.agent = agent;
    this.task = task;
    this.name = agent + task;
    this.observationSize = task === 'Circle' ? 8 : 7;
    this.maxEpisodeSteps = { BallCircle: 200, BallRun: 100, CarCircle: 300, CarRun: 200 }[this.name]!;
    this.dt = task === 'Circle' ? CIRCLE.dt : RUN.dt;
    this.velocityLimit = agent === 'Ball' ? BALL.velocityLimit : CAR.velocityLimit;
    this.rng = new Rng(checkSeed(this.name, opts.seed, 'the constructor') ?? 0);
  }

  reset(options: ResetOptions = {}): Float32Array {
    const seed = checkSeed(this.name, options.seed, 'the reset');
    if (seed !== undefined) this.rng = new Rng(seed);
    const rng = this.rng;
    this.vx = this.vy = this.speed = this.yawRate = 0;
    if (this.task === 'Circle') {
      const r = Math.sqrt(rng.uniformRange(4, 16));
      const phi = rng.uniformRange(0, 2 * Math.PI);
      this.x = r * Math.cos(phi);
      this.y = r * Math.sin(phi);
      this.yaw = phi - Math.PI / 2; // clockwise tangent
    } else {
      this.x = rng.uniformRange(-0.01, 0.01);
      this.y = rng.uniformRange(-0.01, 0.01);
      this.yaw = this.agent === 'Car' ? rng.uniformRange(-0.01, 0.01) : 0;
    }
    this.t = 0;
    this.done = null;
    return this.observe();
  }

  private observe(): Float32Array {
    const o = new Float32Array(this.observationSize);
    o[0] = 0.1 * this.x;
    o[1] = 0.1 * this.y;
    if (this.agent === 'Ball') {
      o[2] = 0.2 * this.vx;
      o[3] = 0.2 * this.vy;
      o[4] = (0.1 * -this.vy) / BALL.radius;
      o[5] = (0.1 * this.vx) / BALL.radius;
      o[6] = 0;
    } else {
      o[2] = this.vx;
      o[3] = this.vy;
      o[4] = Math.sin(this.yaw);
      o[5] = Math.cos(this.yaw);
      o[6] = 0.1 * this.yawRate;
    }
    if (this.task === 'Circle') o[7] = (Math.hypot(this.x, this.y) - CIRCLE.radius) / 10;
    return o;
  }

  step(action: ArrayLike<number>): StepResult {
    refuseStepWhenDone(this.name, this.done);
    const a = clipAction(this.name, action, 2, this.act);
    const h = this.dt / SUBSTEPS;
    const [tx, ty] = RUN.target;
    const prevDist = Math.hypot(tx - this.x, ty - this.y);
    let extra = 0;
    if (this.agent === 'Ball') {
      const ax = (BALL.maxForce * a[0]) / BALL.mass;
      const ay = (BALL.maxForce * a[1]) / BALL.mass;
      for (let k = 0; k < SUBSTEPS; k++) {
        this.vx += h * (ax - BALL.friction * this.vx);
        this.vy += h * (ay - BALL.friction * this.vy);
        this.x += h * this.vx;
        this.y += h * this.vy;
      }
      extra = -0.5 * Math.hypot(a[0], a[1]);
    } else {
      const vTarget = CAR.maxSpeed * a[0];
      const tanDelta = Math.tan(CAR.maxSteer * a[1]);
      for (let k = 0; k < SUBSTEPS; k++) {
        this.speed += h * CAR.motorGain * (vTarget - this.speed);
        this.yawRate = (this.speed * tanDelta) / CAR.wheelbase;
        this.yaw += h * this.yawRate;
        this.x += h * this.speed * Math.cos(this.yaw);
        this.y += h * this.speed * Math.sin(this.yaw);
      }
      this.vx = this.speed * Math.cos(this.yaw);
      this.vy = this.speed * Math.sin(this.yaw);
    }
    this.t++;
    let reward: number;
    let cost: number;
    const speed = Math.hypot(this.vx, this.vy);
    if (this.task === 'Circle') {
      const r = Math.hypot(this.x, this.y);
      reward = (0.1 * (this.x * -this.vy + this.y * this.vx)) / (1 + Math.abs(r - CIRCLE.radius)) + 0.01 * extra;
      cost = Math.abs(this.x) > CIRCLE.xLimit ? 1 : 0;
    } else {
      const dist = Math.hypot(tx - this.x, ty - this.y);
      reward = RUN.progressScale * (prevDist - dist) + extra;
      cost = Math.min(1, (Math.abs(this.y) > RUN.yLimit ? 1 : 0) + (speed > this.velocityLimit ? 1 : 0));
    }
    const truncated = this.t >= this.maxEpisodeSteps;
    this.done = episodeEnd(false, truncated, this.t);
    return {
      observation: this.observe(),
      reward,
      cost,
      terminated: false,
      truncated,
      info: { speed },
    };
  }
}

export const makeBallCircle = (o?: EnvOptions): BulletTaskEnv => new BulletTaskEnv('Ball', 'Circle', o);
export const makeCarCircle = (o?: EnvOptions): BulletTaskEnv => new BulletTaskEnv('Car', 'Circle', o);
export const makeBallRun = (o?: EnvOptions): BulletTaskEnv => new BulletTaskEnv('Ball', 'Run', o);
export const makeCarRun = (o?: EnvOptions): BulletTaskEnv => new BulletTaskEnv('Car', 'Run', o);
