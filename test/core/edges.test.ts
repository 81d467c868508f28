/**
 * Edge cases an audit of the core and nn APIs found (each reproduced first): silent wrong results at the
 * edges and bad inputs that were accepted instead of named.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Rng, getBackend, setBackend, tensor, tidy, wasmMemoryInUse, zeros, type DType } from '../../core/index.js';
import { Adam, MLP, SGD, checkpointFromArrayBuffer, checkpointToArrayBuffer, restoreState, stateOf } from '../../nn/index.js';

const initial = getBackend().name;
afterEach(() => setBackend(initial));

describe('core edges', () => {
  it('every wasm backend counts its buffers (the tidy warning watches them), the default wasm-fma included', () => {
    for (const name of ['wasm', 'wasm-fma']) {
      setBackend(name);
      const before = wasmMemoryInUse().liveBytes;
      const t = zeros([1 << 12]);
      expect(wasmMemoryInUse().liveBytes - before, name).toBe(4 << 12);
      t.dispose();
      expect(wasmMemoryInUse().liveBytes, name).toBe(before);
    }
  });

  it('tensor() checks an explicit shape as zeros() does, and unknown dtypes are named', () => {
    expect(() => tensor([1, 2, 3, 4], { shape: [-2, -2] })).toThrow(/tensor: invalid shape \[-2, -2\]: sizes must be non-negative integers/);
    expect(() => tensor([1, 2, 3, 4], { shape: [0.5, 8] })).toThrow(/invalid shape/);
    expect(tensor([1, 2, 3, 4], { shape: [2, 2] }).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(() => tensor([0.1], { dtype: 'f64' as DType })).toThrow(/unknown dtype 'f64': use 'float32' or 'float64'/);
    expect(() => zeros([2], { dtype: 'float16' as DType })).toThrow(/unknown dtype 'float16'/);
  });

  it('d/dx x^0 is 0 everywhere, x = 0 included, on every CPU backend (it was 0 * 0^-1 = NaN)', () => {
    for (const name of ['js', 'wasm', 'wasm-fma']) {
      setBackend(name);
      const x = tensor([0, 2, -3], { requiresGrad: true });
      x.pow(0).sum().backward();
      expect(x.grad!.toFlatArray(), name).toEqual([0, 0, 0]);
      const y = tensor([0, 2], { requiresGrad: true });
      y.pow(2).sum().backward();
      expect(y.grad!.toFlatArray(), name).toEqual([0, 4]);
    }
  });

  it('backward() on a loss that a tidy released says so (it said "does not require grad")', () => {
    setBackend('js');
    const w = tensor([[0.5], [-0.25]], { requiresGrad: true });
    const x = tensor([[1, 2]]);
    let loss: ReturnType<typeof tensor> | undefined;
    tidy(() => {
      loss = x.matmul(w).tanh().square().mean();
    });
    expect(() => loss!.backward()).toThrow(/this tensor was disposed .*return the loss from it/);
  });

  it('tidy keeps tensors returned deep inside arrays and objects, and refuses (not silently disposes) deeper than it searches', () => {
    setBackend('js');
    const out = tidy(() => ({ stats: { q: { members: [[zeros([2]).add(1)]] } } }));
    expect(out.stats.q.members[0][0].isDisposed).toBe(false);
    expect(out.stats.q.members[0][0].toFlatArray()).toEqual([1, 1]);
    let deep: unknown = zeros([1]);
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(() => tidy(() => deep as never)).toThrow(/nests arrays \/ objects more than 32 levels deep/);
  });
});

describe('optimizer and checkpoint edges', () => {
  const param = () => tensor([1, 2], { requiresGrad: true });

  it('a learning rate that is not a finite number >= 0 is refused, whether set or scheduled; an empty parameter list too', () => {
    setBackend('js');
    const opt = new Adam([param()]);
    expect(() => (opt.lr = Number.NaN)).toThrow(/lr must be a finite number >= 0, got NaN/);
    expect(() => (opt.lr = -1)).toThrow(/got -1/);
    opt.lr = 0.5;
    expect(opt.lr).toBe(0.5);
    const p = param();
    const climbing = new SGD([p], { lr: 0.1, schedule: () => -0.5 });
    p.square().sum().backward();
    expect(() => climbing.step()).toThrow(/the schedule gave lr -0.5 at step 0/);
    expect(p.toFlatArray()).toEqual([1, 2]);
    expect(() => new Adam([])).toThrow(/Adam: got an empty parameter list/);
    expect(() => new Adam([param()], { lr: Infinity })).toThrow(/finite non-negative/);
  });

  it('restoreState refuses a checkpoint with tensors under a restored prefix that the target lacks (another architecture)', () => {
    setBackend('js');
    const spec = { inputSize: 3, hiddenSizes: [4], outputSize: 2 };
    const saved = new MLP({ ...spec, rng: new Rng(1), layerNorm: true });
    const other = new MLP({ ...spec, rng: new Rng(2) });
    const ck = checkpointFromArrayBuffer(checkpointToArrayBuffer({ tensors: stateOf('q', saved), step: 1 }));
    expect(() => restoreState(ck, { q: other })).toThrow(/the checkpoint has 'q\.norms\.0\.(scale|bias)', which 'q' does not/);
    const same = new MLP({ ...spec, rng: new Rng(3), layerNorm: true });
    restoreState(ck, { q: same });
    expect(same.stateDict()['layers.0.weight'].toFlatArray()).toEqual(saved.stateDict()['layers.0.weight'].toFlatArray());
  });

  it("tensors named like Object.prototype's keys round-trip through a checkpoint", () => {
    setBackend('js');
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];
    const tensors = Object.fromEntries(names.map((n, i) => [n, tensor([i, i + 0.5])]));
    const back = checkpointFromArrayBuffer(checkpointToArrayBuffer({ tensors, step: 3 }));
    expect(Object.keys(back.tensors).sort()).toEqual([...names].sort());
    names.forEach((n, i) => expect(Array.from(back.tensors[n])).toEqual([i, i + 0.5]));
  });
});
