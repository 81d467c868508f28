/**
 * The autodiff core: an op is a forward and a vector-Jacobian product; `apply` runs the forward
 * and, when gradients are wanted, records a node on the output; `Tensor.backward` walks the
 * nodes in reverse topological order (see `runBackward`).
 */
import type { Tensor } from './tensor.js';

/** One differentiable op: forward on tensors, and its vector-Jacobian product. */
export interface OpDef<A = unknown> {
  readonly name: string;
  /** Computes the output (kernels only; nothing here is recorded). */
  forward(inputs: readonly Tensor[], attrs: A): Tensor;
  /**
   * Given g = dL/dout, returns dL/dinput for each input (null where not needed). Runs with
   * gradient recording off, so it may use any tensor op.
   */
  backward(g: Tensor, inputs: readonly Tensor[], out: Tensor, attrs: A, needs: readonly boolean[]): (Tensor | null)[];
  /** Inputs that are never differentiated (conditions, indices). */
  readonly nondiff?: readonly number[];
}

/** What a recorded output remembers: the op, its inputs and attributes. */
export interface GraphNode {
  readonly op: OpDef<any>;
  inputs: readonly Tensor[];
  readonly attrs: unknown;
  released: boolean;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording any graph (inference, optimizer updates, target networks). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** A tape entry for `audit`: float64 copies of the inputs taken when the op ran. */
export interface TapeEntry {
  op: OpDef<any>;
  attrs: unknown;
  inputs: { shape: number[]; data: Float64Array; differentiable: boolean }[];
}

let tape: TapeEntry[] | null = null;

export function startTape(): TapeEntry[] {
  if (tape) throw new Error('audit: an audit is already running (audits do not nest)');
  tape = [];
  return tape;
}

export function stopTape(): void {
  tape = null;
}

/** Runs an op and, if any input wants a gradient, links the output into the graph. */
export function apply<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  if (!gradEnabled) return op.forward(inputs, attrs);
  gradEnabled = false; // a forward never records (it may call other ops internally)
  let out: Tensor;
  try {
    out = op.forward(inputs, attrs);
  } finally {
    gradEnabled = true;
  }
  const needs = inputs.some((t, i) => t.requiresGrad && !op.nondiff?.includes(i));
  if (!needs) return out;
  out.requiresGrad = true;
  out.node = { op, inputs, attrs, released: false };
  if (tape) {
    tape.push({
      op,
      attrs,
      inputs: inputs.map((t, i) => ({
        shape: [...t.shape],
        data: Float64Array.from(t.toFlatArray()),
        differentiable: t.requiresGrad && !op.nondiff?.includes(i),
      })),
    });
  }
  return out;
}
