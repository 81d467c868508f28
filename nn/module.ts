/**
 * Module: a tree of named parameters and sub-modules, with train/eval mode and state dicts.
 *
 * Parameters are leaf tensors with `requiresGrad = true`, `.keep()`-ed so that `tidy` scopes never
 * release them. Names are dotted paths in registration order, depth first: 'layers.0.weight'.
 * Everything that writes parameters (`loadStateDict`, `copyFrom`) validates every name and shape
 * first and only then copies, so a failed load leaves the module untouched.
 */
import { fmtShape, sameShape, sizeOf, Tensor, tensor, type DType } from '../core/index.js';

export type StateValue = Tensor | Float32Array | Float64Array;

/** Makes a parameter: a kept leaf tensor with requiresGrad, on the current backend. */
export function makeParameter(data: ArrayLike<number>, shape: readonly number[], dtype: DType = 'float32'): Tensor {
  const t = tensor(data, { shape, dtype });
  t.requiresGrad = true;
  return t.keep();
}

/**
 * Checks that `value` can be copied into `target` (name `name`); returns an error message or null.
 * A Tensor must have the same shape; a typed array must have the same number of values.
 */
function checkValue(name: string, target: Tensor, value: unknown, where: string): string | null {
  if (value instanceof Tensor) {
    if (value.isDisposed) return `${where}: '${name}' is a disposed tensor`;
    const same = sameShape(value.shape, target.shape);
    if (!same) return `${where}: '${name}' has shape ${fmtShape(value.shape)}, expected ${fmtShape(target.shape)}`;
    return null;
  }
  if (value instanceof Float32Array || value instanceof Float64Array) {
    if (value.length !== target.size) {
      return `${where}: '${name}' has ${value.length} values, expected shape ${fmtShape(target.shape)} (${target.size} values)`;
    }
    return null;
  }
  return `${where}: '${name}' is not a Tensor, Float32Array or Float64Array`;
}

/** Copies numbers into `target` in place (its buffer; the graph is not touched). */
export function writeInto(target: Tensor, value: StateValue): void {
  const src = value instanceof Tensor ? value.buffer.view() : value;
  target.backend.write(target.buffer, src);
}

/**
 * Validates then copies a whole state dict into `targets` (all or nothing).
 * strict (default): every target name must be present and no extra names may be given.
 */
export function loadInto(
  targets: Record<string, Tensor>, sd: Record<string, StateValue>, where: string, strict = true,
): void {
  if (sd === null || typeof sd !== 'object') throw new Error(`${where}: state dict must be an object`);
  const errors: string[] = [];
  const names = Object.keys(targets);
  for (const name of names) {
    if (!Object.hasOwn(sd, name)) {
      if (strict) errors.push(`${where}: missing '${name}' (expected shape ${fmtShape(targets[name].shape)})`);
      continue;
    }
    const msg = checkValue(name, targets[name], sd[name], where);
    if (msg) errors.push(msg);
  }
  if (strict) {
    for (const name of Object.keys(sd)) {
      if (!Object.hasOwn(targets, name)) errors.push(`${where}: unexpected '${name}' (known: ${names.join(', ')})`);
    }
  }
  if (errors.length) throw new Error(errors.join('\n'));
  for (const name of names) if (Object.hasOwn(sd, name)) writeInto(targets[name], sd[name]);
}

export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Sets training mode (default on) here and in every sub-module. */
  train(on = true): this {
    this.training = on;
    for (const c of this.children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  protected registerParameter(name: string, t: Tensor): Tensor {
    if (this.params.has(name) || this.children.has(name)) throw new Error(`Module: name '${name}' is already registered`);
    t.requiresGrad = true;
    t.keep();
    this.params.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    if (this.params.has(name) || this.children.has(name)) throw new Error(`Module: name '${name}' is already registered`);
    this.children.set(name, m);
    return m;
  }

  /** A registered parameter of this module by its local name (throws if none). */
  protected param(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`${this.constructor.name}: no parameter '${name}'`);
    return t;
  }

  /** Whether this module registered a parameter with this local name. */
  protected hasParam(name: string): boolean {
    return this.params.has(name);
  }

  /**
   * Runs `fn` with some parameters replaced by other tensors (same shapes), by dotted name, and
   * restores the originals afterwards (like torch.func.functional_call). Lets a gradcheck or a
   * meta-gradient differentiate with respect to tensors the module does not own.
   */
  withParameters<T>(replacements: Record<string, Tensor>, fn: () => T): T {
    const swaps: [Map<string, Tensor>, string, Tensor][] = [];
    try {
      for (const [path, t] of Object.entries(replacements)) {
        const parts = path.split('.');
        let m: Module = this;
        let k = 0;
        // Child names may contain dots ('layers.0'): match the longest registered prefix.
        while (k < parts.length - 1) {
          let found: Module | undefined;
          let used = 0;
          for (let j = parts.length - 1; j > k; j--) {
            const c = m.children.get(parts.slice(k, j).join('.'));
            if (c) {
              found = c;
              used = j - k;
              break;
            }
          }
          if (!found) break;
          m = found;
          k += used;
        }
        const local = parts.slice(k).join('.');
        const cur = m.params.get(local);
        if (!cur) throw new Error(`withParameters: no parameter '${path}'`);
        if (!(t instanceof Tensor) || !sameShape(t.shape, cur.shape)) {
          throw new Error(`withParameters: '${path}' must be a Tensor of shape ${fmtShape(cur.shape)}`);
        }
        swaps.push([m.params, local, cur]);
        m.params.set(local, t);
      }
      return fn();
    } finally {
      for (let i = swaps.length - 1; i >= 0; i--) swaps[i][0].set(swaps[i][1], swaps[i][2]);
    }
  }

  /** Direct sub-modules, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.children.entries()];
  }

  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.params) out.push([n, p]);
    for (const [cn, c] of this.children) for (const [n, p] of c.namedParameters()) out.push([`${cn}.${n}`, p]);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** The parameters by name (the live tensors, not copies). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copies values into the parameters in place. Checks every name (strict: none missing, none
   * extra) and every shape first; on any error throws naming them all and changes nothing.
   */
  loadStateDict(sd: Record<string, StateValue>, opts: { strict?: boolean } = {}): void {
    loadInto(this.stateDict(), sd, `${this.constructor.name}.loadStateDict`, opts.strict ?? true);
  }

  /** Drops every parameter's gradient (sets it to null, like PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      if (p.grad) p.grad.dispose();
      p.grad = null;
    }
  }

  /** Copies all parameters of `other` (same architecture) into this one, in place. */
  copyFrom(other: this): void {
    loadInto(this.stateDict(), other.stateDict(), `${this.constructor.name}.copyFrom`, true);
  }
}

/** Kept for nn's users: the shape helpers are core's (core/shape.ts). */
export { fmtShape, sizeOf as sizeOfShape };
