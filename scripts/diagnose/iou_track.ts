/**
 * PointRobot: the IoU per slice of V_h and V_h at the fixed start every 2000 critic iterations of the critic phase
 * (safe3 preset, critics-first; the actor is never trained). npx tsx scripts/diagnose/iou_track.ts SEED OUTDIR [--set k=v ...]
 */
import { collect } from '../../rl/data/collect.js';
import { resolveConfig } from '../../rl/fisor/config.js';
import { train } from '../../rl/fisor/train.js';
import { evaluateSlice, PAPER_SLICES } from '../../rl/plot/feasible.js';
import { POINT_ROBOT, pointRobotObservation } from '../../rl/envs/point_robot.js';
const [seedArg, out] = process.argv.slice(2, 4);
const sets: string[] = [];
for (let i = 0; i < process.argv.length; i++) if (process.argv[i] === '--set') sets.push(process.argv[i + 1]);
const cfg = resolveConfig({ preset: 'safe3', task: 'PointRobot', set: sets, overrides: { evalEvery: 0 } });
const T = cfg.criticSteps;
const ds = collect('PointRobot', { seed: 0, recipe: cfg.dataRecipe });
const [x, y, v, th] = POINT_ROBOT.fixedStart;
await train({ task: 'PointRobot', config: { ...cfg, steps: T + 1, checkpointEvery: 0, convergenceEvery: 0 }, seed: Number(seedArg), outDir: out, dataset: ds, overwrite: true, skipFinalEval: true, stopAt: T,
  onStep: (s, _t, agent) => {
    if (s % 2000 !== 0) return;
    const ious = PAPER_SLICES.map((sl) => evaluateSlice((o) => agent.feasibilityValue(o), sl).iou);
    console.log(JSON.stringify({ seed: Number(seedArg), sets, step: s, iou: ious.map((q) => +q.toFixed(3)), min: +Math.min(...ious).toFixed(3), vhFixed: +agent.feasibilityValue(pointRobotObservation(x, y, v, th))[0].toFixed(3) }));
  } });
