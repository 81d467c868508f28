/**
 * The one list of wasm op codes and named kernel constants. core/wasm/build.mjs generates from it
 *   - core/wasm/assembly/codes.ts: AssemblyScript `const enum`s (Unary, Binary, Reduce), the
 *     constant slot enums (C, CI) and their pre-splatted data (KF_DATA, KI_DATA);
 *   - core/wasm/generated/codes.ts: the TypeScript maps `Record<UnaryOp, number>` etc. the wasm
 *     backend calls the kernels with (typed by the ops' unions: a missing op does not compile).
 * An op's code is its index in its list. Constant values are AssemblyScript literals, kept as
 * written so that the module's bytes do not change.
 */

/** core/backend.ts `UnaryOp`, in code order. */
export const UNARY = [
  'copy', 'neg', 'exp', 'log', 'sqrt', 'square', 'abs', 'sign', 'tanh', 'sigmoid',
  'softplus', 'relu', 'mish', 'sin', 'cos', 'pow', 'clamp', 'scale', 'addScalar', 'reciprocal', 'step',
];

/** core/backend.ts `BinaryOp`, in code order. */
export const BINARY = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq'];

/** core/backend.ts `ReduceOp`, in code order. */
export const REDUCE = ['sum', 'max', 'min'];

/** float32 constants, one 16-byte slot each (read with `kf(C.NAME)`). */
export const F32_CONSTANTS = [
  ['EXP_MIN', '-104.0'],
  ['EXP_MAX', '89.0'],
  ['LOG2E', '1.44269504088896341'],
  ['LN2_HI', '0.693359375'],
  ['LN2_LO', '-2.12194440e-4'],
  ['EXP_P0', '1.9875691500e-4'],
  ['EXP_P1', '1.3981999507e-3'],
  ['EXP_P2', '8.3334519073e-3'],
  ['EXP_P3', '4.1665795894e-2'],
  ['EXP_P4', '1.6666665459e-1'],
  ['EXP_P5', '5.0000001201e-1'],
  ['ONE', '1.0'],
  ['FLT_MIN', '1.17549435e-38'],
  ['TWO_POW_23', '8388608.0'],
  ['SQRT_HALF', '0.707106781186547524'],
  ['LOG_P0', '7.0376836292e-2'],
  ['LOG_P1', '-1.1514610310e-1'],
  ['LOG_P2', '1.1676998740e-1'],
  ['LOG_P3', '-1.2420140846e-1'],
  ['LOG_P4', '1.4249322787e-1'],
  ['LOG_P5', '-1.6668057665e-1'],
  ['LOG_P6', '2.0000714765e-1'],
  ['LOG_P7', '-2.4999993993e-1'],
  ['LOG_P8', '3.3333331174e-1'],
  ['HALF', '0.5'],
  ['NEG_INF', '-Infinity'],
  ['INF', 'Infinity'],
  ['NAN', 'NaN'],
  ['TANH_P0', '-5.70498872745e-3'],
  ['TANH_P1', '2.06390887954e-2'],
  ['TANH_P2', '-5.37397155531e-2'],
  ['TANH_P3', '1.33314422036e-1'],
  ['TANH_P4', '-3.33332819422e-1'],
  ['TWO', '2.0'],
  ['TANH_SMALL', '0.625'],
  ['MISH_CLAMP', '20.0'],
  ['NEG_ONE', '-1.0'],
  /** 1.5 2^23: adding it rounds a float to an integer (round-to-nearest-even). */
  ['ROUND_MAGIC', '12582912.0'],
];

/** int32 constants, one 16-byte slot each (read with `ki(CI.NAME)`). */
export const I32_CONSTANTS = [
  ['EXP_BIAS', '127'],
  ['EXP_BIAS_M1', '126'],
  ['MANT_BITS', '23'],
  ['MANT_MASK', '0x007fffff'],
  ['HALF_BITS', '0x3f000000'],
  ['SIGN_MASK', '<i32>0x80000000'],
  ['ROUND_MAGIC_BITS', '0x4b400000'],
];
