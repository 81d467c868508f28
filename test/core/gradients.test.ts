/**
 * Every differentiable op passes gradcheck (float64, max relative error <= 1e-6) over random
 * shapes (rank 0-3, sizes 1, 3, 17, broadcasting) and values inside the op's domain.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, gradcheck, stack, tensor, where, type Tensor } from '../../core/index.js';
import { broadcastPartner, distinctTensor, propOpts, seedArb, shapeArb, valuesTensor, type ValueSpec } from './helpers.js';

const TOL = 1e-6;

function expectGrad(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], wrt?: number[]): void {
  const r = gradcheck(fn, inputs, { wrt });
  expect(r.maxRelErr, JSON.stringify(r.perInput)).toBeLessThanOrEqual(TOL);
  expect(r.ok).toBe(true);
}

const unaryCases: [string, (x: Tensor) => Tensor, ValueSpec][] = [
  ['neg', (x) => x.neg(), { lo: -3, hi: 3 }],
  ['exp', (x) => x.exp(), { lo: -3, hi: 2 }],
  ['log', (x) => x.log(), { lo: 0.2, hi: 4 }],
  ['sqrt', (x) => x.sqrt(), { lo: 0.2, hi: 4 }],
  ['square', (x) => x.square(), { lo: -3, hi: 3 }],
  ['abs', (x) => x.abs(), { lo: -3, hi: 3, avoid: [0] }],
  ['tanh', (x) => x.tanh(), { lo: -3, hi: 3 }],
  ['sigmoid', (x) => x.sigmoid(), { lo: -6, hi: 6 }],
  ['softplus', (x) => x.softplus(), { lo: -6, hi: 6 }],
  ['relu', (x) => x.relu(), { lo: -3, hi: 3, avoid: [0] }],
  ['mish', (x) => x.mish(), { lo: -5, hi: 5 }],
  ['sin', (x) => x.sin(), { lo: -4, hi: 4 }],
  ['cos', (x) => x.cos(), { lo: -4, hi: 4 }],
  ['reciprocal', (x) => x.reciprocal(), { lo: 0.3, hi: 3 }],
  ['pow 3', (x) => x.pow(3), { lo: -2, hi: 2 }],
  ['pow -1.5', (x) => x.pow(-1.5), { lo: 0.3, hi: 3 }],
  ['pow 0.5', (x) => x.pow(0.5), { lo: 0.3, hi: 3 }],
  ['clamp', (x) => x.clamp(-0.5, 0.7), { lo: -2, hi: 2, avoid: [-0.5, 0.7] }],
  ['add scalar', (x) => x.add(1.5), { lo: -2, hi: 2 }],
  ['mul scalar', (x) => x.mul(-2.5), { lo: -2, hi: 2 }],
  ['cast', (x) => x.cast('float64'), { lo: -2, hi: 2 }],
];

describe('gradcheck: one-input ops', () => {
  for (const [name, f, spec] of unaryCases) {
    it(name, () => {
      fc.assert(fc.property(shapeArb, seedArb, (shape, seed) => expectGrad(f, [valuesTensor(shape, seed, spec)])), propOpts);
    });
  }
});

const binaryCases: [string, (a: Tensor, b: Tensor) => Tensor, ValueSpec, ValueSpec][] = [
  ['add', (a, b) => a.add(b), { lo: -2, hi: 2 }, { lo: -2, hi: 2 }],
  ['sub', (a, b) => a.sub(b), { lo: -2, hi: 2 }, { lo: -2, hi: 2 }],
  ['mul', (a, b) => a.mul(b), { lo: -2, hi: 2 }, { lo: -2, hi: 2 }],
  ['div', (a, b) => a.div(b), { lo: -2, hi: 2 }, { lo: 0.5, hi: 2 }],
];

describe('gradcheck: two-input ops with broadcasting', () => {
  for (const [name, f, sa, sb] of binaryCases) {
    it(name, () => {
      fc.assert(
        fc.property(shapeArb, fc.nat(7), fc.nat(3), fc.boolean(), seedArb, (shape, mask, drop, swap, seed) => {
          const other = broadcastPartner(shape, mask, drop);
          const [s1, s2] = swap ? [other, shape] : [shape, other];
          expectGrad(f, [valuesTensor(s1, seed, sa), valuesTensor(s2, seed + 1, sb)]);
        }),
        propOpts,
      );
    });
  }
  for (const name of ['maximum', 'minimum'] as const) {
    it(name, () => {
      fc.assert(
        fc.property(shapeArb, fc.nat(7), fc.nat(3), seedArb, (shape, mask, drop, seed) => {
          const other = broadcastPartner(shape, mask, drop);
          // Separate the operands so no pair ties within the finite-difference step.
          const a = valuesTensor(shape, seed, { lo: -2, hi: 2, avoid: [0], gap: 0.1 });
          const b = valuesTensor(other, seed + 1, { lo: -0.05, hi: 0.05 });
          expectGrad((x, y) => x[name](y), [a, b]);
        }),
        propOpts,
      );
    });
  }
  it('where', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(7), seedArb, (shape, mask, seed) => {
        const cond = valuesTensor(broadcastPartner(shape, mask, 0), seed + 2).gt(0);
        expectGrad((c, a, b) => where(c, a, b), [cond, valuesTensor(shape, seed), valuesTensor(shape, seed + 1)], [1, 2]);
      }),
      propOpts,
    );
  });
});

describe('gradcheck: matmul', () => {
  const dim = fc.constantFrom(1, 2, 3, 7, 17);
  it('2-D, all transpose layouts', () => {
    fc.assert(
      fc.property(dim, dim, dim, seedArb, (m, k, n, seed) => {
        expectGrad((a, b) => a.matmul(b), [valuesTensor([m, k], seed), valuesTensor([k, n], seed + 1)]);
        expectGrad((a, b) => a.transpose().matmul(b), [valuesTensor([k, m], seed), valuesTensor([k, n], seed + 1)]);
        expectGrad((a, b) => a.matmul(b.transpose()), [valuesTensor([m, k], seed), valuesTensor([n, k], seed + 1)]);
      }),
      { numRuns: 15 },
    );
  });
  it('batched, with a shared matrix broadcast over the batch', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3), dim, dim, dim, seedArb, (bt, m, k, n, seed) => {
        expectGrad((a, b) => a.matmul(b), [valuesTensor([bt, m, k], seed), valuesTensor([bt, k, n], seed + 1)]);
        expectGrad((a, b) => a.matmul(b), [valuesTensor([m, k], seed), valuesTensor([bt, k, n], seed + 1)]);
        expectGrad((a, b) => a.matmul(b), [valuesTensor([2, bt, m, k], seed), valuesTensor([k, n], seed + 1)]);
      }),
      { numRuns: 10 },
    );
  });
});

const axesArb = (rank: number) => fc.subarray([...Array(rank).keys()]);

describe('gradcheck: reductions', () => {
  for (const name of ['sum', 'mean'] as const) {
    it(name, () => {
      fc.assert(
        fc.property(shapeArb.filter((s) => s.length > 0), fc.boolean(), seedArb, (shape, keepdim, seed) => {
          for (const axes of [[0], [shape.length - 1], [...Array(shape.length).keys()]]) {
            expectGrad((x) => x[name](axes, keepdim), [valuesTensor(shape, seed)]);
          }
          expectGrad((x) => x[name](), [valuesTensor(shape, seed)]);
        }),
        propOpts,
      );
    });
  }
  for (const name of ['max', 'min'] as const) {
    it(name, () => {
      fc.assert(
        fc.property(shapeArb.filter((s) => s.length > 0), seedArb, fc.boolean(), (shape, seed, keepdim) => {
          fc.assert(fc.property(axesArb(shape.length), (axes) => {
            expectGrad((x) => x[name](axes, keepdim), [distinctTensor(shape, seed)]);
          }), { numRuns: 3 });
        }),
        { numRuns: 15 },
      );
    });
  }
});

describe('gradcheck: movement ops', () => {
  it('reshape and transpose', () => {
    fc.assert(
      fc.property(shapeArb, seedArb, (shape, seed) => {
        const x = valuesTensor(shape, seed);
        expectGrad((t) => t.reshape([-1]).mul(t.reshape([-1])), [x]);
        expectGrad((t) => t.transpose().square(), [x]);
        if (shape.length === 3) expectGrad((t) => t.transpose([1, 0, 2]).square(), [x]);
      }),
      propOpts,
    );
  });
  it('expand', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(7), fc.nat(3), seedArb, (shape, mask, drop, seed) => {
        const small = broadcastPartner(shape, mask, drop);
        expectGrad((t) => t.expand(shape).square(), [valuesTensor(small, seed)]);
      }),
      propOpts,
    );
  });
  it('slice', () => {
    fc.assert(
      fc.property(shapeArb.filter((s) => s.length > 0), seedArb, (shape, seed) => {
        const begin = shape.map((d) => Math.floor(d / 3));
        const size = shape.map((d, i) => Math.max(1, d - begin[i] - 1));
        expectGrad((t) => t.slice(begin, size).square(), [valuesTensor(shape, seed)]);
      }),
      propOpts,
    );
  });
  it('concat and stack', () => {
    fc.assert(
      fc.property(shapeArb.filter((s) => s.length > 0), fc.constantFrom(1, 2, 4), seedArb, (shape, extra, seed) => {
        const axis = seed % shape.length;
        const other = shape.map((d, i) => (i === axis ? extra : d));
        expectGrad((a, b) => concat([a, b], axis).square(), [valuesTensor(shape, seed), valuesTensor(other, seed + 1)]);
        expectGrad((a, b) => stack([a, b], axis).square(), [valuesTensor(shape, seed), valuesTensor(shape, seed + 1)]);
      }),
      propOpts,
    );
  });
  it('indexSelect (repeated rows add up)', () => {
    fc.assert(
      fc.property(shapeArb.filter((s) => s.length > 0), fc.array(fc.nat(), { minLength: 1, maxLength: 9 }), seedArb, (shape, raw, seed) => {
        const idx = raw.map((v) => v % shape[0]);
        expectGrad((t) => t.indexSelect(idx).square(), [valuesTensor(shape, seed)]);
      }),
      propOpts,
    );
  });
});

describe('gradcheck: composite graphs', () => {
  it('a shared input reaching the output along several paths', () => {
    fc.assert(
      fc.property(shapeArb, seedArb, (shape, seed) => {
        expectGrad((x) => x.mul(x).add(x.tanh().mul(x.exp())).sub(x), [valuesTensor(shape, seed)]);
      }),
      propOpts,
    );
  });
});

describe('gradcheck options', () => {
  const x = () => tensor([1, 2, 3], { dtype: 'float64', backend: 'js' });
  it('refuses options under which it checks nothing or divides by zero (maxPoints NaN / 0 passed, h 0 gave NaN)', () => {
    const f = (t: Tensor) => t.square();
    expect(() => gradcheck(f, [x()], { maxPoints: NaN })).toThrow(/gradcheck: maxPoints must be a whole number >= 1 .*got NaN/);
    expect(() => gradcheck(f, [x()], { maxPoints: 0 })).toThrow(/maxPoints .* got 0/);
    expect(() => gradcheck(f, [x()], { maxPoints: 1.5 })).toThrow(/maxPoints .* got 1.5/);
    expect(() => gradcheck(f, [x()], { h: 0 })).toThrow(/gradcheck: h \(the finite-difference step\) must be a finite number > 0, got 0/);
    expect(() => gradcheck(f, [x()], { h: NaN })).toThrow(/h .* got NaN/);
    expect(() => gradcheck(f, [x()], { rtol: -1 })).toThrow(/gradcheck: rtol must be a finite number >= 0, got -1/);
    expect(() => gradcheck(f, [x()], { rtol: Infinity })).toThrow(/rtol .* got Infinity/);
    expect(() => gradcheck(f, [x()], { floor: 0 })).toThrow(/gradcheck: floor must be a finite number > 0, got 0/);
    expect(() => gradcheck(f, [x()], { seed: 0.5 })).toThrow(/Rng: seed must be an integer/);
    expect(() => gradcheck(f, x() as never)).toThrow(/gradcheck: inputs must be an array of tensors/);
    const some = gradcheck(f, [x()], { maxPoints: 2 });
    expect([some.ok, some.perInput[0].checked]).toEqual([true, 2]);
    expect(gradcheck(f, [x()], { maxPoints: Infinity }).perInput[0].checked).toBe(3);
  });
});
