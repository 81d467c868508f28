/**
 * How well a checkpoint's feasibility critics separate violating from safe transitions on held-out
 * behaviour data (seed + HELD_OUT_SEED_OFFSET, the run's recipe): ROC AUC of Q_h(s, a) for "this transition
 * violates" (cost > 0) and of V_h(s) for "a violation within the next k steps of the episode", k = 1, 10, 50,
 * 200 (the convergence probe's vhAuc uses "later in the episode", which on 1000-step episodes mixes in
 * violations far beyond the discount's horizon), and the mean Q_h on violating and safe transitions.
 *   npx tsx scripts/diagnose/critic_separation.ts RUNDIR [rows=20000]
 */
import { noGrad, tensor, tidy } from '../../core/index.js';
import { collect } from '../../rl/data/collect.js';
import { prepareData } from '../../rl/fisor/data.js';
import { loadAgent } from '../../rl/fisor/train.js';
import { HELD_OUT_SEED_OFFSET, rocAuc, stepsToViolation } from '../../rl/fisor/convergence.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: critic_separation.ts RUNDIR [rows]');
const rows = Number(process.argv[3] ?? 20000);
const { agent, meta, step } = await loadAgent(dir);
const task = meta.task, cfg = meta.config;
const ds = collect(task, { seed: HELD_OUT_SEED_OFFSET, recipe: cfg.dataRecipe });
const d = prepareData(ds, task, cfg);
const n = Math.min(rows, d.size), S = d.obsDim, A = d.actDim;
/** Steps until the next violation in the same episode (Infinity if none; masks = 0 also at timeouts). */
const until = stepsToViolation(ds.costs, d.masks);
const qh = new Float32Array(n), vh = new Float32Array(n);
const B = 4096;
for (let o = 0; o < n; o += B) {
  const m = Math.min(B, n - o);
  tidy(() => noGrad(() => {
    const s = tensor(d.observations.slice(o * S, (o + m) * S), { shape: [m, S] });
    const a = tensor(d.actions.slice(o * A, (o + m) * A), { shape: [m, A] });
    qh.set(agent.targetQh(s, a).dataSync(), o);
    vh.set(agent.vh.forward(s).dataSync(), o);
  }));
}
const now = Uint8Array.from({ length: n }, (_, i) => (ds.costs[i] > 0 ? 1 : 0));
const pos = now.reduce((a, x) => a + x, 0);
let qPos = 0, qNeg = 0, judgedFeasibleWhileViolating = 0;
for (let i = 0; i < n; i++) {
  if (now[i]) { qPos += qh[i]; if (qh[i] <= 0) judgedFeasibleWhileViolating++; } else qNeg += qh[i];
}
const out: Record<string, unknown> = {
  task, step, rows: n, violatingRows: pos,
  qhAucViolatingNow: rocAuc(qh, now),
  meanQhViolating: qPos / Math.max(1, pos), meanQhSafe: qNeg / Math.max(1, n - pos),
  violatingRowsJudgedFeasible: judgedFeasibleWhileViolating / Math.max(1, pos),
};
for (const k of [1, 10, 50, 200]) out[`vhAucWithin${k}`] = rocAuc(vh, Uint8Array.from({ length: n }, (_, i) => (until[i] < k ? 1 : 0)));
console.log(JSON.stringify(out, null, 2));
