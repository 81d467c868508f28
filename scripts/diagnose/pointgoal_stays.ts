/**
 * PointGoal1: what a trained agent does while inside a hazard. Rolls out EPISODES episodes (evaluation seed 7,
 * the agent's own N = 16 candidates and its acting rule, violatingChoice included) and prints every stay of 15
 * or more steps inside a hazard: its length, the agent's speed, the executed action and the candidates' Q_h
 * range there.
 *   npx tsx scripts/diagnose/pointgoal_stays.ts RUNDIR [EPISODES]
 */
import { loadAgent } from '../../rl/fisor/train.js';
import { PointGoal1 } from '../../rl/envs/point_goal.js';
import { violatedFlag } from '../../rl/envs/types.js';
import { Rng } from '../../core/index.js';
const { agent } = await loadAgent(process.argv[2]);
const EPS = Number(process.argv[3] ?? 20);
const rng = new Rng(7);
const N = 16;
for (let ep = 0; ep < EPS; ep++) {
  const env = new PointGoal1({});
  let obs = env.reset({ seed: rng.nextU32() });
  let seg: { spd: number; a0: number; a1: number; minQh: number; maxQh: number; dist: number }[] = [];
  let total = 0;
  const flush = () => {
    if (seg.length >= 15) {
      const m = (f: (x: typeof seg[0]) => number) => (seg.reduce((s, x) => s + f(x), 0) / seg.length).toFixed(2);
      console.log(`ep ${ep} inside ${seg.length} steps: speed ${m((x) => x.spd)} chosen a0 ${m((x) => x.a0)} a1 ${m((x) => x.a1)} Qh min ${m((x) => x.minQh)} max ${m((x) => x.maxQh)} distance to the hazard centre ${m((x) => x.dist)} m`);
    }
    seg = [];
  };
  let lastCost = 0;
  for (let t = 0; t < 1000; t++) {
    // The last step's cost as the violating flag, as evaluate passes it (config violatingChoice).
    const r0 = agent.actWithCandidates(obs, N, Uint8Array.of(violatedFlag(lastCost)));
    const r = env.step(r0.actions);
    lastCost = r.cost;
    total += r.cost;
    if (r.cost > 0) {
      let mn = Infinity, mx = -Infinity; for (const q of r0.candidateQh) { mn = Math.min(mn, q); mx = Math.max(mx, q); }
      seg.push({ spd: Math.hypot(env.vx, env.vy), a0: r0.actions[0], a1: r0.actions[1], minQh: mn, maxQh: mx, dist: 0.2 - (r.info.h as number) });
    } else flush();
    obs = r.observation;
  }
  flush();
  console.log(`ep ${ep}: cost ${total} goals ${env.goalsReached}`);
}
