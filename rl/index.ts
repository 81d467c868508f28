/**
 * rl: environments, behaviour data, scoring and FISOR; browser-safe (no Node built-ins). The Node-only
 * parts (training loop with files and checkpoints on disk, DSRL HDF5 files, the CLI) are in rl/node.ts.
 */
export {
  makeEnv, listTasks, TASK_REFERENCE, TASK_NAMES, taskReference,
  type TaskInfo, type TaskName, type TaskReference, type Env, type EnvOptions, type StepResult, type StepInfo, type ResetOptions,
} from './envs/registry.js';
export {
  POINT_ROBOT, PointRobot, pointRobotH, pointRobotObservation, isFeasibleState, feasibilityGrid, type FeasibilityGrid,
} from './envs/point_robot.js';
export {
  emptyDataset, truncateDataset, sampleIndices, allocBatch, gatherBatch, splitTrajectories, summarizeDataset, validateDataset,
  type Dataset, type Batch, type Trajectory, type DatasetSummary,
} from './data/dataset.js';
export { collect, DEFAULT_EPISODES, DEFAULT_TRANSITIONS, type CollectOptions, type CollectRecipe } from './data/collect.js';
export { normalizeReward, normalizeCost, isSafe, scoreEpisode, scoreEpisodes, type TaskScore } from './data/scoring.js';
export * from './fisor/index.js';
