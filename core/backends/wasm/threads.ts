/**
 * Threads of the `wasm` backend: how many by default (`defaultWasmThreads`), and the second one
 * (FISOR_WASM_THREADS=2): a worker that instantiates the
 * same kernel module (the kernels-mt build) on the same shared WebAssembly.Memory and helps with
 * the product the main thread publishes in a small control block, woken with Atomics (no message
 * per call). See docs/WASM_DESIGN.md, "Threads".
 *
 * A product is cut into chunks on tile boundaries (column panels, row groups of 4 or batch items);
 * both threads claim chunks with Atomics.add on a shared counter until none are left, so a
 * worker that the OS has not scheduled costs nothing: the main thread then does every chunk. When
 * it has run out of chunks the main thread tries to cancel the job (compareExchange PENDING ->
 * CANCELLED); only if the worker took it first (PENDING -> TAKEN) does it wait for DONE.
 * Every chunk is computed the same way whichever thread runs it: results are bit-identical to
 * the single-threaded kernel.
 *
 * Control block (Int32Array over its own SharedArrayBuffer):
 *   [0] SEQ    bumped by the main thread for each job (the worker sleeps on it)
 *   [1] DONE   set by the worker to the id of a job it took, once finished (the main thread waits on it)
 *   [2] STATE  0 starting, 1 ready, 2 failed / stopped
 *   [3] ERROR  1 if a chunk threw in the worker
 *   [4] OP     0 quit, 1 matmul chunks, 2 elementwise chunks
 *   [5] JOB    1 pending, 2 taken by the worker, 3 cancelled by the main thread
 *   [6] NEXT   the next chunk to claim (Atomics.add)
 *   [8..32)    arguments. Matmul: matmulPart's 22, then mode (0 columns, 1 rows, 2 batch items),
 *              chunk size. Elementwise: kernel, n, chunk size, 4 pointers, their element strides,
 *              3 int arguments (see runChunk).
 *   [32] CHUNKS number of chunks; [33] JOB_ID the job id (the SEQ value the job is published under)
 *   float64 [32..42) the elementwise kernels' float arguments (bytes 256..336)
 *
 * The worker source is a plain-JS string (no imports) so that it runs unchanged as a Node
 * `worker_threads` eval worker and as a browser Web Worker (Blob URL; needs cross-origin
 * isolation for SharedArrayBuffer). In Node the main thread blocks in `Atomics.wait` once it has
 * spun for a while; a browser main thread may not block and only spins.
 */

/**
 * Threads the wasm backend uses by default: $FISOR_WASM_THREADS if set (1 or 2; more are capped
 * at 2), else 2 in Node when the machine has at least 2 cores, else 1 (a browser page needs
 * cross-origin isolation for shared memory: it asks with `{ threads: 2 }`). Results are
 * bit-identical to one thread. The hand-off is race-free by construction (a job id in every job,
 * the control block's arguments never rewritten before the job is acknowledged, see
 * `runMatmul`), stress-tested with 200k hand-offs, and a watchdog turns a dead or stalled
 * worker into an error instead of a hang.
 */
const DEFAULT_THREADS_NODE: number = 2;
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

export const CTL_SEQ = 0;
export const CTL_DONE = 1;
export const CTL_STATE = 2;
export const CTL_ERROR = 3;
export const CTL_OP = 4;
export const CTL_JOB = 5;
export const CTL_NEXT = 6;
/** Test hook: ms the worker sleeps after taking a job (simulates a stalled worker for the watchdog test). */
export const CTL_STALL = 7;
export const CTL_ARGS = 8;
export const CTL_CHUNKS = 32;
export const CTL_JOB_ID = 33;
/** Float64 index of the elementwise kernels' float arguments in the control block. */
export const CTL_FARGS = 32;
export const CTL_BYTES = 512;

export const OP_QUIT = 0;
export const OP_MATMUL = 1;
export const OP_ELEMENTWISE = 2;

/** Elementwise kernels split between threads (ctl[CTL_ARGS] of an OP_ELEMENTWISE job). */
export const EW_UNARY = 0;
export const EW_UNARY_GRAD = 1;
export const EW_BINARY_FLAT = 2;
export const EW_ADAM = 3;
export const EW_LERP = 4;
/** Row kernels (n = rows, the pointers' stride = the row length ctl[q + 11]). */
export const EW_LAYERNORM = 5;
export const EW_LAYERNORM_GRAD = 6;

export const JOB_PENDING = 1;
export const JOB_TAKEN = 2;
export const JOB_CANCELLED = 3;

/**
 * Chunk c of a job: for OP_MATMUL (arguments: matmulPart's 22, then mode, chunk size, from ctl[q])
 * matmulPart on its batch items / rows / columns; for OP_ELEMENTWISE (kernel, n, chunk size, 4
 * pointers, their element strides, 3 ints from ctl[q]; floats from f[CTL_FARGS..]) the kernel on
 * elements (rows, for the row kernels) [c cs, min(n, (c + 1) cs)), every pointer advanced by its
 * stride (0 for a broadcast scalar). An elementwise chunk size is a multiple of 4, so each element is
 * computed by the same SIMD lane code as in one call over all n; a row is computed whole by one thread.
 * Shared by both threads (the worker gets this function's source), so that both cut chunks identically.
 */
export function runChunk(
  k: {
    matmulPart(...a: number[]): void;
    unary(...a: number[]): void;
    unaryGrad(...a: number[]): void;
    binaryFlat(...a: number[]): void;
    adam(...a: number[]): void;
    lerp(...a: number[]): void;
    layerNorm(...a: number[]): void;
    layerNormGrad(...a: number[]): void;
  },
  ctl: Int32Array, f: Float64Array, q: number, op: number, c: number,
): void {
  if (op === 2) {
    const cs = ctl[q + 2];
    const i0 = c * cs;
    const len = Math.min(ctl[q + 1] - i0, cs);
    const p0 = ctl[q + 3] + 4 * i0 * ctl[q + 7];
    const p1 = ctl[q + 4] + 4 * i0 * ctl[q + 8];
    const p2 = ctl[q + 5] + 4 * i0 * ctl[q + 9];
    const p3 = ctl[q + 6] + 4 * i0 * ctl[q + 10];
    const kind = ctl[q];
    const F = 32; // CTL_FARGS (the worker has no imports)
    if (kind === 0) k.unary(ctl[q + 11], p0, p1, len, f[F], f[F + 1]);
    else if (kind === 1) k.unaryGrad(ctl[q + 11], p0, p1, p2, p3, len, f[F], f[F + 1]);
    else if (kind === 2) k.binaryFlat(ctl[q + 11], p0, p1, p2, len, ctl[q + 12], ctl[q + 13]);
    else if (kind === 3) {
      k.adam(p0, p1, p2, p3, len, f[F], f[F + 1], f[F + 2], f[F + 3], f[F + 4], f[F + 5], f[F + 6], f[F + 7], f[F + 8]);
    } else if (kind === 4) k.lerp(p0, p1, len, f[F]);
    else if (kind === 5) k.layerNorm(p0, p1, len, ctl[q + 11], f[F]);
    else k.layerNormGrad(p0, p1, p2, p3, len, ctl[q + 11], f[F]);
    return;
  }
  const mode = ctl[q + 22];
  const cs = ctl[q + 23];
  let t0 = 0, t1 = ctl[q + 4], i0 = 0, i1 = ctl[q + 5], j0 = 0, j1 = ctl[q + 6];
  if (mode === 0) {
    j0 = c * cs;
    j1 = Math.min(j1, j0 + cs);
  } else if (mode === 1) {
    i0 = c * cs;
    i1 = Math.min(i1, i0 + cs);
  } else {
    t0 = c;
    t1 = c + 1;
  }
  k.matmulPart(
    ctl[q], ctl[q + 1], ctl[q + 2], t0, t1, ctl[q + 5], ctl[q + 6], ctl[q + 7], i0, i1, j0, j1,
    ctl[q + 12], ctl[q + 13], ctl[q + 14], ctl[q + 15], ctl[q + 16], ctl[q + 17], ctl[q + 18], ctl[q + 19], ctl[q + 20],
    ctl[q + 21],
  );
}

/** The worker's program. `d` = { module, memory, ctl, tmp, spin }. */
export const WORKER_SOURCE = `'use strict';
const runChunk = function ${runChunk.toString().replace(/^function\s*runChunk\s*/, '').replace(/^function\s*/, '')};
function fisorWasmWorker(d) {
  const ctl = new Int32Array(d.ctl);
  const fargs = new Float64Array(d.ctl);
  let k;
  try {
    const inst = new WebAssembly.Instance(d.module, {
      env: { memory: d.memory, abort: function () { throw new Error('wasm kernel abort'); } },
    });
    k = inst.exports;
    k.setTmp(d.tmp);
  } catch (e) {
    Atomics.store(ctl, ${CTL_STATE}, 2);
    Atomics.notify(ctl, ${CTL_STATE});
    return;
  }
  const spin = d.spin;
  let seq = Atomics.load(ctl, ${CTL_SEQ});
  Atomics.store(ctl, ${CTL_STATE}, 1);
  Atomics.notify(ctl, ${CTL_STATE});
  for (;;) {
    let s = Atomics.load(ctl, ${CTL_SEQ});
    for (let i = 0; s === seq && i < spin; i++) s = Atomics.load(ctl, ${CTL_SEQ});
    while (s === seq) {
      Atomics.wait(ctl, ${CTL_SEQ}, seq);
      s = Atomics.load(ctl, ${CTL_SEQ});
    }
    seq = s;
    if (Atomics.load(ctl, ${CTL_OP}) === ${OP_QUIT}) break;
    if (Atomics.compareExchange(ctl, ${CTL_JOB}, ${JOB_PENDING}, ${JOB_TAKEN}) !== ${JOB_PENDING}) continue;
    seq = Atomics.load(ctl, ${CTL_SEQ}); // do not wake again for the job taken
    const stall = Atomics.load(ctl, ${CTL_STALL});
    if (stall > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, stall);
    const q = ${CTL_ARGS};
    // Read after taking the job (the CAS orders it after the main thread's writes of this job).
    const op = Atomics.load(ctl, ${CTL_OP});
    const n = ctl[${CTL_CHUNKS}];
    // Report the id written with the job, not SEQ: a worker still awake from an earlier job can
    // take this one before the main thread has bumped SEQ for it.
    const job = ctl[${CTL_JOB_ID}];
    try {
      for (let c = Atomics.add(ctl, ${CTL_NEXT}, 1); c < n; c = Atomics.add(ctl, ${CTL_NEXT}, 1)) runChunk(k, ctl, fargs, q, op, c);
    } catch (e) {
      Atomics.store(ctl, ${CTL_ERROR}, 1);
    }
    Atomics.store(ctl, ${CTL_DONE}, job);
    Atomics.notify(ctl, ${CTL_DONE});
  }
}
if (typeof process === 'object' && process.versions && process.versions.node) {
  fisorWasmWorker(process.getBuiltinModule('node:worker_threads').workerData);
} else {
  self.onmessage = function (e) { fisorWasmWorker(e.data); };
}
`;

/** The worker did not finish its share of a job in time (or died): the watchdog's error. */
export class WorkerStalledError extends Error {}

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(ev: string, f: (...a: unknown[]) => void): void;
}

/** What the worker needs: the kernels-mt module, the shared memory, its temporaries. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Byte pointer of a 64-byte block the worker uses as its kernel temporaries. */
  tmp: number;
  /** Atomics.load iterations the worker spins after a job before sleeping in Atomics.wait. */
  spin: number;
  /** ms the main thread waits for the worker's share of a job before calling it stalled (default 30000). */
  watchdogMs?: number;
}

/**
 * One helper thread driven through a control block (see the file comment).
 */
export class WasmHelperThread {
  readonly ctl: Int32Array;
  /** The elementwise kernels' float arguments, from index CTL_FARGS (same buffer as ctl). */
  readonly fargs: Float64Array;
  private seq = 0;
  private readonly canBlock: boolean;
  private worker: NodeWorker | { terminate(): void } | null = null;
  /** Spins of the main thread before it blocks in Atomics.wait (Node) when joining. */
  joinSpin = 20000;
  /** ms to wait for the worker's share of a job before the watchdog calls it stalled. */
  watchdogMs: number;

  constructor(init: WorkerInit) {
    const sab = new SharedArrayBuffer(CTL_BYTES);
    this.ctl = new Int32Array(sab);
    this.fargs = new Float64Array(sab);
    const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (n: string) => unknown } }).process;
    const isNode = !!proc?.versions?.node;
    this.canBlock = isNode;
    this.watchdogMs = init.watchdogMs ?? 30000;
    const data = { module: init.module, memory: init.memory, ctl: sab, tmp: init.tmp, spin: init.spin };
    if (isNode) {
      const wt = proc!.getBuiltinModule?.('node:worker_threads') as
        | { Worker: new (src: string, o: { eval: boolean; workerData: unknown; execArgv: string[] }) => NodeWorker }
        | undefined;
      if (!wt) throw new Error('node:worker_threads is not available (process.getBuiltinModule missing)');
      const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data, execArgv: [] });
      w.unref(); // never keeps the process alive
      w.on('error', () => Atomics.store(this.ctl, CTL_STATE, 2));
      w.on('exit', () => Atomics.store(this.ctl, CTL_STATE, 2));
      this.worker = w;
    } else {
      const G = globalThis as unknown as {
        Worker?: new (url: string) => { postMessage(d: unknown): void; terminate(): void };
        Blob: new (parts: string[], o: { type: string }) => unknown;
        URL: { createObjectURL(b: unknown): string };
      };
      if (typeof G.Worker !== 'function') throw new Error('no Worker in this environment');
      const url = G.URL.createObjectURL(new G.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      const w = new G.Worker(url);
      w.postMessage(data);
      this.worker = w;
    }
  }

  /** True once the worker has instantiated the module (false while starting or if it failed). */
  get ready(): boolean {
    return Atomics.load(this.ctl, CTL_STATE) === 1;
  }

  /** Node only: blocks up to `ms` for the worker to start; returns whether it is ready. */
  waitReady(ms: number): boolean {
    if (!this.canBlock) return this.ready;
    const end = Date.now() + ms;
    for (;;) {
      const s = Atomics.load(this.ctl, CTL_STATE);
      if (s !== 0) return s === 1;
      const left = end - Date.now();
      if (left <= 0) return false;
      Atomics.wait(this.ctl, CTL_STATE, 0, left);
    }
  }

  /**
   * Runs the job (`op`: OP_MATMUL or OP_ELEMENTWISE) whose arguments the caller wrote at
   * ctl[CTL_ARGS..] (and fargs[CTL_FARGS..]), in `chunks` chunks shared with the worker; returns
   * when all are done.
   *
   * Why it is race-free: the worker reads a job's arguments only after taking it with
   * compareExchange(JOB, PENDING, TAKEN), which happens-after the Atomics.store of PENDING that
   * follows every write of the arguments; this method returns (and so the arguments can be
   * rewritten for the next job) only once the job was either cancelled before the worker took
   * it (compareExchange PENDING -> CANCELLED succeeded) or acknowledged by the worker with this
   * job's own id in DONE. A worker woken late for an older SEQ finds JOB not PENDING, or takes
   * the current job and reports the current id. Chunks are claimed with Atomics.add, so each is
   * computed exactly once, the same way on either thread.
   */
  run(k: Parameters<typeof runChunk>[0], op: number, chunks: number): void {
    const c = this.ctl;
    const q = CTL_ARGS;
    // Wraps as int32: the id is compared with what the Int32Array gives back (2^31 would read -2^31,
    // and the job taken by the worker after 2^31 hand-offs would never be seen done).
    const seq = (this.seq = (this.seq + 1) | 0);
    c[CTL_CHUNKS] = chunks;
    c[CTL_JOB_ID] = seq; // the job id the worker reports in DONE (visible to it through the CAS on JOB)
    c[CTL_OP] = op;
    Atomics.store(c, CTL_NEXT, 0);
    Atomics.store(c, CTL_JOB, JOB_PENDING);
    Atomics.store(c, CTL_SEQ, seq);
    Atomics.notify(c, CTL_SEQ, 1);
    try {
      for (let i = Atomics.add(c, CTL_NEXT, 1); i < chunks; i = Atomics.add(c, CTL_NEXT, 1)) runChunk(k, c, this.fargs, q, op, i);
    } catch (e) {
      // The main thread's own chunk failed: claim the chunks left so the worker takes no more, and wait for
      // the one it holds, so that it never reads the next job's arguments for this one.
      Atomics.store(c, CTL_NEXT, chunks);
      this.join(seq);
      c[CTL_ERROR] = 0; // this job's; the next job's check must not report it
      throw e;
    }
    this.join(seq);
    if (c[CTL_ERROR] !== 0) {
      c[CTL_ERROR] = 0;
      throw new Error('wasm backend: kernel failed in the worker thread');
    }
  }

  /** Returns once job `seq` is cancelled before the worker took it, or acknowledged by the worker (see `run`). */
  private join(seq: number): void {
    const c = this.ctl;
    if (Atomics.compareExchange(c, CTL_JOB, JOB_PENDING, JOB_CANCELLED) === JOB_PENDING) return; // worker never came
    // The worker took the job: wait for its last chunk.
    if (Atomics.load(c, CTL_DONE) !== seq) {
      let i = 0;
      const spin = this.joinSpin;
      const start = Date.now();
      while (Atomics.load(c, CTL_DONE) !== seq) {
        if (++i <= spin) continue;
        // Watchdog: a dead worker (its exit event cannot run while this thread blocks) or one
        // stalled past the limit becomes an error, never a hang.
        if (Atomics.load(c, CTL_STATE) === 2) throw new WorkerStalledError('wasm backend: the worker thread died during a job');
        const waited = Date.now() - start;
        if (waited >= this.watchdogMs) {
          throw new WorkerStalledError(
            `wasm backend: the worker thread did not finish its share of a job within ${this.watchdogMs} ms ` +
              '(stalled or dead); it was stopped and the backend continues on one thread. If the machine is ' +
              'heavily loaded, set FISOR_WASM_THREADS=1.',
          );
        }
        if (this.canBlock) Atomics.wait(c, CTL_DONE, Atomics.load(c, CTL_DONE), Math.min(100, this.watchdogMs - waited));
      }
    }
  }

  /** Stops the worker (it also never keeps a Node process alive); `terminate` also kills a stalled one. */
  close(terminate = false): void {
    if (!this.worker) return;
    if (terminate) void this.worker.terminate();
    this.ctl[CTL_OP] = OP_QUIT;
    Atomics.store(this.ctl, CTL_SEQ, (this.seq = (this.seq + 1) | 0));
    Atomics.notify(this.ctl, CTL_SEQ, 1);
    Atomics.store(this.ctl, CTL_STATE, 2);
    this.worker = null;
  }
}
