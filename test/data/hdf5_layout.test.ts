/**
 * What a write-then-read round trip cannot pin in rl/data/hdf5.ts (a mutation audit): a key written and read under
 * the same wrong name passes it. Here the writer is checked by reading its file with h5wasm directly, key by key, and
 * the reader on a file written by h5py (test/data/fixtures/make_dsrl_fixture.py: next_observations = observations
 * shifted by one row, costs 0/1, rewards N(0, 1), actions U(-1, 1)). Also the int32 / float64 choice for number
 * attributes at the int32 bounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyDataset } from '../../rl/data/dataset.js';
import { h5ready, readDsrlHdf5, writeDsrlHdf5 } from '../../rl/data/hdf5.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fisor-h5-layout-'));
  await h5ready();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DSRL HDF5 layout, checked without our own reader', () => {
  it('each key of a written file holds its own column, with its shape and dtype', async () => {
    const N = 5, O = 3, A = 2;
    const ds = emptyDataset(N, O, A, true);
    for (let i = 0; i < N * O; i++) {
      ds.observations[i] = i + 0.5;
      ds.nextObservations[i] = -i - 0.25;
    }
    for (let i = 0; i < N * A; i++) ds.actions[i] = i / (N * A);
    for (let i = 0; i < N; i++) {
      ds.rewards[i] = 100 + i;
      ds.costs[i] = 2 * i;
      ds.h![i] = -3 - i;
    }
    ds.terminals[1] = 1;
    ds.timeouts[4] = 1;
    const p = join(dir, 'layout.hdf5');
    await writeDsrlHdf5(p, ds);
    const f = new h5wasm.File(p, 'r');
    try {
      const key = (k: string) => f.get(k) as InstanceType<typeof h5wasm.Dataset>;
      const expected: [string, ArrayLike<number>, number[], string][] = [
        ['observations', ds.observations, [N, O], '<f'],
        ['next_observations', ds.nextObservations, [N, O], '<f'],
        ['actions', ds.actions, [N, A], '<f'],
        ['rewards', ds.rewards, [N], '<f'],
        ['costs', ds.costs, [N], '<f'],
        ['terminals', [0, 1, 0, 0, 0], [N], '<B'],
        ['timeouts', [0, 0, 0, 0, 1], [N], '<B'],
        ['h', ds.h!, [N], '<f'],
      ];
      for (const [k, values, shape, dtype] of expected) {
        const d = key(k);
        expect([d.shape, d.dtype], k).toEqual([shape, dtype]);
        expect(Array.from(d.value as ArrayLike<number>), k).toEqual(Array.from(values));
      }
    } finally {
      f.close();
    }
  });

  it("reads an h5py file's keys as DSRL's: next_observations[i] = observations[i + 1], costs 0/1, rewards and actions their own", async () => {
    const ds = await readDsrlHdf5(new URL('./fixtures/dsrl-mini.hdf5', import.meta.url).pathname);
    const O = ds.observationSize;
    for (let i = 0; i + 1 < ds.size; i++) {
      expect(Array.from(ds.nextObservations.subarray(i * O, i * O + O))).toEqual(Array.from(ds.observations.subarray((i + 1) * O, (i + 2) * O)));
    }
    expect(Array.from(ds.observations.subarray(0, O))).not.toEqual(Array.from(ds.nextObservations.subarray(0, O)));
    expect(ds.costs.every((c) => c === 0 || c === 1)).toBe(true);
    expect(ds.rewards.some((r) => r < 0)).toBe(true);
    expect(ds.rewards.some((r) => r !== 0 && r !== 1)).toBe(true);
    expect(ds.actions.some((a) => a < 0) && ds.actions.some((a) => a > 0)).toBe(true);
    expect(Array.from(ds.terminals).map((v, i) => [i, v]).filter(([, v]) => v)).toEqual([[4, 1]]);
    expect(Array.from(ds.timeouts).map((v, i) => [i, v]).filter(([, v]) => v)).toEqual([[11, 1]]);
  });

  it('number attributes at the int32 bounds: -2^31 and 2^31 - 1 stay int32, -2^31 - 1, 2^31 and -0 become float64', async () => {
    const ds = emptyDataset(2, 1, 1);
    ds.timeouts[1] = 1;
    const attrs = { lo: -(2 ** 31), hi: 2 ** 31 - 1, below: -(2 ** 31) - 1, above: 2 ** 31, negZero: -0 };
    const p = join(dir, 'attr-bounds.hdf5');
    await writeDsrlHdf5(p, ds, { attrs });
    const back = (await readDsrlHdf5(p)).attrs!;
    expect([back.lo, back.hi, back.below, back.above]).toEqual([attrs.lo, attrs.hi, attrs.below, attrs.above]);
    expect(Object.is(back.negZero, -0)).toBe(true);
    const f = new h5wasm.File(p, 'r');
    try {
      expect(['lo', 'hi', 'below', 'above', 'negZero'].map((k) => f.attrs[k].dtype)).toEqual(['<i', '<i', '<d', '<d', '<d']);
    } finally {
      f.close();
    }
  });
});
