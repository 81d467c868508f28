/** Roll out a trained agent and print per-episode behaviour stats. npx tsx scripts/diagnose/rollout_check.ts OUTDIR [N] [--fixed] */
import { Rng, tensor, noGrad, tidy } from '../../core/index.js';
import { loadAgent } from '../../rl/fisor/train.js';
import { makeEnv } from '../../rl/envs/registry.js';
import { ddpmSample } from '../../diffusion/index.js';
import type { BulletTaskEnv } from '../../rl/envs/bullet.js';

const out = process.argv[2];
const N = Number(process.argv[3] ?? 16);
const { agent, meta } = await loadAgent(out);
const task = meta.task;
const S = agent.obsDim, A = agent.actDim;
const rng = new Rng(11);
for (let ep = 0; ep < Number(process.env.EPS ?? 6); ep++) {
  const env = makeEnv(task, { fixedStart: process.argv.includes('--fixed') });
  let obs = env.reset({ seed: rng.nextU32() });
  let cost = 0, ret = 0, rsum = 0, spd = 0, spread = 0, vhs: number[] = [], qsel = 0, qmean = 0, n = 0, firstViol = -1;
  for (let t = 0; t < env.maxEpisodeSteps; t++) {
    const rep = new Float32Array(N * S); for (let j = 0; j < N; j++) rep.set(obs, j * S);
    const { a, qc, vh } = tidy(() => noGrad(() => {
      const s = tensor(rep, { shape: [N, S] });
      const a = ddpmSample(agent.actorEma, agent.schedule, s, A, rng, { clip: true });
      return { a: Float32Array.from(a.dataSync()), qc: Float32Array.from(agent.targetQh(s, a).dataSync()), vh: agent.vh.forward(s.slice([0, 0], [1, S])).item() };
    }));
    let best = 0, mx = -Infinity, mean = 0; for (let j = 0; j < N; j++) { if (qc[j] < qc[best]) best = j; mx = Math.max(mx, qc[j]); mean += qc[j] / N; }
    spread += mx - qc[best]; qsel += qc[best]; qmean += mean; vhs.push(vh);
    if (process.argv.includes('--verbose') && ep === 0 && t < 25) {
      const st = (env as unknown as { state?: number[] }).state;
      let brake = 0; for (let j = 0; j < N; j++) if (a[j * A] < a[brake * A]) brake = j;
      console.log(`  t ${t} state ${st ? Array.from(st).map((x) => x.toFixed(2)).join(',') : ''} Vh ${vh.toFixed(3)} chosen a [${a[best * A].toFixed(2)},${a[best * A + 1].toFixed(2)}] Qh ${qc[best].toFixed(3)} max ${mx.toFixed(3)} | hardest-brake cand a0 ${a[brake * A].toFixed(2)} Qh ${qc[brake].toFixed(3)}`);
    }
    const r = env.step(a.subarray(best * A, best * A + A));
    cost += r.cost; ret += r.reward; n++;
    if (r.cost > 0 && firstViol < 0) firstViol = t;
    const e = env as unknown as BulletTaskEnv;
    if (e.x !== undefined) { rsum += Math.hypot(e.x, e.y); spd += Math.hypot(e.vx, e.vy); }
    obs = r.observation;
    if (r.terminated || r.truncated) break;
  }
  const vpre = firstViol > 0 ? vhs.slice(Math.max(0, firstViol - 10), firstViol).map((x) => x.toFixed(1)).join(',') : '';
  console.log(`ep ${ep}: ret ${ret.toFixed(1)} cost ${cost} len ${n} meanR ${(rsum / n).toFixed(2)} meanSpeed ${(spd / n).toFixed(2)} Qh spread ${(spread / n).toFixed(2)} sel ${(qsel / n).toFixed(2)} mean ${(qmean / n).toFixed(2)} Vh(start) ${vhs[0].toFixed(2)} firstViol ${firstViol} Vh before: [${vpre}]`);
}
