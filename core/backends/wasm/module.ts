/**
 * Loading the wasm kernels: the compiled module (four builds of core/wasm/assembly: with its own
 * memory or importing a shared one for threads, each plain or with relaxed-SIMD FMA in the GEMM),
 * and the feature probes (features.ts). See docs/WASM_DESIGN.md.
 */
import {
  kernelsFmaMtWasmBase64, kernelsFmaWasmBase64, kernelsMtWasmBase64, kernelsWasmBase64,
} from '../../wasm/generated/kernels.js';
import { relaxedSimdAvailable } from './features.js';

export { relaxedSimdAvailable, wasmSimdAvailable } from './features.js';

/** The exports of core/wasm/assembly/index.ts (pointers are byte offsets). */
export interface Kernels {
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
  layerNorm(x: number, y: number, rows: number, n: number, eps: number): void;
  layerNormGrad(x: number, y: number, g: number, dx: number, rows: number, n: number, eps: number): void;
  fill(out: number, n: number, value: number): void;
  bernoulliMask(state: number, out: number, n: number, threshold: number, scale: number): void;
  matmul(
    a: number, b: number, c: number, batch: number, m: number, n: number, k: number,
    transA: number, transB: number, aBS: number, bBS: number, acc: number, pack: number,
  ): void;
  matmulPart(
    a: number, b: number, c: number, t0: number, t1: number, m: number, n: number, k: number,
    i0: number, i1: number, j0: number, j1: number,
    transA: number, transB: number, aBS: number, bBS: number, acc: number, pack: number,
    bias: number, biasBS: number, act: number, slope: number,
  ): void;
  setTmp(p: number): void;
  setMeta(p: number): void;
}

/** Dims the wasm strided walkers accept after collapsing (core/wasm/assembly MAXD). */
export const MAXD = 8;
/** The GEMM's K block (core/wasm/assembly KC). */
export const KC = 256;
export const PAGE = 65536;
/** Maximum pages of the shared memory (4 GiB, as the kernels-mt module declares). */
export const MT_MAX_PAGES = 65536;

function decodeBase64(s: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(s, 'base64'));
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Which build: `mt` imports a shared memory (threads), `fma` has the relaxed-SIMD GEMM (wasm-fma). */
export interface ModuleKind {
  mt: boolean;
  fma: boolean;
}

const BUILDS: Record<string, string> = {
  'st': kernelsWasmBase64,
  'mt': kernelsMtWasmBase64,
  'st-fma': kernelsFmaWasmBase64,
  'mt-fma': kernelsFmaMtWasmBase64,
};
const modules = new Map<string, WebAssembly.Module>();

/** One of the four builds of core/wasm/assembly (compiled once per process). */
export function getKernelModule(kind: ModuleKind): WebAssembly.Module {
  const key = `${kind.mt ? 'mt' : 'st'}${kind.fma ? '-fma' : ''}`;
  let m = modules.get(key);
  if (!m) {
    if (kind.fma && !relaxedSimdAvailable()) {
      throw new Error('wasm-fma backend: this engine has no WebAssembly relaxed SIMD (use the wasm backend)');
    }
    m = new WebAssembly.Module(decodeBase64(BUILDS[key]) as BufferSource);
    modules.set(key, m);
  }
  return m;
}

