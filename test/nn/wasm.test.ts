/**
 * nn on the wasm backend (skipped where it is unavailable): training steps agree with the js
 * reference, and a training loop inside tidy does not grow wasm memory (no leaked tensors).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { listBackends, randn, registerBackend, Rng, setBackend, getBackend, tidy, tensor, type Tensor } from '../../core/index.js';
import { Adam, AdamW, EnsembleMLP, expectileLoss, MLP, MLPResNet, mse, softUpdate, clipGradNorm, type Module } from '../../nn/index.js';

let wasm: { WasmBackend: new () => any; wasmSimdAvailable: () => boolean } | null = null;
try {
  wasm = (await import('../../core/backends/wasm/index.js')) as any;
  if (!wasm!.wasmSimdAvailable()) wasm = null;
} catch {
  wasm = null;
}
if (wasm && !listBackends().includes('wasm')) registerBackend('wasm', () => new wasm!.WasmBackend());

const prev = getBackend().name;
afterAll(() => {
  setBackend(prev);
});

type Net = Module & { forward(x: Tensor): Tensor };

function runSteps(backend: string, build: () => Net, steps: number, opt: 'adam' | 'adamw' = 'adam'): { params: number[][]; losses: number[] } {
  setBackend(backend);
  const net = build().eval(); // eval: dropout off, so both backends see the same function
  const target = build().eval();
  target.copyFrom(net);
  const o = opt === 'adam' ? new Adam(net.parameters(), { lr: 1e-2 }) : new AdamW(net.parameters(), { lr: 1e-2, weightDecay: 0.1 });
  const rng = new Rng(99);
  const inSize = net.parameters()[0].shape.at(-2)!;
  const x = randn([32, inSize], { rng }).keep();
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(tidy(() => {
      o.zeroGrad();
      const out = net.forward(x);
      const loss = expectileLoss(out.sub(tidy(() => target.forward(x)).add(0.5)), 0.7).mean().add(mse(out, out.mul(0)).mul(0.1));
      loss.backward();
      clipGradNorm(net.parameters(), 10);
      o.step();
      softUpdate(target, net, 0.1);
      return loss.item();
    }));
  }
  return { params: net.parameters().map((p) => p.toFlatArray()), losses };
}

const builders: [string, () => Net][] = [
  ['MLP relu', () => new MLP({ inputSize: 5, hiddenSizes: [32, 32], outputSize: 3, rng: new Rng(1) })],
  ['MLP mish + LayerNorm', () => new MLP({ inputSize: 5, hiddenSizes: [32, 32], outputSize: 3, activation: 'mish', layerNorm: true, rng: new Rng(2) })],
  ['EnsembleMLP', () => new EnsembleMLP({ members: 2, inputSize: 5, hiddenSizes: [32, 32], outputSize: 1, rng: new Rng(3) })],
  ['MLPResNet', () => new MLPResNet({ inputSize: 5, hidden: 16, blocks: 2, outputSize: 3, rng: new Rng(4) })],
];

describe.skipIf(!wasm)('nn on wasm', () => {
  for (const [name, build] of builders) {
    it(`${name}: training steps match the js backend`, () => {
      const a = runSteps('js', build, 5, name === 'MLPResNet' ? 'adamw' : 'adam');
      const b = runSteps('wasm', build, 5, name === 'MLPResNet' ? 'adamw' : 'adam');
      a.losses.forEach((l, i) => expect(b.losses[i]).toBeCloseTo(l, 4));
      a.params.forEach((p, k) => p.forEach((v, i) => expect(Math.abs(b.params[k][i] - v)).toBeLessThan(1e-4)));
    });
  }

  it('a training loop in tidy does not grow wasm memory', () => {
    const backend = setBackend('wasm') as any;
    const net = new MLPResNet({ inputSize: 7, hidden: 32, blocks: 2, outputSize: 2, dropout: 0.1, rng: new Rng(5) });
    const opt = new Adam(net.parameters(), { lr: 1e-3 });
    const x = randn([64, 7]).keep();
    const y = randn([64, 2]).keep();
    const step = () => tidy(() => {
      opt.zeroGrad();
      mse(net.forward(x), y).backward();
      opt.step();
    });
    for (let i = 0; i < 5; i++) step();
    const before = backend.memoryStats();
    for (let i = 0; i < 30; i++) step();
    const after = backend.memoryStats();
    // No tensor outlives its step (live bytes unchanged), and the arena does not grow (its top may
    // still come down while the first steps' free blocks settle).
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.arenaBytes).toBeLessThanOrEqual(before.arenaBytes);
    expect(net.parameters().every((p) => !p.isDisposed && p.backend.name === 'wasm')).toBe(true);
    const t = tensor([1]);
    expect(t.backend.name).toBe('wasm');
  });
});
