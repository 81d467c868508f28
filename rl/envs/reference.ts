/**
 * Per-task reference constants: the single source for scoring (DSRL `get_normalized_score` style).
 *
 * rMin / rMax: min / max episode return of OUR default behaviour dataset for the task, i.e. the output of
 *   `npx tsx rl/data/summarize.ts` (collect(task, { seed: 0 }) with the default size), rounded outward
 *   to 2 decimals, recorded once here (see docs/DATASETS.md). They are fixed constants: re-collecting with
 *   another seed does not change them. DSRL's own values (different physics) are kept in `dsrl` for reference.
 * kappa: cost threshold (FISOR / OSRL default 10). maxEpisodeSteps: the env's time limit.
 */
export interface TaskReference {
  rMin: number;
  rMax: number;
  kappa: number;
  maxEpisodeSteps: number;
  observationSize: number;
  actionSize: number;
  /** DSRL's published R_max / R_min / C_max, for information only (not comparable with our physics). */
  dsrl?: { rMax: number; rMin: number; cMax: number };
}

export const TASK_REFERENCE = {
  PointRobot: { rMin: -1.84, rMax: 7.96, kappa: 10, maxEpisodeSteps: 300, observationSize: 11, actionSize: 2 },
  BallCircle: { rMin: -31.27, rMax: 429.82, kappa: 10, maxEpisodeSteps: 200, observationSize: 8, actionSize: 2, dsrl: { rMax: 881.46, rMin: 0.383, cMax: 80 } },
  CarCircle: { rMin: -4.36, rMax: 326.28, kappa: 10, maxEpisodeSteps: 300, observationSize: 8, actionSize: 2, dsrl: { rMax: 534.31, rMin: 3.484, cMax: 100 } },
  BallRun: { rMin: -169.17, rMax: 619.9, kappa: 10, maxEpisodeSteps: 100, observationSize: 7, actionSize: 2, dsrl: { rMax: 1327.45, rMin: 26.34, cMax: 80 } },
  CarRun: { rMin: -64.92, rMax: 746.31, kappa: 10, maxEpisodeSteps: 200, observationSize: 7, actionSize: 2, dsrl: { rMax: 574.65, rMin: 204.29, cMax: 40 } },
  PointGoal1: { rMin: -0.57, rMax: 28.09, kappa: 10, maxEpisodeSteps: 1000, observationSize: 36, actionSize: 2, dsrl: { rMax: 30.07, rMin: 0.012, cMax: 100 } },
} as const satisfies Record<string, TaskReference>;

export type TaskName = keyof typeof TASK_REFERENCE;
export const TASK_NAMES = Object.keys(TASK_REFERENCE) as TaskName[];

/** Own keys only: a plain lookup would take 'constructor' or 'toString' for a task (Object.prototype's). */
export function taskReference(task: string): TaskReference {
  const r = Object.hasOwn(TASK_REFERENCE, task) ? (TASK_REFERENCE as Record<string, TaskReference>)[task] : undefined;
  if (!r) throw new Error(`unknown task '${task}'; known tasks: ${TASK_NAMES.join(', ')}`);
  return r;
}
