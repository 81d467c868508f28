/**
 * The `wasm` backend: our AssemblyScript kernels (core/wasm/assembly/index.ts) compiled to
 * WebAssembly SIMD128, with every float32 tensor living in one WebAssembly.Memory.
 *
 * - Memory: a bump pointer over the module's memory plus exact-size free lists (16-byte blocks),
 *   so a training loop that reallocates the same sizes every step allocates nothing new.
 *   Buffers must be given back with `free` (core/memory.ts does it for tensors, with a
 *   FinalizationRegistry for forgotten ones); the backend itself keeps no registry.
 * - Kernels take byte pointers; the JS side only classifies strides and calls one export.
 *   Strided ops write collapsed shape / strides into a small static area of the memory.
 * - float64 is not supported (`supports('float64')` is false): the registry routes it to `js`.
 *   A buffer from another backend handed to a kernel makes that call use the js reference.
 * - `matmulBiasAct`: bias + activation in the GEMM epilogue (the fused linear op).
 * - Threads (`{ threads: 2 }` or FISOR_WASM_THREADS=2): the memory is a shared one and a worker
 *   (wasm-worker.ts) running the same kernels takes chunks of large products; results are
 *   bit-identical to one thread.
 *
 * See docs/WASM_DESIGN.md.
 */
import type {
  AdamParams, Backend, BinaryOp, DataBuffer, DType, FusedActivation, ReduceOp, UnaryOp,
} from '../backend.js';
import { matmulBiasActReference } from '../backend.js';
import { kernelsMtWasmBase64, kernelsWasmBase64 } from '../wasm/generated/kernels.js';
import { jsKernels } from './js.js';
import { CTL_ARGS, WasmHelperThread } from './wasm-worker.js';

/** The exports of core/wasm/assembly/index.ts (pointers are byte offsets). */
interface Kernels {
  memory: WebAssembly.Memory;
  metaPtr(): number;
  heapBase(): number;
  unary(op: number, x: number, out: number, n: number, p0: number, p1: number): void;
  unaryGrad(op: number, x: number, y: number, g: number, out: number, n: number, p0: number, p1: number): void;
  binaryFlat(op: number, a: number, b: number, out: number, n: number, sa: number, sb: number): void;
  binaryStrided(op: number, a: number, b: number, out: number, nd: number): void;
  whereStrided(c: number, a: number, b: number, out: number, nd: number): void;
  copyStrided(src: number, dst: number, nd: number): void;
  addStrided(src: number, dst: number, nd: number): void;
  reduce(op: number, x: number, out: number, outer: number, mid: number, inner: number): void;
  gatherRows(x: number, idx: number, nIdx: number, out: number, rowSize: number, nRows: number): number;
  scatterAddRows(g: number, idx: number, nIdx: number, out: number, rowSize: number, nRows: number): number;
  adam(
    p: number, g: number, m: number, v: number, n: number,
    beta1: number, beta2: number, c1: number, c2: number, lr1: number, ibc2: number, eps: number, decay: number, l2: number,
  ): void;
  lerp(dst: number, src: number, n: number, t: number): void;
  fill(out: number, n: number, value: number): void;
  matmul(
    a: number, b: number, c: number, batch: number, m: number, n: number, k: number,
    transA: number, transB: number, aBS: number, bBS: number, acc: number, pack: number,
  ): void;
  matmulPart(
    a: number, b: number, c: number, t0: number, t1: number, m: number, n: number, k: number,
    i0: number, i1: number, j0: number, j1: number,
    transA: number, transB: number, aBS: number, bBS: number, acc: number, pack: number,
    bias: number, biasBS: number, act: number,
  ): void;
  setTmp(p: number): void;
}

const UNARY: Record<UnaryOp, number> = {
  copy: 0, neg: 1, exp: 2, log: 3, sqrt: 4, square: 5, abs: 6, sign: 7, tanh: 8, sigmoid: 9,
  softplus: 10, relu: 11, mish: 12, sin: 13, cos: 14, pow: 15, clamp: 16, scale: 17,
  addScalar: 18, reciprocal: 19, step: 20,
};
const BINARY: Record<BinaryOp, number> = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, gt: 6, ge: 7, lt: 8, le: 9, eq: 10,
};
const REDUCE: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2 };

/** Dims the wasm strided walkers accept after collapsing (core/wasm/assembly MAXD). */
const MAXD = 8;
/** The GEMM's K block (core/wasm/assembly KC). */
const KC = 256;
const PAGE = 65536;

function decodeBase64(s: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(s, 'base64'));
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let kernelModule: WebAssembly.Module | null = null;
function getModule(): WebAssembly.Module {
  if (!kernelModule) kernelModule = new WebAssembly.Module(decodeBase64(kernelsWasmBase64) as BufferSource);
  return kernelModule;
}
let kernelMtModule: WebAssembly.Module | null = null;
/** The kernels-mt build: imports a shared memory (env.memory) so that a worker can share it. */
function getMtModule(): WebAssembly.Module {
  if (!kernelMtModule) kernelMtModule = new WebAssembly.Module(decodeBase64(kernelsMtWasmBase64) as BufferSource);
  return kernelMtModule;
}
/** Maximum pages of the shared memory (4 GiB, as the module declares). */
const MT_MAX_PAGES = 65536;

/**
 * Threads the wasm backend uses by default: $FISOR_WASM_THREADS if set (1 or 2; more are capped
 * at 2), else DEFAULT_THREADS_NODE in Node when the machine has at least 2 cores, else 1.
 * DEFAULT_THREADS_NODE is 1. Two threads are faster with a core to spare (MLP step 5.5 -> 3.5 ms,
 * denoiser 77 -> 50 ms; BENCHMARKS.md), but a results run hung once in the two-thread hand-off
 * (a stale worker reported the wrong job; fixed with job ids, see wasm-worker.ts) and that race
 * cannot be provoked deterministically in a test, so threads stay opt-in: FISOR_WASM_THREADS=2.
 */
const DEFAULT_THREADS_NODE: number = 1;
export function defaultWasmThreads(): number {
  const proc = (globalThis as {
    process?: { env?: Record<string, string | undefined>; versions?: { node?: string }; getBuiltinModule?: (n: string) => unknown };
  }).process;
  const env = proc?.env?.FISOR_WASM_THREADS;
  if (env !== undefined && env !== '') {
    const t = Number(env);
    if (!Number.isInteger(t) || t < 1) throw new Error(`FISOR_WASM_THREADS must be a positive integer, got '${env}'`);
    return Math.min(t, 2);
  }
  if (!proc?.versions?.node) return 1;
  const os = proc.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  const cores = os?.availableParallelism?.() ?? 1;
  return cores >= 2 ? DEFAULT_THREADS_NODE : 1;
}

/** Stops the worker of a backend that was garbage collected without closeThreads(). */
const helperReaper = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<WasmHelperThread>((h) => h.close())
  : null;

/** Chunks a split product is cut into (both threads claim them dynamically). */
const CHUNKS = 8;

/** Products below this many multiply-adds (batch m n k) run on one thread (see WASM_DESIGN.md). */
export const THREAD_MIN_MACS = 1 << 18;

/** Options for `new WasmBackend(opts)`. */
export interface WasmBackendOptions {
  /** 1: one thread (own memory); 2: a worker shares the memory. Default: defaultWasmThreads(). */
  threads?: number;
  /** Multiply-adds below which a product is not split (default THREAD_MIN_MACS). */
  threadMinMacs?: number;
  /** Node: ms to wait at construction for the worker to start (default 5000); 0 = do not wait. */
  threadStartMs?: number;
  /** Atomics.load spins the worker makes after a job before it sleeps (default 0: it sleeps at once; the main thread never waits for it to wake, see wasm-worker.ts). */
  workerSpin?: number;
}

/** (module (func (result v128) v128.const i32x4 0 0 0 0)) */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // func 0 : type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code: v128.const
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0x0b,
]);

let simdOk: boolean | null = null;
/** Whether this engine runs WebAssembly SIMD128 (and so the `wasm` backend). */
export function wasmSimdAvailable(): boolean {
  if (simdOk === null) {
    try {
      simdOk = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simdOk = false;
    }
  }
  return simdOk;
}

class WasmBuffer implements DataBuffer {
  readonly dtype: DType = 'float32';
  /** Byte offset of the block in the memory; -1 once freed. */
  ptr: number;
  private cached: Float32Array | null = null;
  constructor(
    readonly backend: WasmBackend,
    readonly length: number,
    ptr: number,
    /** Block size in bytes (the free-list key). */
    readonly bytes: number,
  ) {
    this.ptr = ptr;
  }
  view(): Float32Array {
    if (this.ptr < 0) throw new Error('wasm buffer used after free');
    const heap = this.backend.heap;
    let v = this.cached;
    if (v === null || v.buffer !== heap) v = this.cached = new Float32Array(heap, this.ptr, this.length);
    return v;
  }
  /** @internal */
  release(): void {
    this.ptr = -1;
    this.cached = null;
  }
}

interface Block {
  ptr: number;
  bytes: number;
}

/** Memory usage of a WasmBackend. */
export interface WasmMemoryStats {
  /** Size of the WebAssembly.Memory in bytes. */
  memoryBytes: number;
  /** Bytes handed out from the bump region so far (live + pooled). */
  arenaBytes: number;
  /** Bytes sitting in free lists. */
  pooledBytes: number;
  /** Number of blocks in free lists. */
  pooledBlocks: number;
}

export class WasmBackend implements Backend {
  readonly name: string = 'wasm';
  /** @internal The memory's current ArrayBuffer (replaced when the memory grows). */
  heap: ArrayBuffer;
  private readonly k: Kernels;
  private readonly memory: WebAssembly.Memory;
  private i32: Int32Array;
  private readonly meta: number; // i32 index of the META area
  private top: number;
  private readonly pools = new Map<number, number[]>();
  private pooledBytes = 0;
  private pooledBlocks = 0;
  private pack: Block = { ptr: 0, bytes: 0 };
  private pack2: Block = { ptr: 0, bytes: 0 };
  private idx: Block = { ptr: 0, bytes: 0 };
  /** matmulPart for the main thread's chunks, with its own pack scratch in place of the worker's. */
  private readonly mainKernels = {
    pack: 0,
    k: null as unknown as Kernels,
    matmulPart(...a: number[]): void {
      this.k.matmulPart(
        a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16],
        this.pack, a[18], a[19], a[20],
      );
    },
  };
  /** The helper thread (threads = 2), or null. */
  private helper: WasmHelperThread | null = null;
  private helperReady = false;
  private readonly minMacs: number;
  /** Threads requested (1 or 2); the worker may still be starting (see threadsActive). */
  readonly threads: number;

  constructor(opts: WasmBackendOptions = {}) {
    if (!wasmSimdAvailable()) throw new Error('wasm backend: WebAssembly SIMD128 is not available here');
    const threads = Math.max(1, Math.min(2, Math.floor(opts.threads ?? defaultWasmThreads())));
    this.minMacs = opts.threadMinMacs ?? THREAD_MIN_MACS;
    const abort = (): never => {
      throw new Error('wasm kernel abort');
    };
    let memory: WebAssembly.Memory | null = null;
    let module = getModule();
    if (threads > 1 && typeof SharedArrayBuffer === 'function') {
      try {
        memory = new WebAssembly.Memory({ initial: 1, maximum: MT_MAX_PAGES, shared: true });
        module = getMtModule();
      } catch {
        memory = null; // no shared memory here (e.g. a browser page without cross-origin isolation)
        module = getModule();
      }
    }
    const inst = new WebAssembly.Instance(module, memory ? { env: { memory, abort } } : { env: { abort } });
    this.k = inst.exports as unknown as Kernels;
    this.mainKernels.k = this.k;
    this.memory = memory ?? this.k.memory;
    this.heap = this.memory.buffer;
    this.i32 = new Int32Array(this.heap);
    this.meta = this.k.metaPtr() >> 2;
    this.top = (this.k.heapBase() + 63) & ~63;
    this.threads = memory ? threads : 1;
    if (memory) {
      try {
        const tmp = this.takeBlock(64);
        this.helper = new WasmHelperThread({ module, memory, tmp, spin: opts.workerSpin ?? 0 });
        helperReaper?.register(this, this.helper, this);
        const wait = opts.threadStartMs ?? 5000;
        if (wait > 0) this.helperReady = this.helper.waitReady(wait);
      } catch {
        this.helper = null;
      }
    }
  }

  /** Whether products are being split with the worker now (false while it starts, or with 1 thread). */
  get threadsActive(): boolean {
    return this.helper !== null && (this.helperReady || (this.helperReady = this.helper.ready));
  }

  /** Stops the worker thread; the backend keeps working on one thread. */
  closeThreads(): void {
    helperReaper?.unregister(this);
    this.helper?.close();
    this.helper = null;
    this.helperReady = false;
  }

  supports(dtype: DType): boolean {
    return dtype === 'float32';
  }

  // ------------------------------------------------------------------ memory

  private grow(needTop: number): void {
    const have = this.heap.byteLength;
    if (needTop <= have) return;
    // Grow by at least 1/4 of the current size to keep the number of grows small.
    const need = Math.ceil((needTop - have) / PAGE);
    const pages = Math.max(need, Math.min(Math.ceil(have / PAGE / 4), 65536 - have / PAGE));
    try {
      this.memory.grow(pages);
    } catch {
      try {
        this.memory.grow(need);
      } catch (e) {
        throw new RangeError(`wasm backend: cannot grow memory to ${needTop} bytes (${(e as Error).message})`);
      }
    }
    this.heap = this.memory.buffer;
    this.i32 = new Int32Array(this.heap);
  }

  private takeBlock(bytes: number): number {
    const list = this.pools.get(bytes);
    if (list !== undefined && list.length > 0) {
      this.pooledBytes -= bytes;
      this.pooledBlocks--;
      return list.pop()!;
    }
    const ptr = this.top;
    this.grow(ptr + bytes);
    this.top = ptr + bytes;
    return ptr;
  }

  private putBlock(ptr: number, bytes: number): void {
    let list = this.pools.get(bytes);
    if (list === undefined) this.pools.set(bytes, (list = []));
    list.push(ptr);
    this.pooledBytes += bytes;
    this.pooledBlocks++;
  }

  alloc(length: number, dtype: DType): DataBuffer {
    if (dtype !== 'float32') throw new Error(`wasm backend: dtype ${dtype} is not supported (float32 only)`);
    if (!(length >= 0) || !Number.isInteger(length)) throw new RangeError(`wasm backend: bad length ${length}`);
    const bytes = Math.ceil(length / 4) * 16 || 16;
    const ptr = this.takeBlock(bytes);
    const buf = new WasmBuffer(this, length, ptr, bytes);
    return buf;
  }

  free(buf: DataBuffer): void {
    if (!(buf instanceof WasmBuffer) || buf.backend !== this) {
      throw new Error('wasm backend: free() of a buffer this backend did not allocate');
    }
    if (buf.ptr < 0) throw new Error('wasm backend: double free');
    this.putBlock(buf.ptr, buf.bytes);
    buf.release();
  }

  /** Memory in use; for diagnostics and tests. */
  memoryStats(): WasmMemoryStats {
    return {
      memoryBytes: this.heap.byteLength,
      arenaBytes: this.top,
      pooledBytes: this.pooledBytes,
      pooledBlocks: this.pooledBlocks,
    };
  }

  /** A scratch block of at least `bytes`, kept between calls. */
  private scratch(s: Block, bytes: number): number {
    if (s.bytes < bytes) {
      if (s.bytes > 0) this.putBlock(s.ptr, s.bytes);
      const size = Math.ceil(Math.max(bytes, s.bytes * 2) / 16) * 16;
      s.ptr = this.takeBlock(size);
      s.bytes = size;
    }
    return s.ptr;
  }

  /** Byte pointer of one of our live buffers, or -1 if the buffer is not ours. */
  private p(b: DataBuffer): number {
    if (b.backend !== this) return -1;
    const ptr = (b as WasmBuffer).ptr;
    if (ptr < 0) throw new Error('wasm buffer used after free');
    return ptr;
  }

  /**
   * Collapses shape and up to three stride vectors into META (dropping size-1 dims, merging
   * dims that are contiguous for every operand). Returns the number of dims, 0 for an empty
   * index space, -1 if more than MAXD remain.
   */
  private collapse(
    shape: readonly number[], s1: readonly number[], s2: readonly number[] | null, s3: readonly number[] | null,
  ): number {
    const m = this.i32;
    const base = this.meta;
    let nd = 0;
    for (let d = 0; d < shape.length; d++) {
      const size = shape[d];
      if (size === 0) return 0;
      if (size === 1) continue;
      const a = s1[d];
      const b = s2 === null ? 0 : s2[d];
      const c = s3 === null ? 0 : s3[d];
      if (nd > 0) {
        const q = base + nd - 1;
        if (m[q + MAXD] === a * size && m[q + 2 * MAXD] === b * size && m[q + 3 * MAXD] === c * size) {
          m[q] *= size;
          m[q + MAXD] = a;
          m[q + 2 * MAXD] = b;
          m[q + 3 * MAXD] = c;
          continue;
        }
      }
      if (nd === MAXD) return -1;
      const q = base + nd;
      m[q] = size;
      m[q + MAXD] = a;
      m[q + 2 * MAXD] = b;
      m[q + 3 * MAXD] = c;
      nd++;
    }
    if (nd === 0) {
      m[base] = 1;
      m[base + MAXD] = 0;
      m[base + 2 * MAXD] = 0;
      m[base + 3 * MAXD] = 0;
      nd = 1;
    }
    return nd;
  }

  // ------------------------------------------------------------------ kernels

  fill(out: DataBuffer, value: number): void {
    const po = this.p(out);
    if (po < 0) return jsKernels.fill(out, value);
    this.k.fill(po, out.length, value);
  }

  write(out: DataBuffer, data: ArrayLike<number>, offset = 0): void {
    out.view().set(data, offset);
  }

  unary(op: UnaryOp, x: DataBuffer, out: DataBuffer, p0 = 0, p1 = 0): void {
    const px = this.p(x);
    const po = this.p(out);
    if (px < 0 || po < 0) return jsKernels.unary(op, x, out, p0, p1);
    this.k.unary(UNARY[op], px, po, x.length, p0, p1);
  }

  unaryGrad(
    op: UnaryOp, x: DataBuffer, y: DataBuffer, g: DataBuffer, out: DataBuffer, p0 = 0, p1 = 0,
  ): void {
    const px = this.p(x);
    const py = this.p(y);
    const pg = this.p(g);
    const po = this.p(out);
    if (px < 0 || py < 0 || pg < 0 || po < 0) return jsKernels.unaryGrad(op, x, y, g, out, p0, p1);
    this.k.unaryGrad(UNARY[op], px, py, pg, po, x.length, p0, p1);
  }

  binary(
    op: BinaryOp, a: DataBuffer, b: DataBuffer, out: DataBuffer,
    shape: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
  ): void {
    const pa = this.p(a);
    const pb = this.p(b);
    const po = this.p(out);
    if (pa < 0 || pb < 0 || po < 0) return jsKernels.binary(op, a, b, out, shape, aStrides, bStrides);
    const code = BINARY[op];
    // Fast classification: each side dense (row-major contiguous) or a broadcast scalar.
    let total = 1;
    let denseA = true;
    let denseB = true;
    let zeroA = true;
    let zeroB = true;
    for (let d = shape.length - 1; d >= 0; d--) {
      const s = shape[d];
      if (s !== 1) {
        const sa = aStrides[d];
        const sb = bStrides[d];
        if (sa !== total) denseA = false;
        if (sb !== total) denseB = false;
        if (sa !== 0) zeroA = false;
        if (sb !== 0) zeroB = false;
      }
      total *= s;
    }
    if (total === 0) return;
    if (denseA) {
      if (denseB) return this.k.binaryFlat(code, pa, pb, po, total, 1, 1);
      if (zeroB) return this.k.binaryFlat(code, pa, pb, po, total, 1, 0);
    } else if (zeroA && denseB) {
      return this.k.binaryFlat(code, pa, pb, po, total, 0, 1);
    }
    const nd = this.collapse(shape, aStrides, bStrides, null);
    if (nd < 0) return jsKernels.binary(op, a, b, out, shape, aStrides, bStrides);
    this.k.binaryStrided(code, pa, pb, po, nd);
  }

  where(
    cond: DataBuffer, a: DataBuffer, b: DataBuffer, out: DataBuffer, shape: readonly number[],
    condStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
  ): void {
    const pc = this.p(cond);
    const pa = this.p(a);
    const pb = this.p(b);
    const po = this.p(out);
    const nd = pc < 0 || pa < 0 || pb < 0 || po < 0 ? -1 : this.collapse(shape, condStrides, aStrides, bStrides);
    if (nd < 0) return jsKernels.where(cond, a, b, out, shape, condStrides, aStrides, bStrides);
    if (nd === 0) return;
    this.k.whereStrided(pc, pa, pb, po, nd);
  }

  matmul(
    a: DataBuffer, b: DataBuffer, out: DataBuffer,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
    accumulate = false,
  ): void {
    const pa = this.p(a);
    const pb = this.p(b);
    const pc = this.p(out);
    if (pa < 0 || pb < 0 || pc < 0) {
      return jsKernels.matmul(a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride, accumulate);
    }
    this.gemm(pa, pb, pc, batch, m, n, k, transA, transB, aBatchStride, bBatchStride, accumulate, 0, 0, -1);
  }

  matmulBiasAct(
    a: DataBuffer, b: DataBuffer, bias: DataBuffer | null, out: DataBuffer,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, biasBatchStride: number,
    act: FusedActivation,
  ): void {
    const pa = this.p(a);
    const pb = this.p(b);
    const pc = this.p(out);
    const pbias = bias === null ? 0 : this.p(bias);
    if (pa < 0 || pb < 0 || pc < 0 || pbias < 0) {
      return matmulBiasActReference(this, a, b, bias, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride, biasBatchStride, act);
    }
    const code = act === 'none' ? -1 : UNARY[act];
    this.gemm(pa, pb, pc, batch, m, n, k, transA, transB, aBatchStride, bBatchStride, false, pbias, biasBatchStride, code);
  }

  private gemm(
    pa: number, pb: number, pc: number, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, accumulate: boolean,
    pbias: number, biasBS: number, act: number,
  ): void {
    if (batch <= 0 || m <= 0 || n <= 0) return;
    const packSize = Math.ceil(n / 8) * 32 * Math.max(1, Math.min(k, KC)) + 16 * KC;
    const pack = this.scratch(this.pack, packSize);
    const tA = transA ? 1 : 0;
    const tB = transB ? 1 : 0;
    const acc = accumulate ? 1 : 0;
    if (this.helper !== null && batch * m * n * k >= this.minMacs && this.threadsActive) {
      // Chunks on tile boundaries (8-wide column panels, rows by 4, or batch items), about 4 per
      // thread, claimed dynamically by both threads (see wasm-worker.ts). Each element of C is
      // computed exactly as by the single-threaded kernel.
      const np = (n + 7) >> 3;
      let mode = -1, cs = 0, chunks = 0;
      if (np >= 2) {
        mode = 0;
        cs = Math.ceil(np / Math.min(np, CHUNKS)) * 8;
        chunks = Math.ceil(n / cs);
      } else if (m >= 8) {
        const groups = (m + 3) >> 2;
        mode = 1;
        cs = Math.ceil(groups / Math.min(groups, CHUNKS)) * 4;
        chunks = Math.ceil(m / cs);
      } else if (batch >= 2) {
        mode = 2;
        cs = 1;
        chunks = batch;
      }
      if (chunks >= 2) {
        // Take the worker's scratch first: taking it may grow the memory, never while it runs.
        const pack2 = this.scratch(this.pack2, packSize);
        const h = this.helper;
        const c = h.ctl;
        const q = CTL_ARGS;
        c[q] = pa; c[q + 1] = pb; c[q + 2] = pc;
        c[q + 3] = 0; c[q + 4] = batch; c[q + 5] = m; c[q + 6] = n; c[q + 7] = k;
        c[q + 8] = 0; c[q + 9] = m; c[q + 10] = 0; c[q + 11] = n;
        c[q + 12] = tA; c[q + 13] = tB; c[q + 14] = aBatchStride; c[q + 15] = bBatchStride;
        c[q + 16] = acc; c[q + 17] = pack2; c[q + 18] = pbias; c[q + 19] = biasBS; c[q + 20] = act;
        c[q + 21] = mode; c[q + 22] = cs;
        // The main thread's chunks use its own scratch: run them through a view of the kernels
        // whose pack argument is swapped.
        this.mainKernels.pack = pack;
        h.runMatmul(this.mainKernels, chunks);
        return;
      }
    }
    this.k.matmulPart(pa, pb, pc, 0, batch, m, n, k, 0, m, 0, n, tA, tB, aBatchStride, bBatchStride, acc, pack, pbias, biasBS, act);
  }

  reduce(op: ReduceOp, x: DataBuffer, out: DataBuffer, outer: number, mid: number, inner: number): void {
    const px = this.p(x);
    const po = this.p(out);
    if (px < 0 || po < 0 || mid === 0) return jsKernels.reduce(op, x, out, outer, mid, inner);
    if (outer <= 0 || inner <= 0) return;
    this.k.reduce(REDUCE[op], px, po, outer, mid, inner);
  }

  copyStrided(
    src: DataBuffer, srcOffset: number, srcStrides: readonly number[],
    dst: DataBuffer, dstOffset: number, shape: readonly number[],
  ): void {
    const ps = this.p(src);
    const pd = this.p(dst);
    const nd = ps < 0 || pd < 0 ? -1 : this.collapse(shape, srcStrides, null, null);
    if (nd < 0) return jsKernels.copyStrided(src, srcOffset, srcStrides, dst, dstOffset, shape);
    if (nd === 0) return;
    this.k.copyStrided(ps + srcOffset * 4, pd + dstOffset * 4, nd);
  }

  addStrided(
    src: DataBuffer, dst: DataBuffer, dstOffset: number, dstStrides: readonly number[], shape: readonly number[],
  ): void {
    const ps = this.p(src);
    const pd = this.p(dst);
    const nd = ps < 0 || pd < 0 ? -1 : this.collapse(shape, dstStrides, null, null);
    if (nd < 0) return jsKernels.addStrided(src, dst, dstOffset, dstStrides, shape);
    if (nd === 0) return;
    this.k.addStrided(ps, pd + dstOffset * 4, nd);
  }

  private rows(
    kind: 'gather' | 'scatter', x: DataBuffer, index: Int32Array, out: DataBuffer, rowSize: number,
  ): void {
    const px = this.p(x);
    const po = this.p(out);
    if (px < 0 || po < 0) {
      return kind === 'gather'
        ? jsKernels.gatherRows(x, index, out, rowSize)
        : jsKernels.scatterAddRows(x, index, out, rowSize);
    }
    const n = index.length;
    if (n === 0 || rowSize <= 0) return;
    const pi = this.scratch(this.idx, n * 4);
    this.i32.set(index, pi >> 2);
    const bad = kind === 'gather'
      ? this.k.gatherRows(px, pi, n, po, rowSize, Math.floor(x.length / rowSize))
      : this.k.scatterAddRows(px, pi, n, po, rowSize, Math.floor(out.length / rowSize));
    if (bad !== 0) throw new RangeError(`${kind}Rows: row index ${index[bad - 1]} out of range`);
  }

  gatherRows(x: DataBuffer, index: Int32Array, out: DataBuffer, rowSize: number): void {
    this.rows('gather', x, index, out, rowSize);
  }

  scatterAddRows(g: DataBuffer, index: Int32Array, out: DataBuffer, rowSize: number): void {
    this.rows('scatter', g, index, out, rowSize);
  }

  adam(p: DataBuffer, g: DataBuffer, m: DataBuffer, v: DataBuffer, h: AdamParams): void {
    const pp = this.p(p);
    const pg = this.p(g);
    const pm = this.p(m);
    const pv = this.p(v);
    if (pp < 0 || pg < 0 || pm < 0 || pv < 0) return jsKernels.adam(p, g, m, v, h);
    const bc1 = 1 - Math.pow(h.beta1, h.step);
    const bc2 = 1 - Math.pow(h.beta2, h.step);
    const decay = h.decoupled ? 1 - h.lr * h.weightDecay : 1;
    const l2 = h.decoupled ? 0 : h.weightDecay;
    this.k.adam(pp, pg, pm, pv, p.length, h.beta1, h.beta2, 1 - h.beta1, 1 - h.beta2, h.lr / bc1, 1 / bc2, h.eps, decay, l2);
  }

  lerp(dst: DataBuffer, src: DataBuffer, t: number): void {
    const pd = this.p(dst);
    const ps = this.p(src);
    if (pd < 0 || ps < 0) return jsKernels.lerp(dst, src, t);
    this.k.lerp(pd, ps, dst.length, t);
  }
}
