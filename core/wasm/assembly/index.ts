// FISOR tensor kernels in AssemblyScript, compiled to WebAssembly SIMD128 (see docs/WASM_DESIGN.md).
//
// Every pointer is a byte offset into the one exported memory; every length / stride / offset
// is in float32 elements. The JS side (core/backends/wasm/) owns allocation: nothing here
// allocates. Small fixed scratch areas live in static data (memory.data).
//
// One file per kernel family; this entry file only lists the module's exports. Op codes and the
// named constant slots come from core/wasm/codes.mjs (generated into codes.ts by
// core/wasm/build.mjs), the same list the TypeScript side's code maps are generated from.
//
//   scratch.ts  static scratch (META, TMP), the constant-slot loaders kf / ki
//   vmath.ts    float32x4 exp, log, tanh, sigmoid, softplus, mish
//   unary.ts    unary, unaryGrad
//   binary.ts   binaryFlat, binaryStrided
//   where.ts    whereStrided
//   strided.ts  copyStrided, addStrided
//   reduce.ts   reduce (sum / max / min over the middle axis)
//   rows.ts     gatherRows, scatterAddRows
//   update.ts   adam, lerp, fill
//   gemm.ts     matmul, matmulPart, matmulBiasAct (packed B panels, 4 x 8 / 6 x 8 tiles, fused epilogue)
//   norm.ts     layerNorm, layerNormGrad (rows; one kernel per direction)
//   random.ts   bernoulliMask (dropout masks from core/rng.ts's generator)

export { setTmp, setMeta, metaPtr, heapBase } from './scratch';
export { unary, unaryGrad } from './unary';
export { binaryFlat, binaryStrided } from './binary';
export { whereStrided } from './where';
export { copyStrided, addStrided } from './strided';
export { reduce } from './reduce';
export { gatherRows, scatterAddRows } from './rows';
export { adam, lerp, fill } from './update';
export { packBytes, matmul, matmulPart, matmulBiasAct } from './gemm';
export { layerNorm, layerNormGrad } from './norm';
export { bernoulliMask } from './random';
