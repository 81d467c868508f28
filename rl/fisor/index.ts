/**
 * FISOR: agent, config, formulas, data preparation and evaluation; browser-safe. The file-writing training
 * loop (train, loadAgent) is Node-only and is exported from rl/node.ts.
 */
export { FisorAgent, deriveRng, type FisorBatch, type UpdateMetrics, type AgentRngs } from './agent.js';
export { PAPER, CPU_CHANGES, SAFE_CHANGES, SAFE2_CHANGES, SAFE3_CHANGES, SAFE4_CHANGES, SAFE5_CHANGES, SAFE6_CHANGES, SAFE7_CHANGES, SAFE8_CHANGES, PRESET_CHANGES, PRESET_TASK_CHANGES, presetChain, TASK_OVERRIDES, PRESETS, presetConfig, resolveConfig, applySet, applyObject, checkConfig, withDefaults, type FisorConfig, type ActorConfig, type WeightConfig, type ResolveOptions, type PresetName } from './config.js';
export { feasibleTarget, rewardTarget, expectile, reversedExpectile, fisorWeights, constraintValues } from './critics.js';
export { prepareData, resolveDataOptions, sampleBatch, allocFisorBatch, type FisorData } from './data.js';
export { evaluate, type EvalOptions, type EvalResult, type EpisodeResult, type Policy } from './evaluate.js';
export type { MonitorSummary, MonitorStep, StepCause, RootCause } from './monitor.js';
