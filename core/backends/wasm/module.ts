/**
 * Loading the wasm kernels: the compiled module (two builds of core/wasm/assembly: one with its
 * own memory, one importing a shared memory for threads), the SIMD feature probe, and the thread
 * count the backend uses by default. See docs/WASM_DESIGN.md.
 */
import { kernelsMtWasmBase64, kernelsWasmBase64 } from '../../wasm/generated/kernels.js';

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

let kernelModule: WebAssembly.Module | null = null;
/** The kernels build: exports its own (non-shared) memory. */
export function getModule(): WebAssembly.Module {
  if (!kernelModule) kernelModule = new WebAssembly.Module(decodeBase64(kernelsWasmBase64) as BufferSource);
  return kernelModule;
}
let kernelMtModule: WebAssembly.Module | null = null;
/** The kernels-mt build: imports a shared memory (env.memory) so that a worker can share it. */
export function getMtModule(): WebAssembly.Module {
  if (!kernelMtModule) kernelMtModule = new WebAssembly.Module(decodeBase64(kernelsMtWasmBase64) as BufferSource);
  return kernelMtModule;
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
