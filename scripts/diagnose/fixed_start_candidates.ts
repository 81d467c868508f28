/**
 * What the actor proposes at PointRobot's fixed start, and what the critics make of it: 256 candidates from
 * the EMA actor, the fraction near each corner of the action box, their Q_h; then the fixed-start evaluation
 * with several candidate counts N. npx tsx scripts/diagnose/fixed_start_candidates.ts RUNDIR [N1,N2,...]
 */
import { Rng, noGrad, tensor, tidy } from '../../core/index.js';
import { ddpmSample } from '../../diffusion/index.js';
import { loadAgent } from '../../rl/fisor/train.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { POINT_ROBOT, pointRobotObservation } from '../../rl/envs/point_robot.js';

const { agent } = await loadAgent(process.argv[2]);
const [x, y, v, th] = POINT_ROBOT.fixedStart;
const o = pointRobotObservation(x, y, v, th);
const K = 256;
const { a, q } = tidy(() => noGrad(() => {
  const s = tensor(new Float32Array(K * 11).map((_, i) => o[i % 11]), { shape: [K, 11] });
  const a = ddpmSample(agent.actorEma, agent.schedule, s, 2, new Rng(9), { clip: true });
  return { a: Float32Array.from(a.dataSync()), q: Float32Array.from(agent.targetQh(s, a).dataSync()) };
}));
let brakeLeft = 0, brakeRight = 0, brake = 0, minQ = Infinity, best = 0;
for (let k = 0; k < K; k++) {
  if (a[2 * k] < -0.5) brake++;
  if (a[2 * k] < -0.5 && a[2 * k + 1] > 0.5) brakeLeft++;
  if (a[2 * k] < -0.5 && a[2 * k + 1] < -0.5) brakeRight++;
  if (q[k] < minQ) { minQ = q[k]; best = k; }
}
console.log(`fixed start, ${K} actor candidates: brake (a0 < -0.5) ${brake}, brake+left (a1 > 0.5) ${brakeLeft}, brake+right ${brakeRight}; mean a = [${(a.filter((_, i) => i % 2 === 0).reduce((s, v) => s + v, 0) / K).toFixed(2)}, ${(a.filter((_, i) => i % 2 === 1).reduce((s, v) => s + v, 0) / K).toFixed(2)}]; safest by Q_h: a = [${a[2 * best].toFixed(2)}, ${a[2 * best + 1].toFixed(2)}] Q_h ${minQ.toFixed(3)}`);
for (const n of (process.argv[3] ?? '8,32').split(',').map(Number)) {
  const e = evaluate(agent, 'PointRobot', { episodes: 20, seed: 1001, fixedStart: true, numSamples: n, monitor: true });
  console.log(`N=${n}: fixed start cost ${e.normalizedCost.toFixed(3)}, episodes safe ${(100 * e.safeFraction).toFixed(0)}%, reward ${e.normalizedReward.toFixed(3)}; root causes ${JSON.stringify(e.monitor!.rootCause)}`);
}
