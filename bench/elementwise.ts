/**
 * Per-call cost of small elementwise ops (kernel level and tensor API level) and throughput of
 * the other wasm kernels against the js reference.
 */
import type { Backend, DataBuffer } from '../core/backend.js';
import { JsBackend } from '../core/backends/js.js';
import { WasmBackend } from '../core/backends/wasm/index.js';
import { filled, fmt, measure, type SectionResult, type Table, type Target } from './harness.js';

interface Case {
  name: string;
  /** Elements processed per call (for GB/s-free "M elem/s"). */
  elems: number;
  setup(b: Backend): { run(): void; dispose(): void };
}

function bufs(b: Backend, ...sizes: number[]): DataBuffer[] {
  return sizes.map((n, i) => filled(b, n, i + 1));
}

const N = 65536;
const CASES: Case[] = [
  {
    name: 'add 64 (same shape)', elems: 64,
    setup: (b) => {
      const [x, y, o] = bufs(b, 64, 64, 64);
      return { run: () => b.binary('add', x, y, o, [64], [1], [1]), dispose: () => [x, y, o].forEach((v) => b.free(v)) };
    },
  },
  {
    name: `add ${N}`, elems: N,
    setup: (b) => {
      const [x, y, o] = bufs(b, N, N, N);
      return { run: () => b.binary('add', x, y, o, [N], [1], [1]), dispose: () => [x, y, o].forEach((v) => b.free(v)) };
    },
  },
  {
    name: 'bias add [256,256] + [256]', elems: N,
    setup: (b) => {
      const [x, y, o] = bufs(b, N, 256, N);
      return { run: () => b.binary('add', x, y, o, [256, 256], [256, 1], [0, 1]), dispose: () => [x, y, o].forEach((v) => b.free(v)) };
    },
  },
  ...(['relu', 'exp', 'tanh', 'sigmoid', 'mish'] as const).map((op): Case => ({
    name: `${op} ${N}`, elems: N,
    setup: (b) => {
      const [x, o] = bufs(b, N, N);
      return { run: () => b.unary(op, x, o), dispose: () => [x, o].forEach((v) => b.free(v)) };
    },
  })),
  {
    name: `relu grad ${N}`, elems: N,
    setup: (b) => {
      const [x, y, g, o] = bufs(b, N, N, N, N);
      return { run: () => b.unaryGrad('relu', x, y, g, o), dispose: () => [x, y, g, o].forEach((v) => b.free(v)) };
    },
  },
  {
    name: 'column sum [256,256] -> [256]', elems: N,
    setup: (b) => {
      const [x, o] = bufs(b, N, 256);
      return { run: () => b.reduce('sum', x, o, 1, 256, 256), dispose: () => [x, o].forEach((v) => b.free(v)) };
    },
  },
  {
    name: 'transpose [256,256]', elems: N,
    setup: (b) => {
      const [x, o] = bufs(b, N, N);
      return { run: () => b.copyStrided(x, 0, [1, 256], o, 0, [256, 256]), dispose: () => [x, o].forEach((v) => b.free(v)) };
    },
  },
  {
    name: `adam ${N}`, elems: N,
    setup: (b) => {
      const [p, g, m, v] = bufs(b, N, N, N, N);
      b.fill(v, 0.01);
      const h = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 10 };
      return { run: () => b.adam(p, g, m, v, h), dispose: () => [p, g, m, v].forEach((x) => b.free(x)) };
    },
  },
];

/** 64-element a.add(b) through the tensor API on one backend; null if core/index.ts is not there. */
async function tensorAdd(name: string): Promise<number | null> {
  let core: typeof import('../core/index.js');
  try {
    core = await import('../core/index.js');
  } catch (e) {
    console.warn(`tensor API not available: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
  if (!core.listBackends().includes('wasm')) core.registerBackend('wasm', () => new WasmBackend());
  const prev = core.getBackend().name;
  core.setBackend(name);
  try {
    const data = new Float32Array(64).map((_, i) => i / 64);
    const a = core.tensor(data);
    const b = core.tensor(data);
    const t = measure(`tensor add 64 ${name}`, () => {
      const c = a.add(b);
      c.dispose();
    });
    a.dispose();
    b.dispose();
    return t.median;
  } finally {
    core.setBackend(prev);
  }
}

export async function elementwiseSection(): Promise<SectionResult> {
  const backends: [string, Backend][] = [['js', new JsBackend()], ['wasm', new WasmBackend({ threads: 1 })]];
  const rows: (string | number)[][] = [];
  let add64 = NaN;
  for (const c of CASES) {
    const row: (string | number)[] = [c.name];
    const us: number[] = [];
    for (const [bname, b] of backends) {
      const s = c.setup(b);
      const t = measure(`${bname} ${c.name}`, s.run);
      s.dispose();
      us.push(t.median * 1e6);
      row.push(fmt(t.median * 1e6, t.median < 1e-5 ? 3 : 1));
      if (bname === 'wasm' && c.elems === 64) add64 = t.median * 1e6;
    }
    row.push(`${fmt(us[0] / us[1])}×`);
    rows.push(row);
    console.log(row.join('  '));
  }
  const kernels: Table = {
    title: 'Kernels, µs per call (direct Backend calls, single thread; median of Benchmark.js samples)',
    columns: ['kernel', 'js µs', 'wasm µs', 'wasm speed-up'],
    rows,
  };
  const targets: Target[] = [
    { what: 'wasm kernel-level 64-element add <= 2 µs', met: add64 <= 2, detail: `${fmt(add64, 3)} µs` },
  ];
  const tables = [kernels];
  const tj = await tensorAdd('js');
  const tw = tj === null ? null : await tensorAdd('wasm');
  if (tj !== null && tw !== null) {
    tables.push({
      title: 'Tensor API, µs per call',
      note: '`c = a.add(b); c.dispose()` for 64-element float32 tensors (allocation, autograd bookkeeping and dispose included).',
      columns: ['op', 'js µs', 'wasm µs'],
      rows: [['a.add(b), 64 elements', fmt(tj * 1e6, 3), fmt(tw * 1e6, 3)]],
    });
    targets.push({ what: 'tensor API 64-element add on wasm <= 2 µs', met: tw * 1e6 <= 2, detail: `${fmt(tw * 1e6, 3)} µs` });
  }
  return { name: 'elementwise', tables, targets };
}
