/**
 * Take a checkpoint's critics as they are, train only the actor for ACTOR_STEPS (critics frozen, as in the
 * critics-first schedule), then evaluate with the safety monitor (PointRobot: fixed start and
 * ground-truth-feasible random starts too).
 * npx tsx scripts/diagnose/actor_phase.ts RUNDIR ACTOR_STEPS [EPISODES]
 */
import { Rng } from '../../core/index.js';
import { collect } from '../../rl/data/collect.js';
import { allocFisorBatch, prepareData, sampleBatch } from '../../rl/fisor/data.js';
import { loadAgent } from '../../rl/fisor/train.js';
import { evaluate } from '../../rl/fisor/evaluate.js';
import { VALIDATION_EVAL_SEED, feasibleStarts } from '../../rl/fisor/starts.js';

const { agent, meta } = await loadAgent(process.argv[2]);
const K = Number(process.argv[3]);
const E = Number(process.argv[4] ?? 20);
const task = meta.task;
const cfg = { ...meta.config, schedule: 'critics-first' as const, criticSteps: 1 << 30 };
const data = prepareData(collect(task, { seed: 0, recipe: cfg.dataRecipe }), task, cfg);
const rng = new Rng(77);
const b = allocFisorBatch(data, cfg.batchSize);
const t0 = performance.now();
for (let k = 0; k < K; k++) {
  sampleBatch(data, rng, b);
  // step >= criticSteps of the checkpoint's config: the actor phase.
  agent.update(b, meta.config.schedule === 'critics-first' ? meta.config.criticSteps + k : 0);
}
console.log(`actor ${K} steps in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const show = (name: string, e: ReturnType<typeof evaluate>) => console.log(`${name}: normR ${e.normalizedReward.toFixed(3)} normC ${e.normalizedCost.toFixed(3)} safe ${e.safeFraction.toFixed(2)} monitor ${JSON.stringify({ ...e.monitor, traces: undefined })}`);
show('random starts', evaluate(agent, task, { episodes: E, seed: VALIDATION_EVAL_SEED, monitor: true }));
if (task === 'PointRobot') {
  show('fixed start', evaluate(agent, task, { episodes: 5, seed: VALIDATION_EVAL_SEED, fixedStart: true, monitor: true }));
  const starts = feasibleStarts(60);
  show('60 feasible starts', evaluate(agent, task, { episodes: 60, seed: VALIDATION_EVAL_SEED, starts, monitor: true }));
}
