/**
 * Additive attention masks (constants, no gradient): added to the attention logits before softmax, a
 * masked entry gets MASKED_LOGIT, whose exponential underflows to exactly 0 after the row-max shift.
 * exp(-1e4) underflows to exactly 0 in float32 and float64, so any logits well below 1e4 in size are fully masked;
 * a finite value (not -Infinity or -1e9) keeps the arithmetic NaN-free and finite differences (audit) precise.
 */
import type { DType } from '../backend.js';
import { backendByName, backendFor, getBackend } from '../backend.js';
import { Tensor } from '../tensor.js';

export const MASKED_LOGIT = -1e4;

/** [T, T]: 0 where key j <= query i (a token sees itself and the past), MASKED_LOGIT where j > i. */
export function causalMask(T: number, opts: { dtype?: DType; backend?: string } = {}): Tensor {
  if (!Number.isInteger(T) || T <= 0) throw new Error(`causalMask: size must be a positive integer, got ${T}`);
  const dtype = opts.dtype ?? 'float32';
  const b = backendFor(dtype, opts.backend ? backendByName(opts.backend) : getBackend());
  const data = new Float64Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) data[i * T + j] = MASKED_LOGIT;
  const t = Tensor.empty([T, T], dtype, b);
  b.write(t.buffer, data);
  return t;
}

/**
 * [B, 1, 1, T] from key-validity flags [B, T] (1 = real token, 0 = padding): 0 for real keys, MASKED_LOGIT
 * for padding; broadcasts against attention logits [B, heads, T, T].
 */
export function keyPaddingMask(valid: ArrayLike<number>, B: number, T: number, opts: { dtype?: DType; backend?: string } = {}): Tensor {
  // B and T are sizes (at least one query row and one key, as causalMask): B=-1, T=-2 or B=0.5, T=4 passed the
  // length test and made a mask of a nonsense shape.
  if (!Number.isInteger(B) || B <= 0) throw new Error(`keyPaddingMask: B (the batch size) must be a positive integer, got ${B}`);
  if (!Number.isInteger(T) || T <= 0) throw new Error(`keyPaddingMask: T (the number of keys) must be a positive integer, got ${T}`);
  if (valid === null || typeof valid !== 'object' || typeof valid.length !== 'number') {
    throw new Error(`keyPaddingMask: valid must be an array of B x T flags, got ${valid === null ? 'null' : typeof valid}`);
  }
  if (valid.length !== B * T) throw new Error(`keyPaddingMask: ${valid.length} flags for B=${B} x T=${T}`);
  const dtype = opts.dtype ?? 'float32';
  const b = backendFor(dtype, opts.backend ? backendByName(opts.backend) : getBackend());
  const data = new Float64Array(B * T);
  for (let i = 0; i < B * T; i++) data[i] = valid[i] > 0 ? 0 : MASKED_LOGIT;
  const t = Tensor.empty([B, 1, 1, T], dtype, b);
  b.write(t.buffer, data);
  return t;
}
