/**
 * The whole autodiff engine, in three parts:
 * - the tape: an op is a forward and a vector-Jacobian product (`OpDef`); `apply` runs the
 *   forward and, when an input wants a gradient, records a node (op, inputs, attrs) on the output;
 * - the walk: `runBackward` (behind `Tensor.backward`) orders the graph depth-first and visits
 *   outputs before inputs, summing each tensor's incoming gradients before passing them on;
 * - gradient ownership: every gradient the walk holds is its own tensor (copied where a VJP hands
 *   back a shared one), freed once passed on; leaf gradients accumulate into `.grad` in place.
 */
import { kindOf } from './describe.js';
import { keep } from './memory.js';
import { fmtShape, sameShape } from './shape.js';
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
  /**
   * Inputs the op's wrapper made for the backward alone (a buffer the forward fills, e.g. linearMish's
   * slope): the recorded output owns them. tidy keeps them wherever it keeps the output; disposing the
   * output disposes them, and so does the backward that has used them (unless it retains the graph).
   */
  readonly owns?: readonly number[];
}

/** Disposes the inputs a node owns (OpDef.owns). */
export function disposeOwned(node: GraphNode): void {
  const owns = node.op.owns;
  if (owns) for (const i of owns) node.inputs[i]?.dispose();
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

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
let debugNonFinite = env?.FISOR_DEBUG_NONFINITE === '1' || env?.FISOR_DEBUG_NONFINITE === 'true';

/**
 * Debug mode (also FISOR_DEBUG_NONFINITE=1): every op's output is scanned, and the first op that
 * produces a NaN or an infinity throws, naming the op, the element and the shapes (and whether
 * an input already held one). Costs one pass over every output; off by default.
 */
export function setDebugNonFinite(on: boolean): void {
  debugNonFinite = on;
}

export function isDebugNonFinite(): boolean {
  return debugNonFinite;
}

function firstNonFinite(t: Tensor): number {
  const v = t.buffer.view();
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return i;
  return -1;
}

function checkFinite(op: OpDef<any>, inputs: readonly Tensor[], out: Tensor): void {
  const i = firstNonFinite(out);
  if (i < 0) return;
  const bad = inputs.map((t, k) => (firstNonFinite(t) >= 0 ? k : -1)).filter((k) => k >= 0);
  const from = bad.length
    ? `input ${bad.join(', ')} already held non-finite values`
    : 'all inputs finite';
  throw new Error(
    `non-finite value (debug mode, setDebugNonFinite / FISOR_DEBUG_NONFINITE): op '${op.name}' produced ` +
      `${out.buffer.view()[i]} at element ${i} of its output ${fmtShape(out.shape)} from inputs ` +
      `${inputs.map((t) => fmtShape(t.shape)).join(', ')} (${from})`,
  );
}

function checkFiniteGrads(op: OpDef<any>, inputs: readonly Tensor[], grads: readonly (Tensor | null)[]): void {
  grads.forEach((g, k) => {
    const i = g ? firstNonFinite(g) : -1;
    if (!g || i < 0) return;
    throw new Error(
      `non-finite value (debug mode, setDebugNonFinite / FISOR_DEBUG_NONFINITE): the backward of op '${op.name}' ` +
        `produced ${g.buffer.view()[i]} at element ${i} of the gradient ${fmtShape(g.shape)} of input ${k} ` +
        `(inputs ${inputs.map((t) => fmtShape(t.shape)).join(', ')})`,
    );
  });
}

/** Runs an op and, if any input wants a gradient, links the output into the graph. */
export function apply<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  if (!gradEnabled) {
    const out = op.forward(inputs, attrs);
    if (debugNonFinite) checkFinite(op, inputs, out);
    return out;
  }
  gradEnabled = false; // a forward never records (it may call other ops internally)
  let out: Tensor;
  try {
    out = op.forward(inputs, attrs);
  } finally {
    gradEnabled = true;
  }
  if (debugNonFinite) checkFinite(op, inputs, out);
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
  // First: dispose() clears requiresGrad, so a disposed loss would otherwise read as "does not require grad".
  if (root.isDisposed) {
    throw new Error('backward(): this tensor was disposed (a tensor made inside tidy() and not returned from it is released when the tidy ends); call backward() inside the tidy, or return the loss from it');
  }
  if (!root.requiresGrad) {
    throw new Error('backward(): this tensor does not require grad (no input of its graph has requiresGrad)');
  }
  // An array (backward([1, 1])) would otherwise fail inside as "cannot read properties of undefined".
  if (seed !== undefined && !(seed instanceof Tensor)) {
    throw new Error(`backward(): the seed gradient must be a Tensor (of shape ${fmtShape(root.shape)}), got ${kindOf(seed)}`);
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
  /** The first input found disposed by tidy while part of the graph. */
  let cut: { op: string; input: Tensor } | null = null;
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i];
      if (child.releasedByScope && !cut) cut = { op: t.node!.op.name, input: child };
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

  // A graph that tidy released before backward reaches no leaf at all: say so rather than
  // leave every gradient null. (A branch cut on purpose, e.g. a target network's output made in
  // its own tidy, still just passes no gradient.)
  if (cut && !order.some((t) => t.node === null)) throw scopeReleasedError(cut.op, cut.input);

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
      if (debugNonFinite) checkFiniteGrads(node.op, node.inputs, ins);
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
        disposeOwned(node);
        node.released = true;
        node.inputs = [];
      }
    }
  });
}

/**
 * Adds g into leaf.grad in place (no allocation once the gradient exists); takes ownership of g.
 * A .grad the user assigned is checked first (O(rank)): the in-place add runs over g's size, so a .grad of
 * another size would be read and written past its end (wasm) and one of another shape would be mislabelled.
 */
function accumulateLeafGrad(leaf: Tensor, g: Tensor): void {
  if (leaf.grad && !leaf.grad.isDisposed) {
    const acc = leaf.grad;
    if (!(acc instanceof Tensor)) {
      g.dispose();
      throw new Error(`backward(): .grad of a leaf of shape ${fmtShape(leaf.shape)} is not a Tensor (got ${typeof acc}); assign a Tensor of that shape or null`);
    }
    if (!sameShape(acc.shape, leaf.shape) || acc.size !== g.size) {
      g.dispose();
      throw new Error(`backward(): .grad of a leaf of shape ${fmtShape(leaf.shape)} has shape ${fmtShape(acc.shape)}; the gradient to add has shape ${fmtShape(g.shape)}`);
    }
    acc.backend.binary('add', acc.buffer, g.buffer, acc.buffer, [acc.size], [1], [1]);
    g.dispose();
  } else {
    leaf.grad = keep(g.isShared ? g.clone() : g);
    if (leaf.grad !== g) g.dispose();
  }
}

function scopeReleasedError(op: string, input: Tensor): Error {
  return new Error(
    `backward(): the graph was released by tidy() before backward() ran: an input of '${op}' ` +
      `(shape ${fmtShape(input.shape)}) was disposed when the tidy that made it returned, so no gradient could ` +
      'reach the parameters. Call backward() inside the tidy, e.g. ' +
      'tidy(() => { const loss = model.forward(x).sum(); loss.backward(); return loss; })',
  );
}

function releasedError(op: string): Error {
  return new Error(
    `backward(): the graph through '${op}' was already released by an earlier backward(); ` +
      'pass { retainGraph: true } to the first backward() to run it twice',
  );
}
