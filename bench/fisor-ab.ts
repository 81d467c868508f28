/**
 * A/B of the FISOR update against another checkout, in one process, interleaved: on a shared,
 * noisy machine two separate runs minutes apart differ by more than the change being measured;
 * alternating single updates of A and B puts both under the same load, and the ratio of medians
 * (and of each pair) is what to quote.
 *
 *   npx tsx bench/fisor-ab.ts OTHER_CHECKOUT [paper|cpu] [pairs] [update|act]
 *
 * `act` times one batched action choice instead (20 observations, the preset's candidates and denoising
 * steps, safest by Q_h: what evaluation runs every step) on the agent after its three warm-up updates.
 *
 * OTHER_CHECKOUT is a directory holding this repository at another commit with its wasm kernels built
 * (`git worktree add DIR COMMIT && (cd DIR && npm run build:wasm)`). Each side uses its own default
 * backend and FISOR_WASM_THREADS; both load their own modules (separate registries, memories and
 * workers). Prints one JSON line: medians, ratio of medians, median of the per-pair ratios; both ratios are
 * other / this (`speedup` above 1: this checkout is faster).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { countArg, median } from './harness.js';

interface Side {
  name: string;
  backend: string;
  update(): void;
}

async function side(root: string, name: string, preset: string, what: string): Promise<Side> {
  const url = (p: string) => pathToFileURL(resolve(root, p)).href;
  const core = await import(url('core/index.ts'));
  const { collect } = await import(url('rl/data/collect.ts'));
  const { resolveConfig } = await import(url('rl/fisor/config.ts'));
  const { allocFisorBatch, prepareData, sampleBatch } = await import(url('rl/fisor/data.ts'));
  const { FisorAgent } = await import(url('rl/fisor/agent.ts'));
  const ds = collect('PointRobot', { seed: 0 });
  const cfg = resolveConfig({ preset, task: 'PointRobot' });
  const data = prepareData(ds, 'PointRobot', cfg);
  const agent = new FisorAgent(cfg, data.obsDim, data.actDim, new core.Rng(0));
  const rng = new core.Rng(1);
  const batch = allocFisorBatch(data, cfg.batchSize);
  for (let i = 0; i < 3; i++) agent.update(sampleBatch(data, rng, batch));
  const obs = data.observations.subarray(0, 20 * data.obsDim);
  const run = what === 'act' ? () => { agent.act(obs); } : () => agent.update(sampleBatch(data, rng, batch));
  return { name, backend: core.getBackend().name, update: run };
}

const [other, preset = 'paper', pairsArg, what = 'update'] = process.argv.slice(2);
if (!other || !['update', 'act'].includes(what)) {
  console.error('usage: tsx bench/fisor-ab.ts OTHER_CHECKOUT [paper|cpu] [pairs] [update|act]');
  process.exit(2);
}
let pairs: number;
try {
  pairs = countArg('fisor-ab: pairs', pairsArg, preset === 'paper' ? 12 : 100);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const here = resolve(new URL('..', import.meta.url).pathname);
const a = await side(resolve(other), 'other', preset, what);
const b = await side(here, 'this', preset, what);
const ta: number[] = [];
const tb: number[] = [];
for (let i = 0; i < pairs; i++) {
  // Alternate which side goes first so that neither always runs right after the other's work.
  for (const s of i % 2 ? [b, a] : [a, b]) {
    const t0 = performance.now();
    s.update();
    (s === a ? ta : tb).push(performance.now() - t0);
  }
}
const ratios = ta.map((t, i) => t / tb[i]);
console.log(JSON.stringify({
  preset, what, pairs, threads: process.env.FISOR_WASM_THREADS ?? 'default',
  other: { root: other, backend: a.backend, medianMs: +median(ta).toFixed(2), minMs: +Math.min(...ta).toFixed(2) },
  this: { backend: b.backend, medianMs: +median(tb).toFixed(2), minMs: +Math.min(...tb).toFixed(2) },
  speedup: +(median(ta) / median(tb)).toFixed(3), medianPairSpeedup: +median(ratios).toFixed(3),
}));
process.exit(0);
