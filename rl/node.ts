/**
 * The Node-only part of rl: the FISOR training loop that writes metrics, checkpoints and evaluations to an
 * output directory, the baselines' training loop, DSRL HDF5 files, and the CLI. Everything browser-safe is in rl/index.ts.
 */
import { train as trainAnywhere, type TrainOptions, type TrainResult } from './fisor/train.js';
import { nodeProvenance } from './io/node_provenance.js';
import { trainAlgorithm as trainAlgorithmAnywhere, type AlgoTrainOptions, type AlgoTrainResult } from './algos/train.js';

/** FISOR's `train`, recording the package version and (in a checkout of this package) its git commit, as the CLI does. */
export function train(opts: TrainOptions): Promise<TrainResult> {
  return trainAnywhere({ ...opts, provenance: { ...nodeProvenance(), ...(opts.provenance ?? {}) } });
}
export { loadAgent, buildAgent, CHECKPOINT_DIR, type TrainOptions, type TrainResult, type CheckpointMetadata } from './fisor/train.js';

/**
 * The baselines (BC-All, BC-Safe, BCQ-Lag, CPQ, COptiDICE, CDT, and FISOR through the same loop), trained as
 * `fisor train --algo NAME` trains them, recording the package version and git commit as `train` does.
 */
export function trainAlgorithm(opts: AlgoTrainOptions): Promise<AlgoTrainResult> {
  return trainAlgorithmAnywhere({ ...opts, provenance: { ...nodeProvenance(), ...(opts.provenance ?? {}) } });
}
export { loadAlgorithm, isAlgoCheckpoint, type AlgoTrainOptions, type AlgoTrainResult, type AlgoCheckpointMetadata } from './algos/train.js';
export { ALGORITHMS, algorithmNames, baselineNames, algorithmDef } from './algos/registry.js';
export { resolveAlgoConfig, type ResolveOptions as AlgoResolveOptions, type PresetName as AlgoPresetName } from './algos/config.js';
export type { Algorithm, AlgorithmDef, LoopConfig, Metrics, CreateContext } from './algos/types.js';
export type { DatasetRecord } from './io/run_guard.js';
export type { LogWindowState } from './io/train_loop.js';
export type { BestRecord } from './io/best.js';
export { nodeProvenance } from './io/node_provenance.js';
export { readDsrlHdf5, writeDsrlHdf5, DSRL_KEYS, type WriteOptions } from './data/hdf5.js';
export { main as cliMain } from './cli/main.js';
export type { CliIO } from './cli/command.js';
// Figures (SVG + PNG files) and dataset tools, as docs/FIGURES.md and docs/DATA_TOOLS.md name them.
export { writeFeasibleFigure, feasibleFigure, evaluateSlice, PAPER_SLICES, type FeasibleFigureOptions, type FeasibleFigureSummary, type SliceResult, type ValueFn } from './plot/feasible.js';
export { pointRobotRollout, type Rollout, type RolloutPolicy } from './plot/rollout.js';
export { readMetrics, curvesFigure, type MetricsLog } from './plot/curves.js';
export { costReturnScatterFigure, beforeAfterScatterFigure, type ScatterOptions } from './data/scatter.js';
export { svgToPng, writeFigure } from './plot/raster.js';
export type {
  FigureSpec, PanelSpec, Series, LineSeries, PointSeries, HeatmapSeries, ContourSeries, RefLineSeries, CircleSeries, BandSeries, TextSeries,
  Marker, LegendPlace, LegendEntry, ColorbarSpec,
} from './plot/chart.js';
export type { Colormap, Norm, RGB } from './plot/colormap.js';
export { filterDataset, type FilterOptions, type FilterResult, type FilterStep, type GridFilterOptions } from './data/filter.js';
// Run sinks: the training loop writes only through a RunSink (a directory here, memory, or your own).
export { MemoryRunSink } from './io/memory_sink.js';
export { NodeRunSink } from './io/node_sink.js';
export type { RunSink } from './io/sink.js';
