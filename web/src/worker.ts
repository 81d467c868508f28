/**
 * The training worker: owns the tensor backend and the FISOR session, so training never blocks the page.
 * Requests (protocol.ts) are answered in order; a 'train' request posts progress while it runs.
 */
import { getBackend, registerBackend, setBackend } from '../../core/index.js';
import { gpujsMode } from '../../core/backends/gpujs/index.js';
import { WasmBackend } from '../../core/backends/wasm/index.js';
import type { UpdateMetrics } from '../../rl/fisor/agent.js';
import type { FromWorker, Progress, Reply, Request } from './protocol.js';
import { FisorSession } from './session.js';

let session: FisorSession | null = null;
const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
const progress = (p: Progress) => post({ id: null, progress: p });

/** The two-thread wasm backends, registered beside core's one-thread ones (instances are cached by name). */
registerBackend('wasm-2threads', () => new WasmBackend({ threads: 2 }));
registerBackend('wasm-fma-2threads', () => new WasmBackend({ threads: 2, fma: true }));

/** What actually runs: the backend's name and, for wasm, whether the second thread is splitting products. */
function describeBackend(): { name: string; detail: string } {
  const b = getBackend();
  if (b instanceof WasmBackend) {
    if (b.threads === 1) return { name: b.name, detail: '1 thread' };
    return { name: b.name, detail: b.threadsActive ? '2 threads' : '1 thread (the second has not started)' };
  }
  return { name: b.name, detail: b.name === 'gpujs' ? `gpu.js mode ${gpujsMode()}` : 'plain TypeScript reference kernels' };
}

function chooseBackend(name: string, threads: number): Reply {
  // Two threads need SharedArrayBuffer, which a browser gives only to a cross-origin isolated page.
  const wasm = name === 'wasm' || name === 'wasm-fma';
  const two = wasm && threads >= 2 && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  setBackend(two ? `${name}-2threads` : name);
  // The second thread starts asynchronously in a browser: report what was asked until training shows what ran.
  return { type: 'backend', ...(two ? { name, detail: '2 threads requested' } : describeBackend()) };
}

async function train(task: string, seed: number, steps: number, datasetSeed: number): Promise<Reply> {
  session = FisorSession.create({ task, seed, steps, datasetSeed }, (done, total) => progress({ type: 'collect', done, total }));
  const all: UpdateMetrics[] = [];
  let pending: UpdateMetrics[] = [];
  let lastPost = performance.now();
  let ms = 0;
  while (!session.done) {
    const t0 = performance.now();
    const m = session.update();
    ms += performance.now() - t0;
    all.push(m);
    pending.push(m);
    if (!Object.values(m).every(Number.isFinite)) throw new Error(`training diverged at step ${session.step}`);
    if (session.done || performance.now() - lastPost > 150) {
      progress({ type: 'steps', step: session.step, total: session.cfg.steps, metrics: pending });
      pending = [];
      lastPost = performance.now();
      await new Promise((r) => setTimeout(r, 0)); // let the progress message go out
    }
  }
  return { type: 'trained', step: session.step, seconds: ms / 1000, metrics: all, backend: describeBackend() };
}

function need(): FisorSession {
  if (!session) throw new Error('no agent yet: train one or load a checkpoint');
  return session;
}

async function handle(req: Request): Promise<{ reply: Reply; transfer?: Transferable[] }> {
  switch (req.type) {
    case 'backend':
      return { reply: chooseBackend(req.backend, req.threads) };
    case 'train':
      return { reply: await train(req.task, req.seed, req.steps, req.datasetSeed) };
    case 'map': {
      const m = need().valueMap(req.v, req.theta, req.n);
      return { reply: { type: 'map', values: m.values, truth: m.truth, n: req.n }, transfer: [m.values.buffer, m.truth.buffer] };
    }
    case 'rollout':
      return { reply: { type: 'rollout', rollout: need().rollout(req.x, req.y, req.v, req.theta) } };
    case 'save': {
      const buffer = need().checkpoint(getBackend().name);
      return { reply: { type: 'checkpoint', buffer }, transfer: [buffer] };
    }
    case 'load':
      session = FisorSession.fromCheckpoint(req.buffer);
      return { reply: { type: 'loaded', task: session.task, step: session.step, seed: session.seed } };
  }
}

// One request at a time, in arrival order.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (e: MessageEvent<{ id: number; req: Request }>) => {
  const { id, req } = e.data;
  queue = queue.then(async () => {
    try {
      const { reply, transfer } = await handle(req);
      post({ id, ok: true, reply }, transfer);
    } catch (err) {
      post({ id, ok: false, error: (err as Error).message ?? String(err) });
    }
  });
};
