/**
 * Training-step benchmark (nn): ms per full step (forward, MSE, backward, Adam) inside `tidy`,
 * per backend:
 *   - MLP 17-256-256-256-6 ReLU, batch 256 (the COMPUTE.md reference step, ~208 MFLOP)
 *   - FISOR twin critic: EnsembleMLP, 2 members, (obs 17 + act 6) -> 256 -> 256 -> 1, batch 256
 *   - FISOR denoiser (MLPResNet 256 x 3 blocks, dropout 0.1, LayerNorm, Mish), batch 256 [wasm only]
 * wasm and wasm-fma (relaxed-SIMD FMA, where the engine has it) are timed at 1 thread and at 2 threads
 * (shared memory + worker; see docs/WASM_DESIGN.md).
 * Target: MLP step <= 10 ms on wasm, single thread.
 *
 *   npx tsx bench/training.ts           standalone
 *   npm run bench -- training           as a section of bench/run.ts
 */
import {
  backendByName, listBackends, randn, registerBackend, Rng, setBackend, getBackend, tidy, type Tensor,
} from '../core/index.js';
import { Adam, EnsembleMLP, MLP, MLPResNet, mse, type Module } from '../nn/index.js';
import { fmt, measure, type SectionResult, type Table, type Target } from './harness.js';

/** The backends to time: js, and wasm when its module exists (registered here if core has not yet). */
async function availableBackends(): Promise<{ names: string[]; notes: string[] }> {
  const notes: string[] = [];
  if (!listBackends().includes('wasm')) {
    try {
      const mod = (await import('../core/backends/wasm/index.js')) as { WasmBackend?: new () => import('../core/index.js').Backend };
      if (mod.WasmBackend) registerBackend('wasm', () => new mod.WasmBackend!());
    } catch (e) {
      notes.push(`wasm backend not available: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  // The wasm backend at a fixed thread count each (FISOR_WASM_THREADS only sets 'wasm''s default).
  try {
    const mod = (await import('../core/backends/wasm/index.js')) as typeof import('../core/backends/wasm/index.js');
    if (mod.wasmSimdAvailable()) {
      if (!listBackends().includes('wasm-1t')) registerBackend('wasm-1t', () => new mod.WasmBackend({ threads: 1 }));
      const two = new mod.WasmBackend({ threads: 2 });
      if (two.threadsActive) {
        if (!listBackends().includes('wasm-2t')) registerBackend('wasm-2t', () => two);
        if (mod.relaxedSimdAvailable()) {
          if (!listBackends().includes('wasm-fma-1t')) registerBackend('wasm-fma-1t', () => new mod.WasmBackend({ threads: 1, fma: true }));
          if (!listBackends().includes('wasm-fma-2t')) registerBackend('wasm-fma-2t', () => new mod.WasmBackend({ threads: 2, fma: true }));
        } else notes.push('wasm-fma: this engine has no relaxed SIMD');
      } else {
        two.closeThreads();
        notes.push('wasm 2 threads: not available here (no SharedArrayBuffer / worker)');
      }
    }
  } catch (e) {
    notes.push(`wasm threads: ${(e as Error).message.split('\n')[0]}`);
  }
  const names = ['js', 'wasm-1t', 'wasm-2t', 'wasm-fma-1t', 'wasm-fma-2t'].filter((n) => {
    if (!listBackends().includes(n)) return false;
    try {
      backendByName(n);
      return true;
    } catch (e) {
      notes.push(`${n}: ${(e as Error).message.split('\n')[0]}`);
      return false;
    }
  });
  return { names, notes };
}

interface Case {
  name: string;
  /** Builds the model, optimizer and data; returns one training step. */
  build(): () => number;
  wasmOnly?: boolean;
}

function trainStep(net: Module & { forward(x: Tensor): Tensor }, x: Tensor, y: Tensor): () => number {
  const opt = new Adam(net.parameters(), { lr: 3e-4 });
  return () => {
    tidy(() => {
      opt.zeroGrad();
      const loss = mse(net.forward(x), y);
      loss.backward();
      opt.step();
    });
    return opt.stepCount;
  };
}

/** $BENCH_CASES=mlp,critic,denoiser picks cases (default all). */
const PICK = (process.env.BENCH_CASES ?? '').split(',').filter(Boolean);
const ALL_CASES: (Case & { key: string })[] = [
  {
    key: 'mlp',
    name: 'MLP 17-256-256-256-6 ReLU, batch 256',
    build: () => {
      const rng = new Rng(1);
      const net = new MLP({ inputSize: 17, hiddenSizes: [256, 256, 256], outputSize: 6, rng });
      return trainStep(net, randn([256, 17], { rng }).keep(), randn([256, 6], { rng }).keep());
    },
  },
  {
    key: 'critic',
    name: 'twin critic: EnsembleMLP 2 x (23-256-256-1), batch 256',
    build: () => {
      const rng = new Rng(2);
      const net = new EnsembleMLP({ members: 2, inputSize: 23, hiddenSizes: [256, 256], outputSize: 1, rng });
      return trainStep(net, randn([256, 23], { rng }).keep(), randn([2, 256, 1], { rng }).keep());
    },
  },
  {
    key: 'denoiser',
    name: 'denoiser: MLPResNet 256 x 3 blocks (in 87, out 6), batch 256',
    wasmOnly: true,
    build: () => {
      const rng = new Rng(3);
      const net = new MLPResNet({ inputSize: 87, outputSize: 6, rng });
      return trainStep(net, randn([256, 87], { rng }).keep(), randn([256, 6], { rng }).keep());
    },
  },
];
const CASES: Case[] = PICK.length ? ALL_CASES.filter((c) => PICK.includes(c.key)) : ALL_CASES;

export async function trainingSection(): Promise<SectionResult> {
  const { names, notes } = await availableBackends();
  const prev = getBackend().name;
  const label: Record<string, string> = {
    js: 'js', 'wasm-1t': 'wasm 1 thread', 'wasm-2t': 'wasm 2 threads', 'wasm-fma-1t': 'wasm-fma 1 thread', 'wasm-fma-2t': 'wasm-fma 2 threads',
  };
  const cols = ['step', ...names.map((n) => `${label[n] ?? n} ms/step`)];
  const rows: (string | number)[][] = [];
  const targets: Target[] = [];
  for (const c of CASES) {
    const row: (string | number)[] = [c.name];
    for (const b of names) {
      if (c.wasmOnly && !b.startsWith('wasm')) {
        row.push('-');
        continue;
      }
      setBackend(b);
      const step = c.build();
      // js is slow: fewer seconds per case there so the section stays short.
      const t = measure(`${b} ${c.name}`, step, b === 'js' ? 0.5 : undefined);
      const ms = t.mean * 1e3;
      row.push(`${fmt(ms, 2)} ±${fmt(t.rme, 0)}%`);
      if (c === ALL_CASES[0] && b === 'wasm-1t') {
        targets.push({ what: 'MLP training step (17-256-256-256-6, batch 256, Adam) on wasm, 1 thread', met: ms <= 10, detail: `${fmt(ms, 2)} ms (target <= 10 ms)` });
      }
    }
    rows.push(row);
  }
  setBackend(prev);
  if (!names.includes('wasm-1t')) {
    targets.push({ what: 'MLP training step on wasm', met: false, detail: 'wasm backend not available; measured on js only' });
  }
  const table: Table = {
    title: 'Training step (forward + MSE + backward + Adam, inside tidy)',
    note: `ms/step = the mean of Benchmark.js samples ± its relative margin of error (not a median, unlike the other tables and the PyTorch peers). Each step: zeroGrad, forward, mse, backward, Adam (fused kernel), all in one tidy. Linear layers run as one fused op (bias + activation in the GEMM epilogue). 2 threads: products above 2^18 multiply-adds split with a worker sharing the memory (bit-identical results); figures from a machine whose other processes use the cores are not representative.${notes.length ? ` ${notes.join('; ')}.` : ''}`,
    columns: cols,
    rows,
  };
  return { name: 'training', tables: [table], targets };
}

// Standalone: npx tsx bench/training.ts
if (import.meta.url === `file://${process.argv[1]}`) {
  const { markdownTable } = await import('./harness.js');
  const r = await trainingSection();
  for (const t of r.tables) console.log(markdownTable(t));
  for (const g of r.targets ?? []) console.log(`${g.met ? 'MET    ' : 'NOT MET'} ${g.what}: ${g.detail}`);
}
