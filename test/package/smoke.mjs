// Run with plain `node` inside a folder where the packed fisor-ts tarball is installed (see pack.test.ts):
// imports every entry point by its package name, trains a tiny MLP and runs a few FISOR updates, and prints
// one JSON line of what it saw.
import * as core from 'fisor-ts';
import * as nn from 'fisor-ts/nn';
import * as diffusion from 'fisor-ts/diffusion';
import * as rl from 'fisor-ts/rl';
import * as rlNode from 'fisor-ts/rl/node';
import * as fs from 'node:fs';

const out = {
  backend: core.getBackend().name,
  relaxedSimd: core.relaxedSimdAvailable(),
  platform: core.platform().name,
  exports: {
    core: typeof core.tensor, nn: typeof nn.MLP, diffusion: typeof diffusion.ddpmSample,
    rl: typeof rl.FisorAgent, rlNode: typeof rlNode.train,
  },
  // What docs/FIGURES.md and docs/DATA_TOOLS.md call library API, and the run sinks: missing ones listed.
  missingNodeExports: ['writeFeasibleFigure', 'pointRobotRollout', 'readMetrics', 'curvesFigure', 'costReturnScatterFigure',
    'beforeAfterScatterFigure', 'svgToPng', 'writeFigure', 'filterDataset', 'MemoryRunSink', 'NodeRunSink'].filter((n) => typeof rlNode[n] !== 'function'),
};

// A tiny MLP fits y = x1 - 2 x2 with Adam.
core.manualSeed(0);
const x = core.randn([64, 2]);
const xs = x.dataSync();
const ys = new Float32Array(64);
for (let i = 0; i < 64; i++) ys[i] = xs[2 * i] - 2 * xs[2 * i + 1];
const y = core.tensor(ys, { shape: [64, 1] });
const mlp = new nn.MLP({ inputSize: 2, hiddenSizes: [16], outputSize: 1, rng: new core.Rng(1) });
const opt = new nn.Adam(mlp.parameters(), { lr: 0.01 });
const losses = [];
for (let step = 0; step < 100; step++) {
  const loss = nn.mse(mlp.forward(x), y);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  losses.push(loss.item());
}
out.mlp = { first: losses[0], last: losses.at(-1) };

// A few FISOR updates on a small PointRobot dataset (cpu preset, small networks).
const cfg = rl.resolveConfig({ preset: 'cpu', task: 'PointRobot', set: ['batchSize=32', 'criticBatchSize=32', 'actor.hidden=32', 'actor.blocks=1'] });
const ds = rl.collect('PointRobot', { seed: 0, transitions: 2000 });
const data = rl.prepareData(ds, 'PointRobot', cfg);
const { agent, streams } = rlNode.buildAgent(cfg, data.obsDim, data.actDim, 0);
const batch = rl.allocFisorBatch(data, cfg.batchSize);
const metrics = [];
for (let i = 0; i < 3; i++) metrics.push(agent.update(rl.sampleBatch(data, streams.data, batch)));
out.fisor = { updates: metrics.length, vhLoss: metrics.map((m) => m.vhLoss), actorLoss: metrics.map((m) => m.actorLoss) };
const action = agent.act(data.observations.subarray(0, data.obsDim), 4);
out.fisor.action = Array.from(action);
const buf = nn.checkpointToArrayBuffer({ tensors: agent.stateTensors(), step: 3 });
out.fisor.checkpointBytes = buf.byteLength;

// The library's Node train() writes a run whose provenance names the package, as the CLI's does.
const run = await rlNode.train({ task: 'PointRobot', config: { ...cfg, steps: 2, evalEvery: 0, checkpointEvery: 0, convergenceEvery: 0 }, seed: 0, outDir: 'lib-run', dataset: ds, skipFinalEval: true });
out.libraryRun = { step: run.step, provenance: JSON.parse(fs.readFileSync('lib-run/config.json', 'utf8')).provenance };
console.log(JSON.stringify(out));
