/** FISOR: agent, config, formulas, data preparation, training loop and evaluation. */
export { FisorAgent, deriveRng, type FisorBatch, type UpdateMetrics, type AgentRngs } from './agent.js';
export { PAPER, CPU_CHANGES, TASK_OVERRIDES, PRESETS, presetConfig, resolveConfig, applySet, applyObject, checkConfig, type FisorConfig, type ActorConfig, type WeightConfig, type ResolveOptions, type PresetName } from './config.js';
export { feasibleTarget, rewardTarget, expectile, reversedExpectile, fisorWeights, constraintValues } from './critics.js';
export { prepareData, resolveDataOptions, sampleBatch, allocFisorBatch, type FisorData } from './data.js';
export { train, loadAgent, buildAgent, CHECKPOINT_DIR, type TrainOptions, type TrainResult, type CheckpointMetadata } from './train.js';
export { evaluate, type EvalOptions, type EvalResult, type EpisodeResult, type Policy } from './evaluate.js';
