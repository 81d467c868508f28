/**
 * Binary ops with a number operand take separate paths (add / sub through the addScalar kernel with b or -b,
 * mul through scale, the rest through a broadcast constant). The core suite only ran them with tensor
 * operands; a mutation audit found x.sub(c) computing x + c unnoticed. Values by hand, on every backend.
 */
import { describe, expect, it } from 'vitest';
import { listBackends, tensor } from '../../core/index.js';

describe('binary ops with a number operand', () => {
  for (const backend of listBackends()) {
    it(`${backend}: add, sub, mul, div, maximum, minimum by a number, with their gradients`, () => {
      const x = () => tensor([1.5, -2, 4], { dtype: 'float64', backend, requiresGrad: true });
      const cases: [string, (t: ReturnType<typeof x>) => ReturnType<typeof x>, number[], number[]][] = [
        ['add', (t) => t.add(0.25), [1.75, -1.75, 4.25], [1, 1, 1]],
        ['sub', (t) => t.sub(0.25), [1.25, -2.25, 3.75], [1, 1, 1]],
        ['sub negative', (t) => t.sub(-3), [4.5, 1, 7], [1, 1, 1]],
        ['mul', (t) => t.mul(-2), [-3, 4, -8], [-2, -2, -2]],
        ['div', (t) => t.div(4), [0.375, -0.5, 1], [0.25, 0.25, 0.25]],
        ['maximum', (t) => t.maximum(0), [1.5, 0, 4], [1, 0, 1]],
        ['minimum', (t) => t.minimum(0), [0, -2, 0], [0, 1, 0]],
      ];
      for (const [name, f, want, grad] of cases) {
        const t = x();
        const y = f(t);
        expect(y.toFlatArray(), name).toEqual(want);
        y.sum().backward();
        expect(t.grad!.toFlatArray(), `${name} grad`).toEqual(grad);
      }
    });
  }
});
