/**
 * The Node-only part of rl: the FISOR training loop that writes metrics, checkpoints and evaluations to an
 * output directory, DSRL HDF5 files, and the CLI. Everything browser-safe is in rl/index.ts.
 */
export { train, loadAgent, buildAgent, CHECKPOINT_DIR, type TrainOptions, type TrainResult, type CheckpointMetadata } from './fisor/train.js';
export { readDsrlHdf5, writeDsrlHdf5, DSRL_KEYS, type WriteOptions } from './data/hdf5.js';
export { main as cliMain } from './cli/main.js';
