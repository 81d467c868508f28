/**
 * nn: modules, ensembles, optimizers, losses and checkpoints on the core tensor library.
 * The contract is docs/NN_API.md.
 */
export { Module, makeParameter, type StateValue } from './module.js';
export {
  Linear, LayerNorm, LayerNormalize, layerNormalize, Dropout, MLP, EnsembleLinear, EnsembleMLP, MLPResNet, MLPResNetBlock,
  ensembleMin, ensembleMax, activate,
  type Activation, type Init, type LinearOptions, type MLPOptions,
} from './layers.js';
export {
  SGD, Adam, AdamW, cosineDecay, clipGradNorm, softUpdate,
  type Optimizer, type AdamOptions, type Schedule,
} from './optim.js';
export { mse, expectileLoss, reversedExpectileLoss, weightedMean } from './losses.js';
export {
  saveCheckpoint, loadCheckpoint, checkpointToArrayBuffer, checkpointFromArrayBuffer, stateOf, restoreState, fnv1a32,
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION,
  type CheckpointContent, type LoadedCheckpoint, type SaveOptions,
} from './checkpoint.js';
