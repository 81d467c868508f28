/**
 * Can the critics' network represent PointRobot's feasible set to the IoU check's precision at all? The critic V_h
 * learns its boundary through a bootstrapped, discounted, expectile target (rounds 3-6 could not move its IoU past
 * 0.90 on the fast slice). This trains the same network (the preset's critic: MLP criticHidden, ReLU, Xavier, Adam
 * at criticLr, batch criticBatchSize) by plain supervised regression on the ground truth itself, on the same data
 * states: the label is the truth's margin m(s) (groundTruthMargin: > 0 exactly where the truth calls s infeasible)
 * or, with --label discounted, the paper's discounted recursion run along the truth's own manoeuvre
 * V = (1 - g) h + g max(h, V') (what a critic that found the evasive manoeuvre would converge to), or, with --label
 * expectile, FISOR's own V_h objective with exact Q values: the reversed expectile (feasibilityExpectile) over the
 * data's transitions of Q*(s, a) = (1 - g) h + g max(h, V*(s')), V* the discounted truth at the data's next state
 * (the agent's target with V_h(s') replaced by the truth, so that only the expectile over the data's actions remains). The IoU of its zero
 * level per slice every `every` iterations: if an oracle-trained network stays below 0.90 on a slice, the network and
 * budget are the limit; if it passes easily, the RL target is.
 *   npx tsx scripts/diagnose/iou_oracle.ts [--seed 0] [--preset safe6] [--iters 12000] [--every 2000]
 *       [--label margin|discounted|expectile] [--tau T] [--discount G] [--hidden 128,128] [--states data|uniform]
 */
import { noGrad, Rng, tensor, tidy } from '../../core/index.js';
import { Adam, MLP } from '../../nn/index.js';
import { collect } from '../../rl/data/collect.js';
import { resolveConfig, type PresetName } from '../../rl/fisor/config.js';
import { groundTruthDiscounted, groundTruthMargin, pointRobotObservation, POINT_ROBOT } from '../../rl/envs/point_robot.js';
import { reversedExpectile } from '../../rl/fisor/critics.js';
import { evaluateSlice, PAPER_SLICES } from '../../rl/plot/feasible.js';
import { parseFlags, type FlagSpecs } from '../../rl/cli/args.js';

const flags = {
  seed: { type: 'int', help: 'network initialisation and batch seed', default: 0, meta: 'S' },
  preset: { type: 'string', help: "the critic settings (network, lr, batch, data recipe; default tau and discount)", default: 'safe6', meta: 'NAME' },
  iters: { type: 'int', help: 'training iterations', default: 12000, meta: 'N' },
  every: { type: 'int', help: 'IoU every N iterations', default: 2000, meta: 'N' },
  label: { type: 'string', help: 'margin | discounted | expectile', default: 'margin', meta: 'L' },
  tau: { type: 'float', help: "the expectile of --label expectile (default the preset's feasibilityExpectile; the paper's 0.9 under safe6)", meta: 'T' },
  discount: { type: 'float', help: "discount of the labels (default the preset's)", meta: 'G' },
  hidden: { type: 'string', help: "hidden sizes (default the preset's criticHidden)", meta: 'A,B' },
  states: { type: 'string', help: "data (the dataset's states) | uniform (as many drawn over the reset box)", default: 'data', meta: 'S' },
} satisfies FlagSpecs;
const f = parseFlags(process.argv.slice(2), flags);
const { seed, iters, every, label, states: statesFrom } = f;
const preset = f.preset as PresetName;
if (!['margin', 'discounted', 'expectile'].includes(label)) throw new Error(`--label: 'margin', 'discounted' or 'expectile', got '${label}'`);
if (statesFrom !== 'data' && statesFrom !== 'uniform') throw new Error(`--states: 'data' or 'uniform', got '${statesFrom}'`);
if (label === 'expectile' && statesFrom !== 'data') throw new Error("--label expectile needs the data's transitions (--states data)");
if (!(iters >= 1) || !(every >= 1)) throw new Error(`--iters and --every must be >= 1, got ${iters} and ${every}`);
const cfg = resolveConfig({ preset, task: 'PointRobot', overrides: {} });
const hidden = (f.hidden ?? cfg.criticHidden.join(',')).split(',').map(Number);
if (!hidden.every((h) => Number.isInteger(h) && h > 0)) throw new Error(`--hidden: positive integers, got '${f.hidden}'`);
const tau = f.tau ?? cfg.feasibilityExpectile;
const discount = f.discount ?? cfg.discount;
if (!(tau > 0 && tau < 1) || !(discount > 0 && discount < 1)) throw new Error(`--tau and --discount must be in (0, 1), got ${tau} and ${discount}`);
const S = 11;


// The states: the dataset's own (the critics' training states), or as many drawn uniformly over the reset box
// widened to the data's speeds (x, y in [-3, 3], v in [0, 2], any heading).
const ds = collect('PointRobot', { seed: 0, recipe: cfg.dataRecipe });
const N = ds.size;
const obs = new Float32Array(N * S);
const y = new Float32Array(N);
const urng = new Rng(1000 + seed);
for (let i = 0; i < N; i++) {
  let px: number, py: number, v: number, th: number;
  if (statesFrom === 'data') {
    const o = ds.observations.subarray(i * S, i * S + S);
    [px, py, v] = [o[0], o[1], o[2]];
    th = Math.atan2(o[4], o[3]);
    obs.set(o, i * S);
  } else {
    px = urng.uniformRange(-3, 3); py = urng.uniformRange(-3, 3); v = urng.uniformRange(0, 2); th = urng.uniformRange(-Math.PI, Math.PI);
    pointRobotObservation(px, py, v, th, obs, i * S);
  }
  if (label === 'margin') y[i] = groundTruthMargin(px, py, v, th);
  else if (label === 'discounted') y[i] = groundTruthDiscounted(px, py, v, th, discount);
  else {
    // Q*(s, a) as the agent's feasibleTarget with V_h(s') replaced by the truth's V*: h is the transition's own (h(s') > 0
    // iff violating), and no bootstrap past the end of an episode (terminal or time limit, the agent's mask).
    if (!ds.h) throw new Error('--label expectile: the dataset has no continuous h');
    const o2 = ds.nextObservations.subarray(i * S, i * S + S);
    const h = ds.h[i];
    const v2 = groundTruthDiscounted(o2[0], o2[1], o2[2], Math.atan2(o2[4], o2[3]), discount);
    y[i] = ds.terminals[i] > 0 || ds.timeouts[i] > 0 ? h : (1 - discount) * h + discount * Math.max(h, v2);
  }
}
let pos = 0;
for (let i = 0; i < N; i++) if (y[i] > 0) pos++;
console.log(JSON.stringify({ seed, preset, label, states: statesFrom, hidden, iters, tau, discount, lr: cfg.criticLr, batch: cfg.criticBatchSize, N, infeasibleShare: +(pos / N).toFixed(3) }));

const rng = new Rng(seed);
const net = new MLP({ inputSize: S, hiddenSizes: hidden, outputSize: 1, activation: 'relu', init: 'xavier', rng });
const adam = new Adam(net.parameters(), { lr: cfg.criticLr });
const B = cfg.criticBatchSize;
const bx = new Float32Array(B * S), by = new Float32Array(B);
const value = (o: Float32Array) => tidy(() => noGrad(() => Float32Array.from(net.forward(tensor(o, { shape: [o.length / S, S] })).dataSync())));
const [fx, fy, fv, fth] = POINT_ROBOT.fixedStart;
for (let it = 1; it <= iters; it++) {
  for (let b = 0; b < B; b++) {
    const i = rng.int(N);
    bx.set(obs.subarray(i * S, i * S + S), b * S);
    by[b] = y[i];
  }
  tidy(() => {
    adam.zeroGrad();
    const pred = net.forward(tensor(bx, { shape: [B, S] })).reshape([-1]);
    const d = tensor(by, { shape: [B] }).sub(pred);
    const loss = (label === 'expectile' ? reversedExpectile(d, tau) : d.square()).mean();
    loss.backward();
    adam.step();
  });
  if (it % every === 0) {
    const ious = PAPER_SLICES.map((sl) => evaluateSlice(value, sl).iou);
    const fixed = value(pointRobotObservation(fx, fy, fv, fth))[0];
    console.log(JSON.stringify({ seed, label, tau: label === 'expectile' ? tau : undefined, states: statesFrom, hidden, step: it, iou: ious.map((q) => +q.toFixed(3)), min: +Math.min(...ious).toFixed(3), fixedStart: +fixed.toFixed(3) }));
  }
}
process.exit(0);
