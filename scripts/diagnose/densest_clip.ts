/**
 * Does the sampler's clip steer the densest candidate (config modeEstimate 'densest')? The sampler clamps every
 * denoising step to the action box, so clipped samples pile up on its edge, and a sample clamped to a corner before the
 * last step can leave exact duplicates inside the box; duplicates count as density. For `states` states evenly spaced
 * over the held-out behaviour data (collect seed HELD_OUT_SEED_OFFSET, the run's recipe), draws the run's N candidates
 * per state from the checkpoint's saved acting stream and counts the states where the densest candidate lies on the
 * box's edge or has an exact duplicate among the N, and where any candidate does.
 *   npx tsx scripts/diagnose/densest_clip.ts RUNDIR [RUNDIR ...] [--states 500]
 */
import { collect } from '../../rl/data/collect.js';
import { densestCandidate } from '../../rl/fisor/agent.js';
import { HELD_OUT_SEED_OFFSET } from '../../rl/fisor/convergence.js';
import { loadActingRun } from './acting_agent.js';

const USAGE = 'usage: densest_clip.ts RUNDIR [RUNDIR ...] [--states 500]';
const args = process.argv.slice(2);
let states = 500;
const dirs: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--states') {
    states = Number(args[++i]);
    if (!(Number.isInteger(states) && states > 0)) throw new Error(`densest_clip.ts: --states must be a whole number > 0, got '${args[i]}'`);
  } else if (args[i].startsWith('--')) throw new Error(`densest_clip.ts: unknown option '${args[i]}'; ${USAGE}`);
  else dirs.push(args[i]);
}
if (dirs.length === 0) throw new Error(USAGE);

const EDGE = 1 - 1e-6;
for (const dir of dirs) {
  const run = await loadActingRun(dir, 'densest_clip.ts');
  const { task, seed, config } = run.meta;
  const ds = collect(task, { seed: HELD_OUT_SEED_OFFSET, recipe: config.dataRecipe });
  const S = ds.observationSize, A = ds.actionSize, n = config.numSamples, rows = ds.observations.length / S;
  const obs = new Float32Array(states * S);
  for (let i = 0; i < states; i++) {
    const j = Math.floor((i * rows) / states);
    obs.set(ds.observations.subarray(j * S, j * S + S), i * S);
  }
  const a = run.agentWith([]).sampleCandidates(obs, n);
  const edge = (r: number) => { for (let d = 0; d < A; d++) if (Math.abs(a[r * A + d]) >= EDGE) return true; return false; };
  const same = (r: number, q: number) => { for (let d = 0; d < A; d++) if (a[r * A + d] !== a[q * A + d]) return false; return true; };
  let densestEdge = 0, densestDup = 0, anyEdge = 0, anyDup = 0;
  for (let i = 0; i < states; i++) {
    const j = i * n + densestCandidate(a, i * n, n, A);
    if (edge(j)) densestEdge++;
    let dup = false, anyD = false, anyE = false;
    for (let k = i * n; k < i * n + n; k++) {
      if (edge(k)) anyE = true;
      for (let m = k + 1; m < i * n + n; m++) if (same(k, m)) { anyD = true; if (k === j || m === j) dup = true; }
    }
    if (dup) densestDup++;
    if (anyE) anyEdge++;
    if (anyD) anyDup++;
  }
  console.log(`${task} seed ${seed} (${states} held-out states, ${n} candidates): the densest candidate on the box's edge in ${densestEdge}, with an exact duplicate in ${densestDup}; some candidate on the edge in ${anyEdge}, some exact duplicate in ${anyDup}`);
}
