/**
 * Writes fisor-pointrobot-mini.hdf5: a tiny file in FISOR's published PointRobot layout (state, action,
 * next_state, reward, done, h, cost; h stored N x 1, done as uint8) from 3 short PointRobot episodes with
 * seeded random actions. Run: npx tsx test/data/filter_fixtures/make_fisor_fixture.ts (output is committed).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { Rng } from '../../../core/rng.js';
import { PointRobot } from '../../../rl/envs/point_robot.js';

export async function writeFisorLayout(path: string, cols: Record<string, { data: Float32Array | Uint8Array; shape: number[]; dtype: string }>): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  for (const [name, c] of Object.entries(cols)) f.create_dataset({ name, data: c.data, shape: c.shape, dtype: c.dtype });
  f.close();
}

/** 3 episodes of at most 8 steps from seeded random starts; done = 1 on each episode's last row. */
export function fisorFixtureColumns() {
  const rng = new Rng(7);
  const env = new PointRobot();
  const S: number[] = [], A: number[] = [], S2: number[] = [], R: number[] = [], D: number[] = [], H: number[] = [], C: number[] = [];
  for (let e = 0; e < 3; e++) {
    let obs = env.reset({ seed: 100 + e });
    for (let t = 0; t < 8; t++) {
      const a = [rng.uniformRange(-1, 1), rng.uniformRange(-1, 1)];
      const r = env.step(a);
      S.push(...obs); A.push(...a); S2.push(...r.observation); R.push(r.reward); H.push(r.info.h!); C.push(r.cost);
      const end = r.terminated || r.truncated || t === 7;
      D.push(end ? 1 : 0);
      obs = r.observation;
      if (end) break;
    }
  }
  const N = R.length;
  return {
    state: { data: Float32Array.from(S), shape: [N, 11], dtype: '<f' },
    action: { data: Float32Array.from(A), shape: [N, 2], dtype: '<f' },
    next_state: { data: Float32Array.from(S2), shape: [N, 11], dtype: '<f' },
    reward: { data: Float32Array.from(R), shape: [N], dtype: '<f' },
    done: { data: Uint8Array.from(D), shape: [N], dtype: '<B' },
    h: { data: Float32Array.from(H), shape: [N, 1], dtype: '<f' },
    cost: { data: Float32Array.from(C), shape: [N], dtype: '<f' },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = join(fileURLToPath(new URL('.', import.meta.url)), 'fisor-pointrobot-mini.hdf5');
  await writeFisorLayout(out, fisorFixtureColumns());
  console.log(`wrote ${out}`);
}
