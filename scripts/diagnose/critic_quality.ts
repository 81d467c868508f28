/**
 * Critic quality of a checkpoint, without the actor: convergence measures on held-out data and, for
 * PointRobot, IoU per slice and Q_h of hand-picked actions at the fixed start.
 * npx tsx scripts/diagnose/critic_quality.ts RUNDIR
 */
import { noGrad, tensor, tidy } from '../../core/index.js';
import { collect } from '../../rl/data/collect.js';
import { prepareData } from '../../rl/fisor/data.js';
import { loadAgent } from '../../rl/fisor/train.js';
import { makeConvergenceProbe } from '../../rl/fisor/convergence.js';
import { evaluateSlice, PAPER_SLICES } from '../../rl/plot/feasible.js';
import { POINT_ROBOT, pointRobotObservation, isFeasibleState } from '../../rl/envs/point_robot.js';

const { agent, meta, step } = await loadAgent(process.argv[2]);
const task = meta.task;
const data = prepareData(collect(task, { seed: 0, recipe: meta.config.dataRecipe }), task, meta.config);
const m = makeConvergenceProbe(task, meta.config, data).measure(agent);
console.log(`${task} step ${step}: ${JSON.stringify(m)}`);
if (task === 'PointRobot') {
  const ious = PAPER_SLICES.map((s) => evaluateSlice((o) => agent.feasibilityValue(o), s).iou.toFixed(3));
  console.log(`IoU per slice ${ious.join(' ')}`);
  const [x, y, v, th] = POINT_ROBOT.fixedStart;
  const o = pointRobotObservation(x, y, v, th);
  console.log(`fixed start: ground truth feasible ${isFeasibleState(x, y, v, th)}, V_h ${agent.feasibilityValue(o)[0].toFixed(3)}`);
  const acts: [string, number, number][] = [['brake+left', -1, 1], ['brake+right', -1, -1], ['brake', -1, 0], ['coast', 0, 0], ['accel+left', 1, 1], ['left', 0, 1], ['right', 0, -1]];
  const qs = tidy(() => noGrad(() => {
    const s = tensor(new Float32Array(acts.flatMap(() => Array.from(o))), { shape: [acts.length, 11] });
    const a = tensor(new Float32Array(acts.flatMap(([, a0, a1]) => [a0, a1])), { shape: [acts.length, 2] });
    return Float32Array.from(agent.targetQh(s, a).dataSync());
  }));
  console.log(acts.map(([n], i) => `${n} ${qs[i].toFixed(3)}`).join(', '));
  // feasible random starts: fraction judged feasible
  let n = 0, ok = 0;
  for (let i = 0; i < 2000; i++) {
    const sx = -3 + 6 * ((i * 0.618034) % 1), sy = -3 + 6 * ((i * 0.414214) % 1), sv = 0.5 + 1.5 * ((i * 0.732051) % 1), st = Math.PI / 4 + (Math.PI / 2) * ((i * 0.236068) % 1);
    const truth = isFeasibleState(sx, sy, sv, st);
    const vh = agent.feasibilityValue(pointRobotObservation(sx, sy, sv, st))[0];
    n++;
    if (truth === vh <= 0) ok++;
  }
  console.log(`agreement with ground truth over 2000 reset-distribution states: ${(ok / n).toFixed(3)}`);
}
