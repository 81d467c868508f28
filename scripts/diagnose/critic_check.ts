/**
 * Train (or load) a FISOR agent and check critics, actor and action selection on the dataset.
 * npx tsx scripts/diagnose/critic_check.ts TASK STEPS OUTDIR [--load] [--set k=v ...]
 */
import { existsSync } from 'node:fs';
import { Rng, tensor, noGrad, tidy } from '../../core/index.js';
import { collect } from '../../rl/data/collect.js';
import { VALIDATION_EVAL_SEED } from '../../rl/fisor/starts.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { prepareData } from '../../rl/fisor/data.js';
import { train, loadAgent } from '../../rl/fisor/train.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { ddpmSample } from '../../diffusion/index.js';
import type { FisorAgent } from '../../rl/fisor/agent.js';

const [task, stepsS, out] = process.argv.slice(2, 5);
const load = process.argv.includes('--load');
const sets: string[] = [];
for (let i = 0; i < process.argv.length; i++) if (process.argv[i] === '--set') sets.push(process.argv[i + 1]);
const fixed = process.argv.includes('--fixed');
const cfg = resolveConfig({ preset: 'cpu', task, set: sets, overrides: { steps: Number(stepsS) } });
const ds = collect(task, { seed: 0, recipe: cfg.dataRecipe });
const data = prepareData(ds, task, cfg);
let agent: FisorAgent;
const t0 = performance.now();
if (load && existsSync(out + '/checkpoint')) agent = (await loadAgent(out)).agent;
else agent = (await train({ task, config: cfg, seed: 0, outDir: out, overwrite: true, dataset: ds, skipFinalEval: true })).agent;
console.log(`train/load ${((performance.now() - t0) / 1000).toFixed(0)} s`);

const S = data.obsDim, A = data.actDim, N = data.size;
// remaining cost-to-go per transition, and steps to first future violation
const rem = new Float32Array(N);
let acc = 0;
for (let i = N - 1; i >= 0; i--) { if (data.masks[i] === 0) acc = 0; acc += ds.costs[i]; rem[i] = acc; }
// subsample
const rng = new Rng(123);
const idx = Array.from({ length: 4000 }, () => rng.int(N));
const obs = new Float32Array(idx.length * S), act = new Float32Array(idx.length * A);
idx.forEach((j, k) => { obs.set(data.observations.subarray(j * S, j * S + S), k * S); act.set(data.actions.subarray(j * A, j * A + A), k * A); });
const vh = agent.feasibilityValue(obs);
const { qc, q, v, w } = tidy(() => noGrad(() => {
  const s = tensor(obs, { shape: [idx.length, S] }), a = tensor(act, { shape: [idx.length, A] });
  const ww = agent.policyWeights(s, a).w.dataSync();
  return { qc: Float32Array.from(agent.targetQh(s, a).dataSync()), q: Float32Array.from(agent.targetQr(s, a).dataSync()), v: Float32Array.from(agent.vr.forward(s).dataSync()), w: Float32Array.from(ww) };
}));
const grp = (pred: (k: number) => boolean) => { let n = 0, sv = 0, pos = 0, sq = 0; idx.forEach((j, k) => { if (pred(k)) { n++; sv += vh[k]; sq += qc[k]; if (vh[k] > 0) pos++; } }); return `n=${n} meanVh=${(sv / n).toFixed(2)} meanQh=${(sq / n).toFixed(2)} frac(Vh>0)=${(pos / n).toFixed(3)}`; };
console.log(`remaining cost == 0 : ${grp((k) => rem[idx[k]] === 0)}`);
console.log(`remaining cost >  0 : ${grp((k) => rem[idx[k]] > 0)}`);
console.log(`h>0 now (violating) : ${grp((k) => data.h[idx[k]] > 0)}`);
// AUC of Vh separating rem>0 from rem==0
const pairs = idx.map((j, k) => [vh[k], rem[j] > 0 ? 1 : 0]).sort((a, b) => a[0] - b[0]);
let rankSum = 0, npos = 0; pairs.forEach((p, r) => { if (p[1]) { rankSum += r + 1; npos++; } });
const nneg = pairs.length - npos; console.log(`AUC(Vh, future cost>0) = ${((rankSum - npos * (npos + 1) / 2) / (npos * nneg)).toFixed(3)}`);
let wSafe = 0, wUns = 0, nS = 0, nU = 0, wz = 0; for (let k = 0; k < idx.length; k++) { if (vh[k] > 0) { wUns += w[k]; nU++; } else { wSafe += w[k]; nS++; } if (w[k] === 0) wz++; }
console.log(`weights: feasible mean ${(wSafe / nS).toFixed(2)} (n=${nS}), infeasible mean ${(wUns / nU).toFixed(2)} (n=${nU}), zero frac ${(wz / idx.length).toFixed(3)}; mean(q-v)=${(q.reduce((a, b, k) => a + b - v[k], 0) / idx.length).toFixed(3)}`);
// actor imitation: one sample per dataset state
const samp = tidy(() => noGrad(() => Float32Array.from(ddpmSample(agent.actorEma, agent.schedule, tensor(obs, { shape: [idx.length, S] }), A, new Rng(5), { clip: true }).dataSync())));
for (let d = 0; d < A; d++) {
  let ma = 0, ms = 0, va = 0, vs = 0, cov = 0, mse = 0; const n = idx.length;
  for (let k = 0; k < n; k++) { ma += act[k * A + d]; ms += samp[k * A + d]; }
  ma /= n; ms /= n;
  for (let k = 0; k < n; k++) { const x = act[k * A + d] - ma, y = samp[k * A + d] - ms; va += x * x; vs += y * y; cov += x * y; mse += (act[k * A + d] - samp[k * A + d]) ** 2; }
  console.log(`action dim ${d}: data mean ${ma.toFixed(3)} std ${Math.sqrt(va / n).toFixed(3)} | actor mean ${ms.toFixed(3)} std ${Math.sqrt(vs / n).toFixed(3)} | corr ${(cov / Math.sqrt(va * vs)).toFixed(3)} rmse ${Math.sqrt(mse / n).toFixed(3)}`);
}
// eval with N = 1 vs N = numSamples
for (const n of [1, cfg.numSamples]) {
  const e = evaluate(agent, task, { episodes: 10, seed: VALIDATION_EVAL_SEED, numSamples: n, fixedStart: fixed });
  console.log(`eval N=${n}: normR ${e.normalizedReward.toFixed(3)} normC ${e.normalizedCost.toFixed(3)} safeFrac ${e.safeFraction.toFixed(2)} (${e.seconds.toFixed(0)} s)`);
}
