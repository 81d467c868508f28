import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../rl/data/collect.js';
import { emptyDataset, splitTrajectories } from '../../rl/data/dataset.js';
import { h5ready, readDsrlHdf5, writeDsrlHdf5 } from '../../rl/data/hdf5.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fisor-h5-'));
  await h5ready();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bits = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Write raw keys with h5wasm (to build corrupt files). */
function writeRaw(path: string, keys: Record<string, { data: Float32Array | Uint8Array; shape: number[] }>): void {
  const f = new h5wasm.File(path, 'w');
  for (const [name, { data, shape }] of Object.entries(keys)) f.create_dataset({ name, data, shape, dtype: data instanceof Uint8Array ? '<B' : '<f' });
  f.close();
}

function validKeys(N = 10, O = 3, A = 2): Record<string, { data: Float32Array | Uint8Array; shape: number[] }> {
  const term = new Uint8Array(N);
  term[N - 1] = 1;
  return {
    observations: { data: new Float32Array(N * O).fill(0.5), shape: [N, O] },
    next_observations: { data: new Float32Array(N * O).fill(0.25), shape: [N, O] },
    actions: { data: new Float32Array(N * A).fill(-0.5), shape: [N, A] },
    rewards: { data: new Float32Array(N).fill(1), shape: [N] },
    costs: { data: new Float32Array(N), shape: [N] },
    terminals: { data: term, shape: [N] },
    timeouts: { data: new Uint8Array(N), shape: [N] },
  };
}

describe('DSRL HDF5', () => {
  it('round trip is bit-exact (with h) and leaves no temp files', async () => {
    const ds = collect('PointRobot', { seed: 4, transitions: 3000 });
    const p = join(dir, 'rt.hdf5');
    await writeDsrlHdf5(p, ds, { attrs: { task: 'PointRobot' } });
    const back = await readDsrlHdf5(p);
    expect(back.size).toBe(ds.size);
    expect(back.observationSize).toBe(11);
    expect(back.actionSize).toBe(2);
    for (const k of ['observations', 'nextObservations', 'actions', 'rewards', 'costs', 'terminals', 'timeouts', 'h'] as const) {
      expect(bits(back[k]!).equals(bits(ds[k]!)), k).toBe(true);
    }
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    // on-disk dtypes and shapes as DSRL expects
    const f = new h5wasm.File(p, 'r');
    const obs = f.get('observations') as InstanceType<typeof h5wasm.Dataset>;
    expect(obs.shape).toEqual([3000, 11]);
    expect(obs.dtype).toBe('<f');
    expect((f.get('rewards') as InstanceType<typeof h5wasm.Dataset>).shape).toEqual([3000]);
    expect((f.get('terminals') as InstanceType<typeof h5wasm.Dataset>).dtype).toBe('<B');
    f.close();
  });
  it('loads an h5py-written DSRL-layout file as-is (bool flags, gzip)', async () => {
    const ds = await readDsrlHdf5(new URL('./fixtures/dsrl-mini.hdf5', import.meta.url).pathname);
    expect(ds.size).toBe(12);
    expect(ds.observationSize).toBe(8);
    expect(ds.actionSize).toBe(2);
    expect(ds.terminals[4]).toBe(1);
    expect(ds.timeouts[11]).toBe(1);
    expect(splitTrajectories(ds).length).toBe(2);
    expect(ds.h).toBeUndefined();
  });
  it('overwrites an existing file atomically', async () => {
    const p = join(dir, 'ow.hdf5');
    await writeDsrlHdf5(p, collect('BallRun', { seed: 1, episodes: 1 }));
    await writeDsrlHdf5(p, collect('BallRun', { seed: 2, episodes: 2 }));
    expect((await readDsrlHdf5(p)).size).toBe(200);
  });

  const corrupt: [string, (k: ReturnType<typeof validKeys>) => void, RegExp][] = [
    ['missing key', (k) => delete (k as Record<string, unknown>).costs, /missing key 'costs'/],
    ['length mismatch', (k) => (k.rewards = { data: new Float32Array(9), shape: [9] }), /'rewards' has 9 rows.*10/],
    ['NaN', (k) => (k.next_observations.data[3 * 6 + 1] = NaN), /'next_observations' row 6: non-finite/],
    ['actions out of range', (k) => (k.actions.data[2 * 4] = 1.01), /'actions' row 4: value .* outside \[-1, 1\]/],
    ['terminal not 0/1', (k) => (k.terminals.data[2] = 2), /'terminals' row 2/],
    // a 1-D or 0-wide vector key was read as dim 1 / 0; an empty file as a 0-row dataset
    ['1-D observations', (k) => {
      k.observations = { data: new Float32Array(10), shape: [10] };
      k.next_observations = { data: new Float32Array(10), shape: [10] };
    }, /'observations' has shape \[10\], expected 2-D/],
    ['1-D actions', (k) => (k.actions = { data: new Float32Array(10), shape: [10] }), /'actions' has shape \[10\], expected 2-D/],
    ['0-wide actions', (k) => (k.actions = { data: new Float32Array(0), shape: [10, 0] }), /'actions' has shape \[10,0\], expected 2-D \(N x dim, dim >= 1\)/],
    ['no rows', (k) => {
      for (const [name, c] of Object.entries(k)) k[name] = { data: c.data.slice(0, 0), shape: [0, ...c.shape.slice(1)] };
    }, /'observations' has 0 rows: the file holds no transitions/],
  ];
  it.each(corrupt)('rejects %s naming the key and row', async (name, mutate, re) => {
    const keys = validKeys();
    mutate(keys);
    const p = join(dir, `${name.replace(/\W/g, '_')}.hdf5`);
    writeRaw(p, keys);
    await expect(readDsrlHdf5(p)).rejects.toThrow(re);
    await expect(readDsrlHdf5(p)).rejects.toThrow(p);
  });
  it('rejects a truncated file naming it', async () => {
    const p = join(dir, 'trunc.hdf5');
    await writeDsrlHdf5(p, collect('CarRun', { seed: 0, episodes: 2 }));
    const size = readFileSync(p).length;
    truncateSync(p, Math.floor(size / 2));
    await expect(readDsrlHdf5(p)).rejects.toThrow(new RegExp(`trunc\\.hdf5.*(truncated|corrupt)`));
  });
  it('rejects a non-HDF5 file and a missing file naming them', async () => {
    const p = join(dir, 'text.hdf5');
    writeFileSync(p, 'hello, not hdf5\n'.repeat(100));
    await expect(readDsrlHdf5(p)).rejects.toThrow(/text\.hdf5: not an HDF5 file/);
    await expect(readDsrlHdf5(join(dir, 'none.hdf5'))).rejects.toThrow(/none\.hdf5: no such file/);
  });
  it('refuses to write invalid data and leaves no file', async () => {
    const ds = collect('BallRun', { seed: 1, episodes: 1 });
    ds.actions[0] = 3;
    const p = join(dir, 'bad-write.hdf5');
    await expect(writeDsrlHdf5(p, ds)).rejects.toThrow(/'actions' row 0/);
    expect(readdirSync(dir).some((n) => n.includes('bad-write'))).toBe(false);
  });

  it('a string-typed key is reported by its type, not as a non-finite number', async () => {
    const p = join(dir, 'strings.hdf5');
    const f = new h5wasm.File(p, 'w');
    const keys = validKeys();
    for (const [name, { data, shape }] of Object.entries(keys)) {
      if (name === 'rewards') f.create_dataset({ name, data: Array.from({ length: 10 }, () => 'x'), shape: [10] });
      else f.create_dataset({ name, data, shape, dtype: data instanceof Uint8Array ? '<B' : '<f' });
    }
    f.close();
    await expect(readDsrlHdf5(p)).rejects.toThrow(/strings\.hdf5: key 'rewards' has HDF5 type string .*expected numbers/);
  });

  it("root attributes are read (a file's task)", async () => {
    const p = join(dir, 'attrs.hdf5');
    await writeDsrlHdf5(p, collect('BallRun', { episodes: 1, seed: 2 }), { attrs: { task: 'BallRun', seed: 2 } });
    expect((await readDsrlHdf5(p)).attrs).toEqual({ task: 'BallRun', seed: 2 });
  });

  it('a group in place of a key is named as a group, not as a corrupt file', async () => {
    const p = join(dir, 'group.hdf5');
    const f = new h5wasm.File(p, 'w');
    for (const [name, { data, shape }] of Object.entries(validKeys())) {
      if (name === 'costs') f.create_group('costs');
      else f.create_dataset({ name, data, shape, dtype: data instanceof Uint8Array ? '<B' : '<f' });
    }
    f.close();
    await expect(readDsrlHdf5(p)).rejects.toThrow(/group\.hdf5: key 'costs' is an HDF5 group, expected a numeric dataset/);
  });

  it('a float64 value beyond float32 range is named as too large, not as non-finite', async () => {
    const p = join(dir, 'f64big.hdf5');
    const f = new h5wasm.File(p, 'w');
    for (const [name, { data, shape }] of Object.entries(validKeys())) {
      if (name !== 'rewards') f.create_dataset({ name, data, shape, dtype: data instanceof Uint8Array ? '<B' : '<f' });
    }
    const r = new Float64Array(10).fill(1);
    r[3] = 1e300;
    f.create_dataset({ name: 'rewards', data: r, shape: [10], dtype: '<d' });
    f.close();
    await expect(readDsrlHdf5(p)).rejects.toThrow(/f64big\.hdf5: key 'rewards' row 3: value 1e\+300 exceeds the bound 1000000/);
  });

  it('number attributes outside int32 round-trip (a 32-bit seed is not wrapped)', async () => {
    const p = join(dir, 'attrs-big.hdf5');
    const attrs = { task: 'BallRun', seed: 3_000_000_000, maxSeed: 4294967295, small: -7, frac: 0.25, huge: 1e300, safe: 2 ** 53 - 1 };
    await writeDsrlHdf5(p, collect('BallRun', { episodes: 1, seed: 2 }), { attrs });
    expect((await readDsrlHdf5(p)).attrs).toEqual(attrs);
    // int32-range integers keep their int32 type (files as before)
    const f = new h5wasm.File(p, 'r');
    expect(f.attrs.small.dtype).toBe('<i');
    f.close();
  });

  it('refuses to write a 0-wide observation or action (a file it could not read back), writing nothing', async () => {
    const ds = emptyDataset(5, 0, 2);
    ds.timeouts[4] = 1;
    const p = join(dir, 'zero-wide.hdf5');
    await expect(writeDsrlHdf5(p, ds)).rejects.toThrow(/observationSize and actionSize must be >= 1, got 0 and 2/);
    expect(readdirSync(dir).some((n) => n.includes('zero-wide'))).toBe(false);
  });

  it('refuses a compression level that is not a gzip level, writing nothing', async () => {
    const ds = collect('BallRun', { episodes: 1, seed: 2 });
    for (const c of [-1, 4.5, 10]) {
      const p = join(dir, `comp-${c}.hdf5`);
      await expect(writeDsrlHdf5(p, ds, { compression: c })).rejects.toThrow(`compression must be a gzip level, an integer in [0, 9], got ${c}`);
      expect(readdirSync(dir).some((n) => n.includes(`comp-${c}`))).toBe(false);
    }
  });

  it('huge and negative values in a file name the key and row', async () => {
    const big = validKeys();
    (big.observations.data as Float32Array)[4 * 3 + 1] = 1e12;
    writeRaw(join(dir, 'big.hdf5'), big);
    await expect(readDsrlHdf5(join(dir, 'big.hdf5'))).rejects.toThrow(/big\.hdf5: key 'observations' row 4 column 1: value .* exceeds the bound 1000000/);
    const neg = validKeys();
    (neg.costs.data as Float32Array)[2] = -3;
    writeRaw(join(dir, 'neg.hdf5'), neg);
    await expect(readDsrlHdf5(join(dir, 'neg.hdf5'))).rejects.toThrow(/neg\.hdf5: key 'costs' row 2: negative cost -3/);
  });
});
