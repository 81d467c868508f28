/**
 * Public API of the tensor core. Importing it registers the backends: 'js' (reference, float64),
 * 'wasm' (our SIMD kernels), 'wasm-fma' (the same with fused multiply-adds in the GEMM; the default
 * where relaxed SIMD exists, else 'wasm' where SIMD exists) and 'gpujs'.
 */
import { registerBackend } from './backend.js';
import { JsBackend } from './backends/js.js';
import { GpujsBackend } from './backends/gpujs/index.js';
import { relaxedSimdAvailable, WasmBackend, wasmSimdAvailable } from './backends/wasm/index.js';

registerBackend('js', () => new JsBackend(), { preferred: true });
// The default where WebAssembly SIMD exists; otherwise 'js' stays the default (plain TS fallback).
registerBackend('wasm', () => new WasmBackend(), { preferred: wasmSimdAvailable() });
// The same kernels with fused multiply-adds in the GEMM (relaxed SIMD): the default where the engine
// has it (Chromium, Node >= 22, Node 20 with the flag the probe sets), else 'wasm'.
registerBackend('wasm-fma', () => new WasmBackend({ fma: true }), { preferred: relaxedSimdAvailable() });
registerBackend('gpujs', () => new GpujsBackend());

export { Tensor, tensor, type NestedArray } from './tensor.js';
export { zeros, ones, full, arange, rand, randn, randint, manualSeed, type CreateOptions, type RandomOptions } from './creation.js';
export { Rng, type RngState } from './rng.js';
export { where, concat, stack } from './ops/movement.js';
export { matmul, matmulT } from './ops/matmul.js';
export { linear, type LinearActivation } from './ops/linear.js';
export { layerNormalize, LayerNormalize } from './ops/layernorm.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { gelu, erf } from './ops/gelu.js';
export { causalMask, keyPaddingMask, MASKED_LOGIT } from './ops/mask.js';
export { noGrad, isGradEnabled, apply, setDebugNonFinite, isDebugNonFinite, type OpDef } from './autograd.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult, type InputReport } from './gradcheck.js';
export { audit, formatAudit, type AuditRow, type AuditReport, type AuditOptions } from './audit.js';
export { tidy, keep, setMemoryWarningBytes, wasmMemoryInUse, type Disposable } from './memory.js';
export {
  sizeOf, stridesOf, sameShape, fmtShape, broadcastShapes, broadcastStrides, normAxis, normAxes, checkShape, type Shape,
} from './shape.js';
export {
  setBackend, getBackend, listBackends, registerBackend, backendByName,
  type Backend, type DType, type DataBuffer, type FusedActivation, type TypedArray,
} from './backend.js';
export { platform, setPlatform, type Platform, type NodeBuiltins } from './platform.js';
export { relaxedSimdAvailable, wasmSimdAvailable } from './backends/wasm/features.js';
