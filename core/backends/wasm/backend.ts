/**
 * The `wasm` backend: our AssemblyScript kernels (core/wasm/assembly/) compiled to WebAssembly
 * SIMD128, with every float32 tensor living in one WebAssembly.Memory.
 *
 * - Memory: allocator.ts hands out 16-byte-aligned blocks of the memory. Buffers must be given
 *   back with `free` (core/memory.ts does it for tensors, with a FinalizationRegistry for
 *   forgotten ones); the backend itself keeps no registry.
 * - Kernels take byte pointers; the adapters here only classify strides and call one export.
 *   Strided ops write collapsed shape / strides into a small static area of the memory.
 * - One fallback path: a kernel handed any buffer of another backend runs the js reference
 *   instead (`adaptKernels`, with the buffer arguments of each kernel in `BUFFER_ARGS`).
 * - float64 is not supported (`supports('float64')` is false): the registry routes it to `js`.
 * - `matmulBiasAct`: bias + activation in the GEMM epilogue (the fused linear op).
 * - Threads (`{ threads: 2 }` or FISOR_WASM_THREADS=2): the memory is a shared one and a worker
 *   (threads.ts) running the same kernels takes chunks of large products; results are
 *   bit-identical to one thread.
 *
 * See docs/WASM_DESIGN.md.
 */
import type {
  AdamParams, Backend, BinaryOp, DataBuffer, DType, FusedActivation, ReduceOp, UnaryOp,
} from '../../backend.js';
import { adamCoefficients, checkSlope, matmulBiasActReference } from '../../backend.js';
import { BINARY_CODE, REDUCE_CODE, UNARY_CODE } from '../../wasm/generated/codes.js';
import { jsKernels } from '../js.js';
import { blockBytes, BlockAllocator, type WasmMemoryStats } from './allocator.js';
import {
  getKernelModule, KC, MAXD, MT_MAX_PAGES, PAGE, wasmSimdAvailable, type Kernels,
} from './module.js';
import {
  CTL_ARGS, CTL_FARGS, defaultWasmThreads, EW_ADAM, EW_BINARY_FLAT, EW_LAYERNORM, EW_LAYERNORM_GRAD, EW_LERP, EW_UNARY,
  EW_UNARY_GRAD, OP_ELEMENTWISE,
  OP_MATMUL, WasmHelperThread, WorkerStalledError,
} from './threads.js';

export type { WasmMemoryStats } from './allocator.js';

/** Stops the worker of a backend that was garbage collected without closeThreads(). */
const helperReaper = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry<WasmHelperThread>((h) => h.close())
  : null;

/**
 * Atomics.load spins the worker makes after a job before it sleeps in Atomics.wait (~50-100 us): a
 * training step hands off a job every few hundred microseconds, and waking a sleeping worker costs
 * ~80-100 us on the project's 2-core VM (bench: the cpu preset's update 16.5 -> 14.9 ms median; the
 * paper shapes unchanged). The main thread never waits for the worker to wake (see threads.ts).
 */
export const WORKER_SPIN = 30000;

/** Chunks a split product (or elementwise job) is cut into (both threads claim them dynamically). */
const CHUNKS = 8;

/**
 * Products of at least BIG_GEMM_MACS multiply-adds are cut into BIG_GEMM_CHUNKS chunks instead of CHUNKS.
 * Every chunk reads all of A again (column panels) or packs all of B again (row groups), so for the
 * paper-size denoiser's products (512 x 1024 x 256, 134M multiply-adds) fewer, larger chunks are faster:
 * 8 -> 4 chunks took 87 -> 95 GFLOP/s on 512x256 = 512x1024 . 1024x256 and 73 -> 80 on its dW (two threads,
 * isolated, interleaved), and the paper-shape update 1.04-1.05x (bench/fisor-ab.ts, 16 pairs; the same
 * A/B with identical code on both sides reads 1.02). Smaller products keep 8: at the cpu preset's shapes
 * 4 chunks gained ~2 % isolated, within noise, and a late or descheduled worker's chunk is a larger share
 * of a small job. Chunking never changes a result: every element is computed by one thread with the
 * single-threaded kernel's tiles and order.
 */
export const BIG_GEMM_MACS = 2 ** 25;
const BIG_GEMM_CHUNKS = 4;

/**
 * Split products with k <= ROW_SPLIT_MAX_K (and m >= 8) by groups of rows instead of column panels. With a
 * short inner dimension there is little arithmetic per element of C, and chunks of column panels have both
 * threads writing short stretches of every row of C at once: the critics' first layers (k = 11-13, the
 * observation and action) ran ~1.5x slower on two threads than on one (1 x 512 x 13 x 256 with bias and
 * ReLU: 148 us against 101; split by rows: 77 us; the cause is not attributed: 64-byte-aligned blocks did
 * not change it). Row groups repack B per chunk, which costs k n each, small for such k. Isolated, rows
 * were as fast as or faster than column panels for every k <= 64 measured (though the smallest, 2 x 256 x 13 x
 * 128, stays slower on two threads than on one); the cpu preset's update got 1.06-1.08x faster (bench/fisor-ab.ts,
 * BENCHMARKS.md sitting 5). Rows follow 4-row tile boundaries, so results are unchanged.
 */
export const ROW_SPLIT_MAX_K = 64;

/** Products below this many multiply-adds (batch m n k) run on one thread (see WASM_DESIGN.md). */
export const THREAD_MIN_MACS = 1 << 18;

/**
 * Elementwise kernels (unary, unaryGrad, same-shape or scalar binary ops, Adam, lerp) on at least this
 * many elements are split between the two threads. Chosen, not tuned: 2^15 elements are ~10-300 µs of
 * work against a hand-off of ~5-100 µs. Measured inside a paper-shape update the split gave no total gain
 * (BENCHMARKS.md, issue-10 sitting); only the Mish gradient got faster.
 */
export const THREAD_MIN_ELEMENTS = 1 << 15;
/** Elementwise chunk size: a multiple of 4 (so each element meets the same SIMD lane code) and of 16 bytes. */
const EW_CHUNK_MIN = 4096;

/** Options for `new WasmBackend(opts)`. */
export interface WasmBackendOptions {
  /** 1: one thread (own memory); 2: a worker shares the memory. Default: defaultWasmThreads(). */
  threads?: number;
  /**
   * The relaxed-SIMD build (backend name 'wasm-fma'): the GEMM micro-kernels use fused multiply-adds,
   * rounded once instead of twice, so results differ from 'wasm' in the last bits (each backend is
   * deterministic on its own). Needs relaxedSimdAvailable(). Default false.
   */
  fma?: boolean;
  /** Multiply-adds below which a product is not split (default THREAD_MIN_MACS). */
  threadMinMacs?: number;
  /** Elements below which an elementwise kernel or Adam is not split (default THREAD_MIN_ELEMENTS). */
  threadMinElements?: number;
  /** Node: ms to wait at construction for the worker to start (default 5000); 0 = do not wait. */
  threadStartMs?: number;
  /** Atomics.load spins the worker makes after a job before it sleeps (default WORKER_SPIN; 0: it sleeps at once). */
  workerSpin?: number;
  /** ms the main thread waits for the worker's share of a product before the watchdog stops it (default 30000). */
  watchdogMs?: number;
}

/**
 * Refuses option values that would silently mean something else: threads NaN or 0 ran one thread, a NaN or
 * negative size threshold never split, a NaN watchdog never fired. Threads above 2 mean 2, as FISOR_WASM_THREADS;
 * Infinity is a threshold or watchdog that is never reached.
 */
function checkWasmOptions(o: WasmBackendOptions): void {
  const bad = (k: string, v: unknown, want: string) => new Error(`WasmBackend: option ${k} must be ${want}, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  if (o.threads !== undefined && !(Number.isInteger(o.threads) && o.threads >= 1)) throw bad('threads', o.threads, 'a positive integer (1, or 2 for a worker)');
  for (const k of ['threadMinMacs', 'threadMinElements', 'threadStartMs', 'workerSpin'] as const) {
    const v = o[k];
    if (v !== undefined && !(typeof v === 'number' && v >= 0)) throw bad(k, v, 'a number >= 0 (Infinity: never)');
  }
  if (o.watchdogMs !== undefined && !(typeof o.watchdogMs === 'number' && o.watchdogMs > 0)) throw bad('watchdogMs', o.watchdogMs, 'a number > 0 (Infinity: no watchdog)');
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
    /** Block size in bytes. */
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

/** Byte pointer of a live wasm buffer (the adapters have checked it is one of ours). */
function ptr(b: DataBuffer): number {
  const p = (b as WasmBuffer).ptr;
  if (p < 0) throw new Error('wasm buffer used after free');
  return p;
}

interface Block {
  ptr: number;
  bytes: number;
}

/** The kernels of the Backend interface that take buffers. */
type KernelName =
  | 'fill' | 'unary' | 'unaryGrad' | 'binary' | 'where' | 'matmul' | 'matmulBiasAct' | 'reduce'
  | 'copyStrided' | 'addStrided' | 'gatherRows' | 'scatterAddRows' | 'adam' | 'lerp' | 'layerNorm' | 'layerNormGrad'
  | 'bernoulliMask';
type Kernel<K extends KernelName> = NonNullable<Backend[K]>;

/** Which arguments of each kernel are buffers (null allowed: matmulBiasAct's bias and slope). */
const BUFFER_ARGS: { readonly [K in KernelName]: readonly number[] } = {
  fill: [0],
  unary: [1, 2],
  unaryGrad: [1, 2, 3, 4],
  binary: [1, 2, 3],
  where: [0, 1, 2, 3],
  matmul: [0, 1, 2],
  matmulBiasAct: [0, 1, 2, 3, 14],
  reduce: [1, 2],
  copyStrided: [0, 3],
  addStrided: [0, 1],
  gatherRows: [0, 2],
  scatterAddRows: [0, 2],
  adam: [0, 1, 2, 3],
  lerp: [0, 1],
  layerNorm: [0, 1],
  layerNormGrad: [0, 1, 2, 3],
  bernoulliMask: [0],
};

/** What runs when a buffer is not ours: the js reference on the buffers' views. */
function fallbackOf<K extends KernelName>(be: Backend, name: K): Kernel<K> {
  if (name === 'matmulBiasAct') {
    return ((...a: Parameters<Kernel<'matmulBiasAct'>>) => matmulBiasActReference(be, ...a)) as Kernel<K>;
  }
  return (jsKernels as unknown as Record<string, Kernel<K>>)[name];
}

/**
 * Installs each kernel on the backend: the native implementation when every buffer argument is
 * this backend's, else the fallback. The one place a kernel leaves the wasm path.
 */
function adaptKernels(be: WasmBackend, native: { [K in KernelName]: Kernel<K> }): void {
  for (const name of Object.keys(BUFFER_ARGS) as KernelName[]) {
    const run = native[name] as (...a: unknown[]) => void;
    const fallback = fallbackOf(be, name) as (...a: unknown[]) => void;
    const bufs = BUFFER_ARGS[name];
    (be as unknown as Record<string, unknown>)[name] = (...args: unknown[]): void => {
      for (let i = 0; i < bufs.length; i++) {
        const b = args[bufs[i]] as DataBuffer | null;
        if (b !== null && b !== undefined && b.backend !== be) return fallback(...args);
      }
      return run.apply(be, args);
    };
  }
}

export class WasmBackend implements Backend {
  readonly name: string;
  /** @internal The memory's current ArrayBuffer (replaced when the memory grows). */
  heap: ArrayBuffer;
  private readonly k: Kernels;
  private readonly memory: WebAssembly.Memory;
  private i32: Int32Array;
  private readonly meta: number; // i32 index of the META area
  private readonly blocks: BlockAllocator;
  private pack: Block = { ptr: 0, bytes: 0 };
  private pack2: Block = { ptr: 0, bytes: 0 };
  private idx: Block = { ptr: 0, bytes: 0 };
  /** The generator state (4 words) bernoulliMask reads and writes back. */
  private rngWords: Block = { ptr: 0, bytes: 0 };
  /**
   * The kernels the main thread runs its chunks with: the module's exports, except matmulPart, which
   * takes the main thread's own pack scratch (`mainPack`) in place of the worker's.
   */
  private mainKernels!: Parameters<WasmHelperThread['run']>[0];
  private mainPack = 0;
  /** The helper thread (threads = 2), or null. */
  private helper: WasmHelperThread | null = null;
  private helperReady = false;
  private readonly minMacs: number;
  private readonly minElems: number;
  /** Threads requested (1 or 2); the worker may still be starting (see threadsActive). */
  readonly threads: number;

  declare fill: Backend['fill'];
  declare unary: Backend['unary'];
  declare unaryGrad: Backend['unaryGrad'];
  declare binary: Backend['binary'];
  declare where: Backend['where'];
  declare matmul: Backend['matmul'];
  declare matmulBiasAct: Kernel<'matmulBiasAct'>;
  declare reduce: Backend['reduce'];
  declare copyStrided: Backend['copyStrided'];
  declare addStrided: Backend['addStrided'];
  declare gatherRows: Backend['gatherRows'];
  declare scatterAddRows: Backend['scatterAddRows'];
  declare adam: Backend['adam'];
  declare lerp: Backend['lerp'];
  /** wasm-fma only: see the constructor. */
  declare layerNorm: Backend['layerNorm'];
  declare layerNormGrad: Backend['layerNormGrad'];
  declare bernoulliMask: NonNullable<Backend['bernoulliMask']>;

  constructor(opts: WasmBackendOptions = {}) {
    if (!wasmSimdAvailable()) throw new Error('wasm backend: WebAssembly SIMD128 is not available here');
    checkWasmOptions(opts);
    const threads = Math.min(2, opts.threads ?? defaultWasmThreads());
    this.minMacs = opts.threadMinMacs ?? THREAD_MIN_MACS;
    this.minElems = opts.threadMinElements ?? THREAD_MIN_ELEMENTS;
    const abort = (): never => {
      throw new Error('wasm kernel abort');
    };
    const fma = opts.fma ?? false;
    this.name = fma ? 'wasm-fma' : 'wasm';
    let memory: WebAssembly.Memory | null = null;
    let module = getKernelModule({ mt: false, fma });
    if (threads > 1 && typeof SharedArrayBuffer === 'function') {
      try {
        memory = new WebAssembly.Memory({ initial: 1, maximum: MT_MAX_PAGES, shared: true });
        module = getKernelModule({ mt: true, fma });
      } catch {
        memory = null; // no shared memory here (e.g. a browser page without cross-origin isolation)
        module = getKernelModule({ mt: false, fma });
      }
    }
    const inst = new WebAssembly.Instance(module, memory ? { env: { memory, abort } } : { env: { abort } });
    this.k = inst.exports as unknown as Kernels;
    const k = this.k;
    // The exports' properties are read-only: shadow matmulPart with a property of the object itself.
    this.mainKernels = Object.create(k, {
      matmulPart: {
        value: (...a: number[]): void => k.matmulPart(
          a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16],
          this.mainPack, a[18], a[19], a[20], a[21],
        ),
      },
    }) as Kernels;
    this.memory = memory ?? this.k.memory;
    this.heap = this.memory.buffer;
    this.i32 = new Int32Array(this.heap);
    this.blocks = new BlockAllocator(this.k.heapBase(), (needTop) => this.grow(needTop));
    if (memory) {
      // The module's static META / TMP are data segments that the worker's instantiation writes again (in a
      // browser while this thread computes): the main thread keeps its own in the arena (see scratch.ts).
      this.k.setMeta(this.blocks.take(256));
      this.k.setTmp(this.blocks.take(256));
    }
    this.meta = this.k.metaPtr() >>> 2;
    this.threads = memory ? threads : 1;
    adaptKernels(this, nativeKernels);
    if (!fma) {
      // The fused LayerNorm kernels sum a row in another order than the composed op (mean, sub, square, pow, mul),
      // so 'wasm' keeps the composed op: its numbers stay those it gave before the speed work (0dd07e9), bit for bit
      // (test/fisor/wasm_numbers.test.ts). 'wasm-fma', a backend whose bits are its own, uses them.
      this.layerNorm = undefined;
      this.layerNormGrad = undefined;
    }
    if (memory) {
      try {
        const tmp = this.blocks.take(64);
        this.helper = new WasmHelperThread({ module, memory, tmp, spin: opts.workerSpin ?? WORKER_SPIN, watchdogMs: opts.watchdogMs });
        helperReaper?.register(this, this.helper, this);
        const wait = opts.threadStartMs ?? 5000;
        if (wait > 0) this.helperReady = this.helper.waitReady(wait);
      } catch {
        this.helper = null;
      }
    }
  }

  /**
   * Whether products are being split with the worker now (false while it starts, with 1 thread, or once a
   * worker that ran has died: it is then dropped, so jobs stop being published to it and cancelled).
   */
  get threadsActive(): boolean {
    const h = this.helper;
    if (h === null) return false;
    if (h.ready) return (this.helperReady = true);
    if (this.helperReady) this.closeThreads();
    return false;
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

  alloc(length: number, dtype: DType): DataBuffer {
    if (dtype !== 'float32') throw new Error(`wasm backend: dtype ${dtype} is not supported (float32 only)`);
    if (!(length >= 0) || !Number.isInteger(length)) throw new RangeError(`wasm backend: bad length ${length}`);
    const bytes = blockBytes(length);
    return new WasmBuffer(this, length, this.blocks.take(bytes), bytes);
  }

  free(buf: DataBuffer): void {
    if (!(buf instanceof WasmBuffer) || buf.backend !== this) {
      throw new Error('wasm backend: free() of a buffer this backend did not allocate');
    }
    if (buf.ptr < 0) throw new Error('wasm backend: double free');
    this.blocks.put(buf.ptr, buf.bytes);
    buf.release();
  }

  /** Memory in use; for diagnostics and tests. */
  memoryStats(): WasmMemoryStats {
    return this.blocks.stats(this.heap.byteLength);
  }

  write(out: DataBuffer, data: ArrayLike<number>, offset = 0): void {
    out.view().set(data, offset);
  }

  /**
   * @internal A scratch block of at least `bytes`, kept between calls. The old block is forgotten before
   * the new one is taken: if taking it fails (out of memory), the scratch must not keep pointing at a block
   * already given back, which the next tensor could be handed and a later kernel would overwrite.
   */
  scratch(s: Block, bytes: number): number {
    if (s.bytes < bytes) {
      const size = Math.ceil(Math.max(bytes, s.bytes * 2) / 16) * 16;
      if (s.bytes > 0) this.blocks.put(s.ptr, s.bytes);
      s.ptr = 0;
      s.bytes = 0;
      s.ptr = this.blocks.take(size);
      s.bytes = size;
    }
    return s.ptr;
  }

  /**
   * @internal Collapses shape and up to three stride vectors into META (dropping size-1 dims,
   * merging dims that are contiguous for every operand). Returns the number of dims, 0 for an
   * empty index space, -1 if more than MAXD remain.
   */
  collapse(
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

  /** @internal The GEMM (plain or with the fused epilogue), split across threads when big enough. */
  gemm(
    pa: number, pb: number, pc: number, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, accumulate: boolean,
    pbias: number, biasBS: number, act: number, pslope: number,
  ): void {
    if (batch <= 0 || m <= 0 || n <= 0) return;
    // B panels, then an A slab of up to 6 rows and a parked 6 x 8 tile (core/wasm/assembly/gemm.ts).
    const packSize = Math.ceil(n / 8) * 32 * Math.max(1, Math.min(k, KC)) + 24 * KC + 192;
    const pack = this.scratch(this.pack, packSize);
    const tA = transA ? 1 : 0;
    const tB = transB ? 1 : 0;
    const acc = accumulate ? 1 : 0;
    if (this.helper !== null && batch * m * n * k >= this.minMacs && this.threadsActive) {
      // Chunks on tile boundaries (8-wide column panels where n > 8 and (k > ROW_SPLIT_MAX_K or m < 8); else
      // whole 4-row groups where m >= 8; else batch items), about 4 per thread (2 for big products), claimed
      // dynamically by both threads (see threads.ts). Each element of C is computed exactly as by the
      // single-threaded kernel.
      const np = (n + 7) >> 3;
      const target = batch * m * n * k >= BIG_GEMM_MACS ? BIG_GEMM_CHUNKS : CHUNKS;
      let mode = -1, cs = 0, chunks = 0;
      if (np >= 2 && (k > ROW_SPLIT_MAX_K || m < 8)) {
        mode = 0;
        cs = Math.ceil(np / Math.min(np, target)) * 8;
        chunks = Math.ceil(n / cs);
      } else if (m >= 8) {
        const groups = (m + 3) >> 2;
        mode = 1;
        cs = Math.ceil(groups / Math.min(groups, target)) * 4;
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
        c[q + 21] = pslope; c[q + 22] = mode; c[q + 23] = cs;
        // The main thread's chunks use its own scratch: run them through a view of the kernels
        // whose pack argument is swapped.
        this.mainPack = pack;
        try {
          h.run(this.mainKernels, OP_MATMUL, chunks);
        } catch (e) {
          this.dropHelperIfStalled(e, h);
          throw e;
        }
        return;
      }
    }
    this.k.matmulPart(pa, pb, pc, 0, batch, m, n, k, 0, m, 0, n, tA, tB, aBatchStride, bBatchStride, acc, pack, pbias, biasBS, act, pslope);
  }

  /**
   * @internal Whether an elementwise job over this many elements goes to both threads (the worker is
   * running and the job is at least threadMinElements). Checked before the job's arguments are built,
   * so the single-thread path allocates nothing.
   */
  splits(elements: number): boolean {
    return this.helper !== null && elements >= this.minElems && this.threadsActive;
  }

  /**
   * @internal Runs an elementwise kernel (EW_*) over n elements (rows, for the row kernels) on both
   * threads; the caller has checked `splits`. Elementwise chunks are a multiple of 4 elements, each
   * pointer advanced by its element stride (0: a broadcast scalar), so every element is computed as
   * in one call; row kernels get 4 chunks of whole rows.
   */
  splitElementwise(
    kind: number, n: number, ptrs: readonly number[], strides: readonly number[],
    ints: readonly number[], floats: readonly number[],
  ): void {
    const h = this.helper!;
    const c = h.ctl;
    const q = CTL_ARGS;
    const rowKernel = kind === EW_LAYERNORM || kind === EW_LAYERNORM_GRAD;
    const cs = rowKernel ? Math.ceil(n / 4) : Math.max(EW_CHUNK_MIN, Math.ceil(n / (4 * CHUNKS)) * 4);
    c[q] = kind; c[q + 1] = n; c[q + 2] = cs;
    for (let i = 0; i < 4; i++) {
      c[q + 3 + i] = ptrs[i] ?? 0;
      c[q + 7 + i] = strides[i] ?? 0;
    }
    for (let i = 0; i < 3; i++) c[q + 11 + i] = ints[i] ?? 0;
    for (let i = 0; i < floats.length; i++) h.fargs[CTL_FARGS + i] = floats[i];
    try {
      h.run(this.mainKernels, OP_ELEMENTWISE, Math.ceil(n / cs));
    } catch (e) {
      this.dropHelperIfStalled(e, h);
      throw e;
    }
  }

  /** The watchdog fired: stop the worker for good and go on with one thread. */
  private dropHelperIfStalled(e: unknown, h: WasmHelperThread): void {
    if (e instanceof WorkerStalledError) {
      helperReaper?.unregister(this);
      h.close(true);
      this.helper = null;
      this.helperReady = false;
    }
  }

  /** @internal */
  get kernels(): Kernels {
    return this.k;
  }

  /**
   * @internal The generator-state scratch block, filled with `state` (4 words); returns its byte pointer.
   * Byte pointers reach 4 GiB: they become i32 indices with `>>> 2` (`>> 2` is negative past 2 GiB).
   */
  rngScratch(state: Uint32Array): number {
    const p = this.scratch(this.rngWords, 16);
    this.i32.set(state, p >>> 2);
    return p;
  }

  /** @internal The 4 words at `p` back into `state`. */
  readRngScratch(p: number, state: Uint32Array): void {
    for (let i = 0; i < 4; i++) state[i] = this.i32[(p >>> 2) + i];
  }

  /** @internal The row-index scratch block, filled with `index`; returns its byte pointer. */
  indexScratch(index: Int32Array): number {
    const pi = this.scratch(this.idx, index.length * 4);
    this.i32.set(index, pi >>> 2);
    return pi;
  }
}

/**
 * The native kernels, called by the adapters only with this backend's buffers (`this` is the
 * backend). Each classifies its arguments and calls one export of the module.
 */
const nativeKernels: { [K in KernelName]: (this: WasmBackend, ...a: Parameters<Kernel<K>>) => void } = {
  fill(out: DataBuffer, value: number): void {
    this.kernels.fill(ptr(out), out.length, value);
  },

  bernoulliMask(out: DataBuffer, state: Uint32Array, threshold: number, scale: number): void {
    // rngScratch writes the words through this.i32 after taking the block (which may grow the memory).
    const p = this.rngScratch(state);
    this.kernels.bernoulliMask(p, ptr(out), out.length, threshold, scale);
    this.readRngScratch(p, state);
  },

  unary(op: UnaryOp, x: DataBuffer, out: DataBuffer, p0 = 0, p1 = 0): void {
    const code = UNARY_CODE[op];
    const n = x.length;
    if (this.splits(n)) return this.splitElementwise(EW_UNARY, n, [ptr(x), ptr(out)], [1, 1], [code], [p0, p1]);
    this.kernels.unary(code, ptr(x), ptr(out), n, p0, p1);
  },

  unaryGrad(op: UnaryOp, x: DataBuffer, y: DataBuffer, g: DataBuffer, out: DataBuffer, p0 = 0, p1 = 0): void {
    const code = UNARY_CODE[op];
    const n = x.length;
    if (this.splits(n)) return this.splitElementwise(EW_UNARY_GRAD, n, [ptr(x), ptr(y), ptr(g), ptr(out)], [1, 1, 1, 1], [code], [p0, p1]);
    this.kernels.unaryGrad(code, ptr(x), ptr(y), ptr(g), ptr(out), n, p0, p1);
  },

  binary(
    op: BinaryOp, a: DataBuffer, b: DataBuffer, out: DataBuffer,
    shape: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
  ): void {
    const pa = ptr(a);
    const pb = ptr(b);
    const po = ptr(out);
    const code = BINARY_CODE[op];
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
    const k = this.kernels;
    const flat = (sa: number, sb: number): void => {
      if (this.splits(total)) this.splitElementwise(EW_BINARY_FLAT, total, [pa, pb, po], [sa, sb, 1], [code, sa, sb], []);
      else k.binaryFlat(code, pa, pb, po, total, sa, sb);
    };
    if (denseA) {
      if (denseB) return flat(1, 1);
      if (zeroB) return flat(1, 0);
    } else if (zeroA && denseB) {
      return flat(0, 1);
    }
    const nd = this.collapse(shape, aStrides, bStrides, null);
    if (nd < 0) return jsKernels.binary(op, a, b, out, shape, aStrides, bStrides);
    k.binaryStrided(code, pa, pb, po, nd);
  },

  where(
    cond: DataBuffer, a: DataBuffer, b: DataBuffer, out: DataBuffer, shape: readonly number[],
    condStrides: readonly number[], aStrides: readonly number[], bStrides: readonly number[],
  ): void {
    const nd = this.collapse(shape, condStrides, aStrides, bStrides);
    if (nd < 0) return jsKernels.where(cond, a, b, out, shape, condStrides, aStrides, bStrides);
    if (nd === 0) return;
    this.kernels.whereStrided(ptr(cond), ptr(a), ptr(b), ptr(out), nd);
  },

  matmul(
    a: DataBuffer, b: DataBuffer, out: DataBuffer,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
    accumulate = false,
  ): void {
    this.gemm(ptr(a), ptr(b), ptr(out), batch, m, n, k, transA, transB, aBatchStride, bBatchStride, accumulate, 0, 0, -1, 0);
  },

  matmulBiasAct(
    a: DataBuffer, b: DataBuffer, bias: DataBuffer | null, out: DataBuffer,
    batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number, biasBatchStride: number,
    act: FusedActivation, slope: DataBuffer | null = null,
  ): void {
    const code = act === 'none' ? -1 : UNARY_CODE[act];
    checkSlope(act, slope, out);
    this.gemm(
      ptr(a), ptr(b), ptr(out), batch, m, n, k, transA, transB, aBatchStride, bBatchStride, false,
      bias === null ? 0 : ptr(bias), biasBatchStride, code, slope === null ? 0 : ptr(slope),
    );
  },

  reduce(op: ReduceOp, x: DataBuffer, out: DataBuffer, outer: number, mid: number, inner: number): void {
    if (mid === 0) return jsKernels.reduce(op, x, out, outer, mid, inner);
    if (outer <= 0 || inner <= 0) return;
    this.kernels.reduce(REDUCE_CODE[op], ptr(x), ptr(out), outer, mid, inner);
  },

  copyStrided(
    src: DataBuffer, srcOffset: number, srcStrides: readonly number[],
    dst: DataBuffer, dstOffset: number, shape: readonly number[],
  ): void {
    const nd = this.collapse(shape, srcStrides, null, null);
    if (nd < 0) return jsKernels.copyStrided(src, srcOffset, srcStrides, dst, dstOffset, shape);
    if (nd === 0) return;
    this.kernels.copyStrided(ptr(src) + srcOffset * 4, ptr(dst) + dstOffset * 4, nd);
  },

  addStrided(
    src: DataBuffer, dst: DataBuffer, dstOffset: number, dstStrides: readonly number[], shape: readonly number[],
  ): void {
    const nd = this.collapse(shape, dstStrides, null, null);
    if (nd < 0) return jsKernels.addStrided(src, dst, dstOffset, dstStrides, shape);
    if (nd === 0) return;
    this.kernels.addStrided(ptr(src), ptr(dst) + dstOffset * 4, nd);
  },

  gatherRows(x: DataBuffer, index: Int32Array, out: DataBuffer, rowSize: number): void {
    const n = index.length;
    if (n === 0 || rowSize <= 0) return;
    const bad = this.kernels.gatherRows(ptr(x), this.indexScratch(index), n, ptr(out), rowSize, Math.floor(x.length / rowSize));
    if (bad !== 0) throw new RangeError(`gatherRows: row index ${index[bad - 1]} out of range`);
  },

  scatterAddRows(g: DataBuffer, index: Int32Array, out: DataBuffer, rowSize: number): void {
    const n = index.length;
    if (n === 0 || rowSize <= 0) return;
    const bad = this.kernels.scatterAddRows(ptr(g), this.indexScratch(index), n, ptr(out), rowSize, Math.floor(out.length / rowSize));
    if (bad !== 0) throw new RangeError(`scatterRows: row index ${index[bad - 1]} out of range`);
  },

  adam(p: DataBuffer, g: DataBuffer, m: DataBuffer, v: DataBuffer, h: AdamParams): void {
    const c = adamCoefficients(h);
    const lr1 = h.lr / c.bc1;
    const ibc2 = 1 / c.bc2;
    if (this.splits(p.length)) {
      return this.splitElementwise(EW_ADAM, p.length, [ptr(p), ptr(g), ptr(m), ptr(v)], [1, 1, 1, 1], [],
        [h.beta1, h.beta2, 1 - h.beta1, 1 - h.beta2, lr1, ibc2, h.eps, c.decay, c.l2]);
    }
    this.kernels.adam(ptr(p), ptr(g), ptr(m), ptr(v), p.length, h.beta1, h.beta2, 1 - h.beta1, 1 - h.beta2, lr1, ibc2, h.eps, c.decay, c.l2);
  },

  lerp(dst: DataBuffer, src: DataBuffer, t: number): void {
    if (this.splits(dst.length)) return this.splitElementwise(EW_LERP, dst.length, [ptr(dst), ptr(src)], [1, 1], [], [t]);
    this.kernels.lerp(ptr(dst), ptr(src), dst.length, t);
  },

  layerNorm(x: DataBuffer, out: DataBuffer, rows: number, n: number, eps: number): void {
    // Split by rows (the element count decides, as for the elementwise kernels); a row stays on one thread.
    if (this.splits(rows * n)) return this.splitElementwise(EW_LAYERNORM, rows, [ptr(x), ptr(out)], [n, n], [n], [eps]);
    this.kernels.layerNorm(ptr(x), ptr(out), rows, n, eps);
  },

  layerNormGrad(x: DataBuffer, y: DataBuffer, g: DataBuffer, out: DataBuffer, rows: number, n: number, eps: number): void {
    if (this.splits(rows * n)) {
      return this.splitElementwise(EW_LAYERNORM_GRAD, rows, [ptr(x), ptr(y), ptr(g), ptr(out)], [n, n, n, n], [n], [eps]);
    }
    this.kernels.layerNormGrad(ptr(x), ptr(y), ptr(g), ptr(out), rows, n, eps);
  },
};
