import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, randn, tensor, Tensor } from '../../core/index.js';
import {
  Adam, checkpointFromArrayBuffer, checkpointToArrayBuffer, EnsembleMLP, loadCheckpoint, MLP, restoreState,
  saveCheckpoint, stateOf, type LoadedCheckpoint,
} from '../../nn/index.js';

const root = mkdtempSync(join(tmpdir(), 'nn-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `c${n++}`);

function makeNet(seed: number, dtype: 'float32' | 'float64' = 'float32') {
  return new MLP({ inputSize: 3, hiddenSizes: [5], outputSize: 2, layerNorm: true, init: 'torch', rng: new Rng(seed), dtype });
}

function snapshot(net: MLP): number[][] {
  return net.parameters().map((p) => p.toFlatArray());
}

function bitsEqual(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  const ua = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const ub = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return ua.every((v, i) => v === ub[i]);
}

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (e) {
    return (e as Error).message;
  }
  return '(no error)';
}

describe('checkpoints: round trip', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`directory round trip is bit-exact (${dtype}), with step and metadata`, async () => {
      const net = makeNet(1, dtype);
      const special = tensor([0, -0, 1e-300, Number.MAX_VALUE, NaN, Infinity, 1 / 3], { dtype }).keep();
      const dir = fresh();
      await saveCheckpoint(dir, { tensors: { ...stateOf('actor', net), special }, step: 1234, metadata: { env: 'PointRobot', seed: 7 } });
      const got = await loadCheckpoint(dir);
      expect(got.step).toBe(1234);
      expect(got.metadata).toEqual({ env: 'PointRobot', seed: 7 });
      expect(got.shapes['actor.layers.0.weight']).toEqual([3, 5]);
      expect(Object.keys(got.tensors)).toEqual([...net.namedParameters().map(([k]) => `actor.${k}`), 'special']);
      for (const [name, p] of net.namedParameters()) expect(bitsEqual(got.tensors[`actor.${name}`], p.dataSync())).toBe(true);
      expect(bitsEqual(got.tensors.special, special.dataSync())).toBe(true);
      expect(got.tensors.special).toBeInstanceOf(dtype === 'float64' ? Float64Array : Float32Array);

      const other = makeNet(2, dtype);
      restoreState(got, { actor: other });
      expect(snapshot(other)).toEqual(snapshot(net));
      const x = randn([4, 3], { dtype });
      expect(other.forward(x).toFlatArray()).toEqual(net.forward(x).toFlatArray());
      expect(readdirSync(root).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
    });
  }

  it('ArrayBuffer round trip is bit-exact and carries step and metadata', () => {
    const ens = new EnsembleMLP({ members: 2, inputSize: 3, hiddenSizes: [4], outputSize: 1, rng: new Rng(3), dtype: 'float64' });
    const mixed = { ...stateOf('q', ens), f32: randn([3, 2]).keep() };
    const buf = checkpointToArrayBuffer({ tensors: mixed, step: 9, metadata: { note: 'ü' } });
    expect(buf).toBeInstanceOf(ArrayBuffer);
    const got = checkpointFromArrayBuffer(buf);
    expect(got.step).toBe(9);
    expect(got.metadata).toEqual({ note: 'ü' });
    for (const [k, t] of Object.entries(mixed)) expect(bitsEqual(got.tensors[k], t.dataSync())).toBe(true);
    expect(() => checkpointFromArrayBuffer(buf.slice(0, buf.byteLength - 3))).toThrow(/truncated/);
  });

  it('optimizer state survives a checkpoint: training resumes identically', async () => {
    const rng = new Rng(4);
    const x = randn([8, 3], { rng }).keep();
    const step = (net: MLP, opt: Adam) => {
      opt.zeroGrad();
      net.forward(x).square().mean().backward();
      opt.step();
    };
    const a = makeNet(5);
    const oa = new Adam(a.parameters(), { lr: 1e-2 });
    for (let i = 0; i < 3; i++) step(a, oa);
    const dir = fresh();
    await saveCheckpoint(dir, { tensors: { ...stateOf('net', a), ...stateOf('opt', oa) }, step: oa.stepCount });
    const b = makeNet(6);
    const ob = new Adam(b.parameters(), { lr: 1e-2 });
    const loaded = await loadCheckpoint(dir);
    restoreState(loaded, { net: b, opt: ob });
    expect(ob.stepCount).toBe(3);
    for (let i = 0; i < 2; i++) {
      step(a, oa);
      step(b, ob);
    }
    expect(snapshot(b)).toEqual(snapshot(a));
  });

  it('restoreState checks optimizer state values for every target before loading any (all or nothing)', () => {
    const a = makeNet(5);
    const oa = new Adam(a.parameters(), { lr: 1e-2 });
    const buf = checkpointToArrayBuffer({ tensors: { ...stateOf('net', a), ...stateOf('opt', oa) }, step: 0 });
    const loaded = checkpointFromArrayBuffer(buf);
    loaded.tensors['opt.t'][0] = -1;
    const b = makeNet(6);
    const before = b.parameters().map((p) => p.toFlatArray());
    const ob = new Adam(b.parameters(), { lr: 1e-2 });
    expect(() => restoreState(loaded, { net: b, opt: ob })).toThrow(/Adam\.loadStateDict: 't'\[0\] is -1/);
    expect(b.parameters().map((p) => p.toFlatArray())).toEqual(before); // 'net' came first and was not loaded
  });

  it('overwrites an existing checkpoint and leaves no temporary directories', async () => {
    const dir = fresh();
    await saveCheckpoint(dir, { tensors: stateOf('m', makeNet(1)), step: 1 });
    const net2 = makeNet(2);
    await saveCheckpoint(dir, { tensors: stateOf('m', net2), step: 2 });
    const got = await loadCheckpoint(dir);
    expect(got.step).toBe(2);
    expect(Array.from(got.tensors['m.layers.0.weight'])).toEqual(net2.layers[0].weight.toFlatArray());
    expect(readdirSync(root).filter((f) => f.startsWith(dir.split('/').at(-1)! + '.'))).toEqual([]);
  });
});

describe('checkpoints: corruption is rejected, the model untouched', () => {
  async function goodCheckpoint(): Promise<{ dir: string; net: MLP }> {
    const dir = fresh();
    const net = makeNet(11);
    await saveCheckpoint(dir, { tensors: stateOf('net', net), step: 5 });
    return { dir, net };
  }

  /** Loads into a fresh model and checks the model did not change. */
  async function attempt(dir: string): Promise<string> {
    const target = makeNet(12);
    const before = snapshot(target);
    const msg = await errorOf((async () => restoreState(await loadCheckpoint(dir), { net: target }))());
    expect(snapshot(target)).toEqual(before);
    return msg;
  }

  function editManifest(dir: string, edit: (m: any) => void): void {
    const p = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(p, 'utf8'));
    edit(m);
    writeFileSync(p, JSON.stringify(m));
  }

  it('missing tensor', async () => {
    const { dir } = await goodCheckpoint();
    editManifest(dir, (m) => {
      m.tensors = m.tensors.filter((t: any) => t.name !== 'net.layers.1.bias');
    });
    expect(await attempt(dir)).toMatch(/no tensor 'net\.layers\.1\.bias' \(expected shape \[2\]\)/);
  });

  it('wrong shape', async () => {
    const dir = fresh();
    const net = makeNet(1);
    const wrong = { ...stateOf('net', net), 'net.layers.0.weight': randn([5, 3]).keep() };
    await saveCheckpoint(dir, { tensors: wrong, step: 1 });
    expect(await attempt(dir)).toMatch(/'net\.layers\.0\.weight' has shape \[5, 3\] in the checkpoint, expected \[3, 5\]/);
  });

  it('bad checksum (a flipped byte in the blob)', async () => {
    const { dir } = await goodCheckpoint();
    const p = join(dir, 'tensors.bin');
    const bytes = readFileSync(p);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const entry = m.tensors.find((t: any) => t.name === 'net.layers.1.weight');
    bytes[entry.byteOffset + 3] ^= 0x10;
    writeFileSync(p, bytes);
    const msg = await attempt(dir);
    expect(msg).toMatch(/tensors\.bin: checksum mismatch for tensor 'net\.layers\.1\.weight'/);
  });

  it('truncated blob', async () => {
    const { dir } = await goodCheckpoint();
    const p = join(dir, 'tensors.bin');
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 10));
    expect(await attempt(dir)).toMatch(/tensors\.bin: truncated: has \d+ bytes, manifest says \d+/);
  });

  it('unknown format version', async () => {
    const { dir } = await goodCheckpoint();
    editManifest(dir, (m) => {
      m.version = 99;
    });
    expect(await attempt(dir)).toMatch(/manifest\.json: unknown format version 99 \(this build reads versions 1, 2\)/);
  });

  it('missing directory / invalid JSON / not a manifest', async () => {
    expect(await attempt(join(root, 'nope'))).toMatch(/manifest\.json: cannot read \(ENOENT\)/);
    const { dir } = await goodCheckpoint();
    writeFileSync(join(dir, 'manifest.json'), '{"format": ');
    expect(await attempt(dir)).toMatch(/not valid JSON/);
    writeFileSync(join(dir, 'manifest.json'), '{"format": "other"}');
    expect(await attempt(dir)).toMatch(/not a checkpoint manifest/);
  });

  it('ArrayBuffer: bad checksum and bad magic', () => {
    const net = makeNet(1);
    const buf = checkpointToArrayBuffer({ tensors: stateOf('net', net), step: 0 });
    const u8 = new Uint8Array(buf);
    u8[u8.length - 1] ^= 1;
    expect(() => checkpointFromArrayBuffer(buf)).toThrow(/checksum mismatch for tensor 'net\.norms\.0\.bias'/);
    u8[0] = 0;
    expect(() => checkpointFromArrayBuffer(buf)).toThrow(/bad magic/);
  });
});

describe('checkpoints: atomic writes', () => {
  async function expectIntact(dir: string, net: MLP, step: number): Promise<void> {
    const got: LoadedCheckpoint = await loadCheckpoint(dir);
    expect(got.step).toBe(step);
    for (const [name, p] of net.namedParameters()) expect(bitsEqual(got.tensors[`net.${name}`], p.dataSync())).toBe(true);
    const base = dir.split('/').at(-1)!;
    expect(readdirSync(root).filter((f) => f.startsWith(`${base}.`))).toEqual([]);
  }

  it('a write failing midway leaves the previous checkpoint intact', async () => {
    const dir = fresh();
    const net = makeNet(1);
    await saveCheckpoint(dir, { tensors: stateOf('net', net), step: 1 });
    let calls = 0;
    const failing = async (p: string, data: Uint8Array) => {
      calls++;
      writeFileSync(p, data.subarray(0, data.length >> 1)); // half written...
      throw new Error('disk full (simulated)');
    };
    const msg = await errorOf(saveCheckpoint(dir, { tensors: stateOf('net', makeNet(2)), step: 2 }, { writeFile: failing }));
    expect(msg).toBe('disk full (simulated)');
    expect(calls).toBe(1);
    await expectIntact(dir, net, 1);
  });

  it('a failure on the second file also leaves it intact', async () => {
    const dir = fresh();
    const net = makeNet(1);
    await saveCheckpoint(dir, { tensors: stateOf('net', net), step: 1 });
    let calls = 0;
    const failSecond = async (p: string, data: Uint8Array) => {
      if (++calls === 2) throw new Error('crash (simulated)');
      writeFileSync(p, data);
    };
    expect(await errorOf(saveCheckpoint(dir, { tensors: stateOf('net', makeNet(2)), step: 2 }, { writeFile: failSecond }))).toMatch(/crash/);
    await expectIntact(dir, net, 1);
  });

  it('a tensor whose data cannot be read aborts before anything is written', async () => {
    const dir = fresh();
    const net = makeNet(1);
    await saveCheckpoint(dir, { tensors: stateOf('net', net), step: 1 });
    const bad = randn([2]);
    Object.defineProperty(bad, 'buffer', { get: () => { throw new Error('device lost (simulated)'); } });
    const tensors: Record<string, Tensor> = { ...stateOf('net', makeNet(2)), bad };
    expect(await errorOf(saveCheckpoint(dir, { tensors, step: 2 }))).toMatch(/device lost/);
    await expectIntact(dir, net, 1);
    const disposed = randn([2]);
    disposed.dispose();
    expect(await errorOf(saveCheckpoint(dir, { tensors: { disposed }, step: 3 }))).toMatch(/'disposed' was disposed/);
    await expectIntact(dir, net, 1);
  });

  it('a first save that fails leaves nothing behind', async () => {
    const dir = fresh();
    await errorOf(saveCheckpoint(dir, { tensors: stateOf('net', makeNet(1)), step: 1 }, { writeFile: async () => { throw new Error('x'); } }));
    expect(existsSync(dir)).toBe(false);
    const base = dir.split('/').at(-1)!;
    expect(readdirSync(root).filter((f) => f.startsWith(`${base}.`))).toEqual([]);
  });
});
