/** Environment registry: `makeEnv(name, opts)` and `listTasks()`. */
import { makeBallCircle, makeBallRun, makeCarCircle, makeCarRun } from './bullet.js';
import { PointGoal1 } from './point_goal.js';
import { PointRobot } from './point_robot.js';
import { TASK_NAMES, TASK_REFERENCE, type TaskName, type TaskReference } from './reference.js';
import type { Env, EnvOptions } from './types.js';

export { TASK_REFERENCE, TASK_NAMES, taskReference, type TaskName, type TaskReference } from './reference.js';
export type { Env, EnvOptions, StepResult, StepInfo, ResetOptions } from './types.js';

const FACTORIES: Record<TaskName, (opts?: EnvOptions) => Env> = {
  PointRobot: (o) => new PointRobot(o),
  BallCircle: makeBallCircle,
  CarCircle: makeCarCircle,
  BallRun: makeBallRun,
  CarRun: makeCarRun,
  PointGoal1: (o) => new PointGoal1(o),
};

/** Build a task environment by name. Unknown name (own keys only: not 'constructor') -> Error listing the known names. */
export function makeEnv(name: string, opts: EnvOptions = {}): Env {
  const f = Object.hasOwn(FACTORIES, name) ? (FACTORIES as Record<string, ((o?: EnvOptions) => Env) | undefined>)[name] : undefined;
  if (!f) throw new Error(`unknown task '${name}'; known tasks: ${TASK_NAMES.join(', ')}`);
  return f(opts);
}

export interface TaskInfo extends TaskReference {
  name: TaskName;
}

/** All registered tasks with their sizes, episode lengths and reference constants. */
export function listTasks(): TaskInfo[] {
  return TASK_NAMES.map((name) => ({ name, ...TASK_REFERENCE[name] }));
}
