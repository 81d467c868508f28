/**
 * The whole autodiff engine, in three parts:
 * - the tape: an op is a forward and a vector-Jacobian product (`OpDef`); `apply` runs the
 *   forward and, when an input wants a gradient, records a node (op, inputs, attrs) on the output;
 * - the walk: `runBackward` (behind `Tensor.backward`) orders the graph depth-first and visits
 *   outputs before inputs, summing each tensor's incoming gradients before passing them on;
 * - gradient ownership: every gradient the walk holds is its own tensor (copied where a VJP hands
 *   back a shared one), freed once passed on; leaf gradients accumulate into `.grad` in place.
 */
import { keep } from './memory.js';
import { fmtShape } from './shape.js';
import { Tensor } from './tensor.js';

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

/**
 * The engine. Orders the graph depth-first, then visits outputs before inputs, summing each
 * tensor's incoming gradients before passing them on through its op's VJP.
 */
export function runBackward(root: Tensor, seed: Tensor | undefined, retainGraph: boolean): void {
  if (!root.requiresGrad) {
    throw new Error('backward(): this tensor does not require grad (no input of its graph has requiresGrad)');
  }
  if (!seed && root.size !== 1) {
    throw new Error(`backward(): tensor of shape ${fmtShape(root.shape)} is not a scalar; pass a seed gradient of that shape`);
  }
  if (seed && (seed.shape.length !== root.shape.length || seed.shape.some((d, i) => d !== root.shape[i]))) {
    throw new Error(`backward(): seed gradient of shape ${fmtShape(seed.shape)} does not match tensor shape ${fmtShape(root.shape)}`);
  }
  if (root.node?.released) throw releasedError(root.node.op.name);

  // Topological order (iterative DFS, post-order).
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i];
      if (child.requiresGrad && !seen.has(child)) {
        if (child.node?.released) throw releasedError(child.node.op.name);
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }

  noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    // The seed is copied so that every gradient in `grads` is owned by this walk.
    const start = seed ? seed.cast(root.dtype) : Tensor.empty(root.shape, root.dtype, root.backend);
    if (!seed) start.backend.fill(start.buffer, 1);
    grads.set(root, start);
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const node = t.node;
      if (!node) {
        accumulateLeafGrad(t, g);
        continue;
      }
      const needs = node.inputs.map((x, i) => x.requiresGrad && !node.op.nondiff?.includes(i));
      const ins = node.op.backward(g, node.inputs, t, node.attrs, needs);
      const stored = new Set<Tensor>();
      node.inputs.forEach((x, i) => {
        const gi = ins[i];
        if (!gi) return;
        if (!needs[i]) {
          if (gi !== g) gi.dispose();
          return;
        }
        // Own every incoming gradient: a VJP may hand back `g` itself, one tensor twice, or a view.
        let own = gi;
        if (gi === g || gi.isShared || stored.has(gi)) {
          own = gi.clone();
          if (gi !== g && !stored.has(gi)) gi.dispose();
        }
        stored.add(own);
        const prev = grads.get(x);
        if (prev) {
          grads.set(x, prev.add(own));
          prev.dispose();
          own.dispose();
        } else {
          grads.set(x, own);
        }
      });
      if (!stored.has(g)) g.dispose();
      if (!retainGraph) {
        node.released = true;
        node.inputs = [];
      }
    }
  });
}

/** Adds g into leaf.grad in place (no allocation once the gradient exists); takes ownership of g. */
function accumulateLeafGrad(leaf: Tensor, g: Tensor): void {
  if (leaf.grad && !leaf.grad.isDisposed) {
    const acc = leaf.grad;
    acc.backend.binary('add', acc.buffer, g.buffer, acc.buffer, [acc.size], [1], [1]);
    g.dispose();
  } else {
    leaf.grad = keep(g.isShared ? g.clone() : g);
    if (leaf.grad !== g) g.dispose();
  }
}

function releasedError(op: string): Error {
  return new Error(
    `backward(): the graph through '${op}' was already released by an earlier backward(); ` +
      'pass { retainGraph: true } to the first backward() to run it twice',
  );
}
