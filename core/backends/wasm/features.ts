/**
 * Feature probes for the wasm backends, in their own file (no kernel bytes) so that a page can ask
 * before it loads the kernels: SIMD128 (the `wasm` backend) and relaxed SIMD (`wasm-fma`).
 */
import { platform } from '../../platform.js';

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

/** (module (func (result v128) v128.const 0 v128.const 0 v128.const 0 f32x4.relaxed_madd)) */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // func 0 : type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code section (61 bytes): 1 body of 59 bytes, no locals
  0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // v128.const
  0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (0xfd 0x105)
  0x0b,
]);

function validates(bytes: Uint8Array): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes as BufferSource);
  } catch {
    return false;
  }
}

let relaxedOk: boolean | null = null;
/**
 * Whether this engine runs WebAssembly relaxed SIMD (and so the `wasm-fma` backend). Chromium and
 * Node >= 22 have it by default. Node 20's V8 has it behind --experimental-wasm-relaxed-simd: where
 * the probe fails in Node, the flag is set from inside the process (v8.setFlagsFromString, read when a
 * module is validated or compiled) and the probe is repeated. FISOR_WASM_FMA=0 turns this off (the
 * `wasm` backend is then the default).
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxedOk !== null) return relaxedOk;
  const p = platform();
  if (p.env('FISOR_WASM_FMA') === '0' || !wasmSimdAvailable()) return (relaxedOk = false);
  relaxedOk = validates(RELAXED_PROBE);
  if (!relaxedOk && p.name === 'node') {
    try {
      p.builtin('node:v8', 'the wasm-fma backend').setFlagsFromString('--experimental-wasm-relaxed-simd');
      relaxedOk = validates(RELAXED_PROBE);
    } catch {
      relaxedOk = false;
    }
  }
  return relaxedOk;
}
