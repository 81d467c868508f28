/**
 * Tensor memory: reference-counted storage, `tidy` scopes and `dispose`.
 *
 * The js backend's arrays are garbage collected, but wasm tensors live in one WebAssembly.Memory
 * that the JS garbage collector does not see. So: every storage is reference counted (reshape
 * and detach share one), `dispose()` releases a tensor now, `tidy(fn)` releases every tensor made
 * inside `fn` except what `fn` returns or `keep()`s, and a FinalizationRegistry releases what
 * was forgotten (late, but never leaked for good). Training loops run each step in `tidy`.
 */
import type { DataBuffer } from './backend.js';

export class Storage {
  private refs = 1;
  constructor(public buffer: DataBuffer | null) {}

  retain(): this {
    if (!this.buffer) throw new Error('storage was already released');
    this.refs++;
    return this;
  }

  release(): void {
    if (!this.buffer) return;
    if (--this.refs === 0) {
      const b = this.buffer;
      this.buffer = null;
      b.backend.free(b);
    }
  }

  get refCount(): number {
    return this.refs;
  }
}

/** Anything `tidy` tracks: a tensor. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
  /**
   * Called when no scope owns the tensor any more (it escaped the outermost tidy or was kept):
   * from then on the garbage-collector safety net must watch it.
   */
  untracked(): void;
}

const finalizer = new FinalizationRegistry<Storage>((s) => s.release());

/** Releases the storage when `owner` is garbage collected without `dispose()`. */
export function watch(owner: object, storage: Storage, token: object): void {
  if (storage.buffer && storage.buffer.backend.name !== 'js') finalizer.register(owner, storage, token);
}

export function unwatch(token: object): void {
  finalizer.unregister(token);
}

interface Scope {
  tracked: Disposable[];
}

const scopes: Scope[] = [];

/**
 * Called for every new tensor: the innermost tidy scope owns it. Returns false outside any scope,
 * where the caller must arrange the garbage-collector safety net itself (`watch`). Tensors inside
 * a scope skip that registration, which costs more than the rest of a small op.
 */
export function track(t: Disposable): boolean {
  const s = scopes[scopes.length - 1];
  if (!s) return false;
  s.tracked.push(t);
  return true;
}

const kept = new WeakSet<Disposable>();

/** Exempts a tensor from every enclosing `tidy` (parameters, optimizer state, leaf gradients). */
export function keep<T extends Disposable>(t: T): T {
  kept.add(t);
  t.untracked();
  return t;
}

/** Collects tensors in a (possibly nested) result value. */
function collect(value: unknown, out: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if ('dispose' in value && 'isDisposed' in value) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

/**
 * Runs `fn`; disposes every tensor created inside it except those returned (found in a returned
 * tensor, array or plain object) and those passed to `keep()`. Returned tensors move to the
 * enclosing scope. Synchronous functions only.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { tracked: [] };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope.tracked) if (!kept.has(t)) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) throw new Error('tidy: the function must be synchronous (it returned a Promise)');
  const keepers = new Set<unknown>();
  collect(result, keepers);
  const parent = scopes[scopes.length - 1];
  for (const t of scope.tracked) {
    if (keepers.has(t)) {
      if (parent) parent.tracked.push(t);
      else t.untracked();
    } else if (!kept.has(t)) {
      t.dispose();
    }
  }
  return result;
}
