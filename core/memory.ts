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

/** Bytes of live wasm storage, and of those no tidy scope owns (neither in a scope nor kept). */
let wasmLiveBytes = 0;
let wasmUnscopedBytes = 0;
let warnBytes = 256 * 1024 * 1024;
let warned = false;

/**
 * Live wasm bytes above which `memoryWarning` fires (once) when most of them are in tensors no
 * tidy scope owns. Default 256 MiB; also re-arms the warning (tests).
 */
export function setMemoryWarningBytes(bytes: number): void {
  warnBytes = bytes;
  warned = false;
}

/** Live wasm tensor bytes: all, and those in tensors no tidy scope owns (and not kept). */
export function wasmMemoryInUse(): { liveBytes: number; unscopedBytes: number } {
  return { liveBytes: wasmLiveBytes, unscopedBytes: wasmUnscopedBytes };
}

function memoryWarning(): void {
  if (warned || wasmLiveBytes <= warnBytes || wasmUnscopedBytes * 2 <= wasmLiveBytes) return;
  warned = true;
  const mb = (n: number) => `${Math.round(n / (1024 * 1024))} MB`;
  console.warn(
    `fisor-ts: ${mb(wasmLiveBytes)} of wasm tensor memory is live, ${mb(wasmUnscopedBytes)} of it in tensors that ` +
      'no tidy() scope owns. Outside tidy a tensor is freed only by dispose() or, late, by the garbage ' +
      "collector's finalizer, which does not run inside a synchronous loop: run each step in " +
      'tidy(() => ...) (and keep() what must outlive it). This warning is shown once.',
  );
}

export class Storage {
  private refs = 1;
  /** Bytes counted in wasmLiveBytes (wasm storages only, else 0). */
  readonly bytes: number;
  /** @internal Counted in wasmUnscopedBytes. */
  unscoped = false;
  constructor(public buffer: DataBuffer | null) {
    // Every wasm backend ('wasm', 'wasm-fma') keeps float32 buffers in its linear memory.
    this.bytes = buffer !== null && buffer.backend.name.startsWith('wasm') ? buffer.length * 4 : 0;
    wasmLiveBytes += this.bytes;
  }

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
      wasmLiveBytes -= this.bytes;
      if (this.unscoped) wasmUnscopedBytes -= this.bytes;
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
   * Tensors that live and die with this one (a saved buffer its op's backward reads): tidy and keep()
   * keep them wherever they keep this tensor.
   */
  companions?(): readonly Disposable[];
  /**
   * Called when no scope owns the tensor any more (it escaped the outermost tidy or was kept):
   * from then on the garbage-collector safety net must watch it.
   */
  untracked(): void;
}

/** Tensors exempted from tidy (parameters, optimizer state): owned on purpose, not 'unscoped'. */
const kept = new WeakSet<Disposable>();

const finalizer = new FinalizationRegistry<Storage>((s) => s.release());

/** Releases the storage when `owner` is garbage collected without `dispose()`. */
export function watch(owner: object, storage: Storage, token: object): void {
  if (!storage.buffer || storage.buffer.backend.name === 'js') return;
  finalizer.register(owner, storage, token);
  if (!storage.unscoped && !kept.has(owner as Disposable)) {
    storage.unscoped = true;
    wasmUnscopedBytes += storage.bytes;
    memoryWarning();
  }
}

export function isKept(t: Disposable): boolean {
  return kept.has(t);
}

/** A storage whose tensor was kept: owned on purpose, no longer counted as unscoped. */
export function owned(storage: Storage): void {
  if (!storage.unscoped) return;
  storage.unscoped = false;
  wasmUnscopedBytes -= storage.bytes;
}

export function unwatch(token: object): void {
  finalizer.unregister(token);
}

interface Scope {
  tracked: Disposable[];
}

const scopes: Scope[] = [];

/** True while tidy() disposes the tensors of a scope that ended (see Tensor.releasedByScope). */
let scopeDisposing = false;

export function isScopeDisposing(): boolean {
  return scopeDisposing;
}

function disposeScope(tensors: Iterable<Disposable>, except: (t: Disposable) => boolean): void {
  scopeDisposing = true;
  try {
    for (const t of tensors) if (!except(t)) t.dispose();
  } finally {
    scopeDisposing = false;
  }
}

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


/** Exempts a tensor from every enclosing `tidy` (parameters, optimizer state, leaf gradients). */
export function keep<T extends Disposable>(t: T): T {
  kept.add(t);
  t.untracked();
  const companions = t.companions?.();
  if (companions) for (const c of companions) keep(c);
  return t;
}

/** Deepest nesting of arrays / plain objects searched for returned tensors (deeper is an error, not a silent dispose). */
const MAX_RESULT_DEPTH = 32;

/** Collects tensors in a (possibly nested) result value. */
function collect(value: unknown, out: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_RESULT_DEPTH) throw new Error(`tidy: the returned value nests arrays / objects more than ${MAX_RESULT_DEPTH} levels deep; tensors there would be disposed: return a flatter value`);
  if ('dispose' in value && 'isDisposed' in value) {
    out.add(value);
    const companions = (value as Disposable).companions?.();
    if (companions) for (const c of companions) out.add(c);
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
    disposeScope(scope.tracked, (t) => kept.has(t));
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
    }
  }
  disposeScope(scope.tracked, (t) => keepers.has(t) || kept.has(t));
  return result;
}
