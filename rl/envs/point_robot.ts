/**
 * FISOR's PointRobot reach-avoid task (env/point_robot.py in the official code), re-implemented.
 *
 * State s = [x, y, v, theta]. Explicit Euler with dt = 0.05, all derivatives taken at the old state:
 *   x' = v cos(theta), y' = v sin(theta), v' = u0, theta' = u1, u in [-1, 1]^2.
 * v is not clamped (negative v drives backwards). theta is kept unwrapped internally; only cos/sin are observed.
 * Hazards: discs of radius 0.8 at (0.4, -1.2) and (-0.4, 1.2). Goal (2.2, 2.2), radius 0.3.
 * Reward: previous goal distance - new goal distance, +1 on reaching the goal (distance <= 0.3), which
 * terminates the episode. Leaving the box |x| > 3 or |y| > 3 terminates too. Time limit 300 steps.
 * Constraint value h = 0.8 - min distance to a hazard centre (`info.h`); cost = 1 iff h > 0.
 *
 * Observation (11, float32):
 *   [x, y, v, cos th, sin th,
 *    d1, cos b1, sin b1,  d2, cos b2, sin b2]
 * where for hazard i: d_i = Euclidean distance from the robot to the hazard CENTRE and b_i = the hazard's
 * bearing in the robot's body frame, i.e. atan2(hy - y, hx - x) - theta (0 = straight ahead,
 * +pi/2 = to the robot's left). At d_i = 0 the bearing is undefined and reported as (cos, sin) = (1, 0).
 *
 * Reset: x, y ~ U[-3, 3], v ~ U[0.5, 2], theta ~ U[pi/4, 3pi/4] (starts inside a hazard are allowed, as in
 * the paper; starts already inside the goal disc are re-drawn). Fixed-start mode: [-1.8, 0, 2.0, pi/4].
 */
import { Rng } from '../../core/rng.js';
import { checkSeed, clipAction, episodeEnd, NOT_RESET, refuseStepWhenDone, type Env, type EnvOptions, type ResetOptions, type StepResult } from './types.js';

export const POINT_ROBOT = {
  dt: 0.05,
  hazards: [
    [0.4, -1.2],
    [-0.4, 1.2],
  ] as const,
  hazardRadius: 0.8,
  goal: [2.2, 2.2] as const,
  goalRadius: 0.3,
  bound: 3,
  maxEpisodeSteps: 300,
  fixedStart: [-1.8, 0, 2.0, Math.PI / 4] as const,
} as const;

/** Constraint value h(x, y) = 0.8 - min distance to a hazard centre (> 0 inside a hazard). */
export function pointRobotH(x: number, y: number): number {
  let m = Infinity;
  for (const [hx, hy] of POINT_ROBOT.hazards) {
    const d = Math.hypot(x - hx, y - hy);
    if (d < m) m = d;
  }
  return POINT_ROBOT.hazardRadius - m;
}

/** Write the 11-d observation of state (x, y, v, th) into `out` (offset `o`). */
export function pointRobotObservation(x: number, y: number, v: number, th: number, out: Float32Array = new Float32Array(11), o = 0): Float32Array {
  const c = Math.cos(th);
  const s = Math.sin(th);
  out[o] = x;
  out[o + 1] = y;
  out[o + 2] = v;
  out[o + 3] = c;
  out[o + 4] = s;
  let k = o + 5;
  for (const [hx, hy] of POINT_ROBOT.hazards) {
    const dx = hx - x;
    const dy = hy - y;
    const d = Math.hypot(dx, dy);
    out[k] = d;
    if (d > 0) {
      // cos(b - th) and sin(b - th) with b = atan2(dy, dx)
      out[k + 1] = (dx * c + dy * s) / d;
      out[k + 2] = (dy * c - dx * s) / d;
    } else {
      out[k + 1] = 1;
      out[k + 2] = 0;
    }
    k += 3;
  }
  return out;
}

export class PointRobot implements Env {
  readonly name = 'PointRobot';
  readonly observationSize = 11;
  readonly actionSize = 2;
  readonly maxEpisodeSteps = POINT_ROBOT.maxEpisodeSteps;
  readonly fixedStart: boolean;
  /** Current state [x, y, v, theta] (read-only view for policies/tests). */
  readonly state = new Float64Array(4);
  private rng: Rng;
  private t = 0;
  /** Null while an episode runs; else why `step` is refused (refuseStepWhenDone). */
  private done: string | null = NOT_RESET;
  private readonly act = new Float64Array(2);

  constructor(opts: EnvOptions = {}) {
    this.fixedStart = !!opts.fixedStart;
    this.rng = new Rng(checkSeed(this.name, opts.seed, 'the constructor') ?? 0);
  }

  reset(options: ResetOptions = {}): Float32Array {
    const seed = checkSeed(this.name, options.seed, 'the reset');
    if (seed !== undefined) this.rng = new Rng(seed);
    const s = this.state;
    if (this.fixedStart) {
      s.set(POINT_ROBOT.fixedStart);
    } else {
      const [gx, gy] = POINT_ROBOT.goal;
      do {
        s[0] = this.rng.uniformRange(-3, 3);
        s[1] = this.rng.uniformRange(-3, 3);
      } while (Math.hypot(s[0] - gx, s[1] - gy) <= POINT_ROBOT.goalRadius);
      s[2] = this.rng.uniformRange(0.5, 2);
      s[3] = this.rng.uniformRange(Math.PI / 4, (3 * Math.PI) / 4);
    }
    this.t = 0;
    this.done = null;
    return pointRobotObservation(s[0], s[1], s[2], s[3]);
  }

  /**
   * Set the state directly (tests, plotting, evaluation `starts`) and start an episode from it: resets the step
   * counter. A non-finite component throws: a NaN state never violates (h = NaN is not > 0) nor leaves the box,
   * so its episode would run to the time limit and be scored as safe.
   */
  setState(x: number, y: number, v: number, theta: number): Float32Array {
    checkFiniteState('PointRobot.setState', x, y, v, theta);
    this.state[0] = x;
    this.state[1] = y;
    this.state[2] = v;
    this.state[3] = theta;
    this.t = 0;
    this.done = null;
    return pointRobotObservation(x, y, v, theta);
  }

  step(action: ArrayLike<number>): StepResult {
    refuseStepWhenDone(this.name, this.done);
    const u = clipAction(this.name, action, 2, this.act);
    const s = this.state;
    const [gx, gy] = POINT_ROBOT.goal;
    const x = s[0], y = s[1], v = s[2], th = s[3];
    const dt = POINT_ROBOT.dt;
    const prevDist = Math.hypot(x - gx, y - gy);
    s[0] = x + dt * v * Math.cos(th);
    s[1] = y + dt * v * Math.sin(th);
    s[2] = v + dt * u[0];
    s[3] = th + dt * u[1];
    this.t++;
    const dist = Math.hypot(s[0] - gx, s[1] - gy);
    const goalReached = dist <= POINT_ROBOT.goalRadius;
    const out = Math.abs(s[0]) > POINT_ROBOT.bound || Math.abs(s[1]) > POINT_ROBOT.bound;
    const h = pointRobotH(s[0], s[1]);
    const terminated = goalReached || out;
    const truncated = !terminated && this.t >= this.maxEpisodeSteps;
    this.done = episodeEnd(terminated, truncated, this.t);
    return {
      observation: pointRobotObservation(s[0], s[1], s[2], s[3]),
      reward: prevDist - dist + (goalReached ? 1 : 0),
      cost: h > 0 ? 1 : 0,
      terminated,
      truncated,
      info: { h, goalReached, outOfBounds: out },
    };
  }
}

/** Throw, naming `what` and the component, unless x, y, v and theta are all finite numbers. */
function checkFiniteState(what: string, x: number, y: number, v: number, theta: number): void {
  // Number.isFinite is false for non-numbers too. No array on the way: the ground truth calls this for every grid cell.
  if (Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(v) && Number.isFinite(theta)) return;
  const vals = [x, y, v, theta];
  const i = vals.findIndex((c) => !Number.isFinite(c));
  throw new Error(`${what}: ${['x', 'y', 'v', 'theta'][i]} must be a finite number, got ${String(vals[i])}`);
}

/**
 * The ground truth's turn for a robot at (x, y) heading theta: away from the hazard whose disc the heading
 * ray hits first (+1 = left, -1 = right; a dead-centre hit turns left), or 0 when the ray hits none.
 */
export function evasiveTurn(x: number, y: number, theta: number): number {
  const cross = firstHitCross(x, y, theta);
  return Number.isNaN(cross) ? 0 : cross > 0 ? -1 : 1;
}

/** cross(heading, centre - position) of the hazard disc the heading ray from (x, y) hits first; NaN when it hits none. */
function firstHitCross(x: number, y: number, theta: number): number {
  const R = POINT_ROBOT.hazardRadius;
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  let bestT = Infinity;
  let cross = NaN;
  for (const [hx, hy] of POINT_ROBOT.hazards) {
    const dx = hx - x;
    const dy = hy - y;
    const along = dx * c + dy * s; // projection of centre on heading
    if (along <= 0) continue;
    const perp2 = dx * dx + dy * dy - along * along;
    if (perp2 >= R * R) continue;
    const tHit = along - Math.sqrt(R * R - perp2);
    if (tHit < bestT) {
      bestT = tHit;
      cross = c * dy - s * dx;
    }
  }
  return cross;
}

/**
 * Ground-truth feasibility ("avoidable") check from the FISOR paper's feasible-region figure.
 *
 * - Inside a hazard (distance to a centre < 0.8) -> infeasible.
 * - If the heading ray from (x, y) intersects a hazard disc (and v > 0), simulate full braking u0 = -1 with
 *   maximal turn away from that hazard, u1 = -sign(cross(heading, hazardCentre - position)) (hazard on the
 *   left -> turn right; a dead-centre hit turns left), sign fixed at the start, with the env's Euler
 *   dynamics (dt 0.05) until v <= 0. Infeasible iff some visited position enters ANY hazard disc.
 *   When the ray hits both hazards, the nearer hit decides the turn direction.
 * - Otherwise (heading away, or v <= 0) -> feasible.
 */
export function isFeasibleState(x: number, y: number, v: number, theta: number): boolean {
  return groundTruthMargin(x, y, v, theta) <= 0;
}

/**
 * The ground truth's margin: the largest h along its manoeuvre (the check above), i.e. h(x, y) itself where the
 * check stops at once (inside a hazard, v <= 0, or a heading ray that hits no hazard). > 0 exactly where
 * `isFeasibleState` is false; its size says how deep the manoeuvre would enter a hazard (or, < 0, how far it
 * stays out), the precision a learned V_h needs there (scripts/diagnose/iou_precision.ts).
 */
export function groundTruthMargin(x: number, y: number, v: number, theta: number): number {
  let m = -Infinity;
  for (const h of groundTruthPathH(x, y, v, theta)) if (h > m) m = h;
  return m;
}

/**
 * h at the start and at every position the ground truth's manoeuvre visits (full braking with the turn of
 * `evasiveTurn`, until v <= 0); just [h(x, y)] where the check stops at once.
 */
export function groundTruthPathH(x: number, y: number, v: number, theta: number): number[] {
  // A NaN state would be called feasible (h = NaN is not > 0) and v = Infinity would brake forever (a hang).
  checkFiniteState('PointRobot ground truth', x, y, v, theta);
  const hs = [pointRobotH(x, y)];
  if (hs[0] > 0 || !(v > 0)) return hs;
  const u1 = evasiveTurn(x, y, theta);
  if (u1 === 0) return hs;
  const dt = POINT_ROBOT.dt;
  let px = x, py = y, pv = v, pth = theta;
  // v decreases by dt per step, so this loop runs ceil(v / dt) times.
  while (pv > 0) {
    const nx = px + dt * pv * Math.cos(pth);
    const ny = py + dt * pv * Math.sin(pth);
    pv -= dt;
    pth += dt * u1;
    px = nx;
    py = ny;
    hs.push(pointRobotH(px, py));
  }
  return hs;
}

/**
 * The paper's discounted feasibility value run backwards along the ground truth's manoeuvre:
 * V_t = (1 - g) h_t + g max(h_t, V_{t+1}), with V = h where the manoeuvre ends (at rest). What a critic that
 * found the evasive manoeuvre would converge to under the discount g (scripts/diagnose/iou_precision.ts,
 * iou_oracle.ts). By induction V_0 <= groundTruthMargin, with equality at g = 1.
 */
export function groundTruthDiscounted(x: number, y: number, v: number, theta: number, g: number): number {
  if (!(g > 0 && g <= 1)) throw new Error(`groundTruthDiscounted: the discount must be in (0, 1], got ${g}`);
  const hs = groundTruthPathH(x, y, v, theta);
  let V = hs[hs.length - 1];
  for (let t = hs.length - 2; t >= 0; t--) V = (1 - g) * hs[t] + g * Math.max(hs[t], V);
  return V;
}

export interface FeasibilityGrid {
  /** n*n cells, 1 = feasible, 0 = infeasible. Row-major: index = row * n + col, row = y index, col = x index. */
  grid: Uint8Array;
  /** x coordinate of each column (ascending, linspace(-extent, extent, n)). */
  xs: Float64Array;
  /** y coordinate of each row (ascending, linspace(-extent, extent, n)); row 0 is y = -extent (bottom). */
  ys: Float64Array;
  n: number;
  v: number;
  theta: number;
}

/** Ground-truth feasible region on an n x n grid over [-extent, extent]^2 for the slice (v, theta). */
export function feasibilityGrid(opts: { v: number; theta: number; n?: number; extent?: number }): FeasibilityGrid {
  const n = opts.n ?? 200;
  const extent = opts.extent ?? 3;
  if (!Number.isInteger(n) || n < 2) throw new Error(`feasibilityGrid: n must be an integer >= 2, got ${n}`);
  if (!(Number.isFinite(extent) && extent > 0)) throw new Error(`feasibilityGrid: extent must be a finite number > 0, got ${extent}`);
  if (!Number.isFinite(opts.v) || !Number.isFinite(opts.theta)) throw new Error(`feasibilityGrid: v and theta must be finite numbers, got v ${opts.v}, theta ${opts.theta}`);
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = -extent + (2 * extent * i) / (n - 1);
  const ys = Float64Array.from(xs);
  const grid = new Uint8Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) grid[r * n + c] = isFeasibleState(xs[c], ys[r], opts.v, opts.theta) ? 1 : 0;
  }
  return { grid, xs, ys, n, v: opts.v, theta: opts.theta };
}
