/**
 * Two-input elementwise ops with numpy broadcasting. Each op: forward kernel and VJP side by side;
 * `unbroadcast` sums a gradient back over the axes an input was broadcast along.
 */
import type { BinaryOp } from '../backend.js';
import { apply, type OpDef } from '../autograd.js';
import { broadcastShapes, broadcastStrides, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { unaryOp } from './unary.js';
import { on, placement, scalarLike, unbroadcast } from './util.js';

const UNIT: readonly number[] = [1];

function forwardBinary(name: string, kernel: BinaryOp) {
  return (inputs: readonly Tensor[]): Tensor => {
    const { dtype, backend } = placement(name, inputs);
    const a = on(inputs[0], backend);
    const b = on(inputs[1], backend);
    if (sameShape(a.shape, b.shape)) {
      // Fast path: equal shapes are one flat run (no broadcasting bookkeeping).
      const out = Tensor.empty(a.shape, dtype, backend);
      backend.binary(kernel, a.buffer, b.buffer, out.buffer, [a.size], UNIT, UNIT);
      return out;
    }
    const shape = broadcastShapes(name, a.shape, b.shape);
    const out = Tensor.empty(shape, dtype, backend);
    backend.binary(kernel, a.buffer, b.buffer, out.buffer, shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
    return out;
  };
}

/** d(a+b) = (g, g) */
export const Add: OpDef = {
  name: 'add',
  forward: forwardBinary('add', 'add'),
  backward: (g, [a, b], _o, _at, needs) => [
    needs[0] ? unbroadcast(g, a.shape) : null,
    needs[1] ? unbroadcast(g, b.shape) : null,
  ],
};

/** d(a-b) = (g, -g) */
export const Sub: OpDef = {
  name: 'sub',
  forward: forwardBinary('sub', 'sub'),
  backward: (g, [a, b], _o, _at, needs) => [
    needs[0] ? unbroadcast(g, a.shape) : null,
    needs[1] ? unbroadcast(g.neg(), b.shape) : null,
  ],
};

/** d(a*b) = (g b, g a) */
export const Mul: OpDef = {
  name: 'mul',
  forward: forwardBinary('mul', 'mul'),
  backward: (g, [a, b], _o, _at, needs) => [
    needs[0] ? unbroadcast(g.mul(b), a.shape) : null,
    needs[1] ? unbroadcast(g.mul(a), b.shape) : null,
  ],
};

/** d(a/b) = (g / b, -g a / b²) */
export const Div: OpDef = {
  name: 'div',
  forward: forwardBinary('div', 'div'),
  backward: (g, [a, b], out, _at, needs) => [
    needs[0] ? unbroadcast(g.div(b), a.shape) : null,
    needs[1] ? unbroadcast(g.mul(out).div(b).neg(), b.shape) : null,
  ],
};

/** d max(a,b) = (g [a >= b], g [a < b]): ties send the gradient to a. */
export const Maximum: OpDef = {
  name: 'maximum',
  forward: forwardBinary('maximum', 'maximum'),
  backward: (g, [a, b], _o, _at, needs) => [
    needs[0] ? unbroadcast(g.mul(a.ge(b)), a.shape) : null,
    needs[1] ? unbroadcast(g.mul(a.lt(b)), b.shape) : null,
  ],
};

/** d min(a,b) = (g [a <= b], g [a > b]): ties send the gradient to a. */
export const Minimum: OpDef = {
  name: 'minimum',
  forward: forwardBinary('minimum', 'minimum'),
  backward: (g, [a, b], _o, _at, needs) => [
    needs[0] ? unbroadcast(g.mul(a.le(b)), a.shape) : null,
    needs[1] ? unbroadcast(g.mul(a.gt(b)), b.shape) : null,
  ],
};

function asTensor(x: Tensor | number, like: Tensor): Tensor {
  return typeof x === 'number' ? scalarLike(x, like) : x;
}

function checkOperand(op: string, x: unknown): void {
  if (!(x instanceof Tensor) && typeof x !== 'number') {
    throw new Error(`${op}: operand must be a Tensor or a number, got ${x === null ? 'null' : typeof x}`);
  }
}

export function add(a: Tensor, b: Tensor | number): Tensor {
  checkOperand('add', b);
  return typeof b === 'number' ? unaryOp('addScalar', a, b) : apply(Add, [a, b], undefined);
}
export function sub(a: Tensor, b: Tensor | number): Tensor {
  checkOperand('sub', b);
  return typeof b === 'number' ? unaryOp('addScalar', a, -b) : apply(Sub, [a, b], undefined);
}
export function mul(a: Tensor, b: Tensor | number): Tensor {
  checkOperand('mul', b);
  return typeof b === 'number' ? unaryOp('scale', a, b) : apply(Mul, [a, b], undefined);
}
export function div(a: Tensor, b: Tensor | number): Tensor {
  checkOperand('div', b);
  return apply(Div, [a, asTensor(b, a)], undefined);
}
export function maximum(a: Tensor, b: Tensor | number): Tensor {
  checkOperand('maximum', b);
  return apply(Maximum, [a, asTensor(b, a)], undefined);
}
export function minimum(a: Tensor, b: Tensor | number): Tensor {
  checkOperand('minimum', b);
  return apply(Minimum, [a, asTensor(b, a)], undefined);
}

/** Comparisons: 1 where true, else 0; no gradient flows through them. */
export function compare(kernel: 'gt' | 'ge' | 'lt' | 'le' | 'eq', a: Tensor, b: Tensor | number): Tensor {
  checkOperand(kernel, b);
  return forwardBinary(kernel, kernel)([a, asTensor(b, a)]);
}
