/**
 * The arithmetic behind BENCHMARKS.md: the median every bench script reports, the repetition counts they
 * accept, and the FLOP counter of the FISOR table's "GFLOP / update".
 */
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, randn, Rng, setBackend, tidy } from '../../core/index.js';
import { MLP, mse } from '../../nn/index.js';
import { countArg, median } from '../../bench/harness.js';
import { countFlops } from '../../bench/rl.js';
import { runScript } from '../helpers/run_script.js';

describe('bench median', () => {
  it('averages the two middle values of an even count (as the PyTorch peers\' statistics.median does)', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, 30])).toBe(20);
  });

  it('takes the middle value of an odd count and leaves its input unsorted', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
  });

  it('refuses an empty list', () => {
    expect(() => median([])).toThrow(/no samples/);
  });
});

describe('bench repetition counts', () => {
  it('parses a whole number >= 1 and falls back when absent', () => {
    expect(countArg('reps', '7', 10)).toBe(7);
    expect(countArg('reps', undefined, 10)).toBe(10);
  });

  it.each(['abc', '0', '-3', '2.5', '', ' '])('refuses %j, naming the argument', (raw) => {
    expect(() => countArg('fisor-update: reps', raw, 10)).toThrow(`fisor-update: reps must be a whole number >= 1, got '${raw}'`);
  });

  it('fisor-update.ts fails on a non-numeric count instead of printing a line with no median', async () => {
    const r = await runScript('bench/fisor-update.ts', ['cpu', 'abc']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("fisor-update: reps must be a whole number >= 1, got 'abc'");
    expect(r.stdout).not.toContain('"preset"');
  });

  it('fisor-ab.ts refuses a count of 0 pairs before building either side', async () => {
    const r = await runScript('bench/fisor-ab.ts', ['.', 'cpu', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("fisor-ab: pairs must be a whole number >= 1, got '0'");
  });
});

describe('bench FLOP counter', () => {
  const prev = getBackend().name;
  afterAll(() => {
    setBackend(prev);
  });

  it('counts 2 m n k per product of an MLP step: forward, dW of every layer, dX of all but the first', () => {
    const be = setBackend('wasm');
    const rng = new Rng(1);
    const net = new MLP({ inputSize: 17, hiddenSizes: [32, 32], outputSize: 6, rng });
    const x = randn([8, 17], { rng }).keep();
    const y = randn([8, 6], { rng }).keep();
    const kernels = be as unknown as Record<string, unknown>;
    const before = [kernels.matmul, kernels.matmulBiasAct];
    const flops = countFlops(be, () => {
      tidy(() => {
        mse(net.forward(x), y).backward();
      });
    });
    const layers = [[17, 32], [32, 32], [32, 6]];
    const fwd = layers.reduce((f, [i, o]) => f + 2 * 8 * i * o, 0);
    const bwd = layers.reduce((f, [i, o], l) => f + 2 * 8 * i * o * (l === 0 ? 1 : 2), 0);
    expect(flops).toBe(fwd + bwd);
    // The backend's own kernels are back afterwards.
    expect([kernels.matmul, kernels.matmulBiasAct]).toEqual(before);
  });
});
