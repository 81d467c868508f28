/**
 * Seeded random numbers, identical on every platform and backend.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna, 2018) on four 32-bit words, seeded by
 * splitmix32 from one 32-bit seed. All state updates are 32-bit integer arithmetic
 * (`Math.imul`, `>>> 0`), so the integer stream is bit-identical in every JS engine.
 *
 * - `uniform()`: 24 random bits / 2^24, in [0, 1) (exactly representable in float32).
 * - `uniform53()`: 53 random bits / 2^53, in [0, 1), for float64 work.
 * - `normal()`: Box-Muller on two `uniform53()` draws, using `Math.log`, `Math.sqrt`,
 *   `Math.cos`/`Math.sin`. V8 implements these with fdlibm ports, so results are identical on
 *   every platform Node/Chrome run on; other engines may differ in the last ulp.
 * - `int(n)`: unbiased integer in [0, n) by rejection sampling.
 *
 * The whole state is four numbers: `getState()` / `setState()` let checkpoints resume exactly.
 */
import type { DataBuffer } from './backend.js';

export class Rng {
  /** The state as 4 words for a backend's mask kernel (fillBernoulliMaskOn); made on first use, then reused. */
  private words: Uint32Array | null = null;
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Second Box-Muller value, returned by the next `normal()` call. */
  private spare: number | null = null;

  /**
   * Seeds the four state words by splitmix32 from one 32-bit value. The seed must be an integer (a
   * fraction was silently truncated, so 1.5 gave seed 1's stream). Integers outside [0, 2^32) are folded
   * to 32 bits as (low 32 bits of seed) XOR (low 32 bits of trunc(seed / 2^32)), the fold that defines
   * every existing stream: so, e.g., -1 and 2^32 - 1 give the same stream, and 2^32 gives seed 1's.
   */
  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    if (!Number.isInteger(seed)) throw new Error(`Rng: seed must be an integer, got ${seed}`);
    let x = (Math.trunc(seed) ^ Math.trunc(seed / 4294967296)) >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 bits of resolution. */
  uniform(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }

  /**
   * out[i] = uniform() < p ? 0 : scale for every i, in order: the same draws and the same values as
   * calling uniform() out.length times (a dropout mask), with the generator state in locals (no
   * property write per draw; ~5x faster than the call per element).
   */
  fillBernoulliMask(out: Float32Array | Float64Array, p: number, scale: number): void {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < out.length; i++) {
      const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
      const t = (s1 << 9) >>> 0;
      s2 = (s2 ^ s0) >>> 0;
      s3 = (s3 ^ s1) >>> 0;
      s1 = (s1 ^ s2) >>> 0;
      s0 = (s0 ^ s3) >>> 0;
      s2 = (s2 ^ t) >>> 0;
      s3 = rotl(s3, 11);
      out[i] = (result >>> 8) / 16777216 < p ? 0 : scale;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /**
   * fillBernoulliMask into a backend buffer: drawn by the backend's own kernel where it has one
   * (Backend.bernoulliMask, wasm), else on the buffer's view. The same draws, mask and state after either
   * way: the kernel compares (draw >>> 8) < ceil(p 2^24), which is (draw >>> 8) / 2^24 < p in integers.
   */
  fillBernoulliMaskOn(out: DataBuffer, p: number, scale: number): void {
    const be = out.backend;
    if (!be.bernoulliMask) {
      this.fillBernoulliMask(out.view(), p, scale);
      return;
    }
    const w = (this.words ??= new Uint32Array(4));
    w[0] = this.s0; w[1] = this.s1; w[2] = this.s2; w[3] = this.s3;
    be.bernoulliMask(out, w, Math.ceil(p * 16777216), scale);
    this.s0 = w[0]; this.s1 = w[1]; this.s2 = w[2]; this.s3 = w[3];
  }

  /** Uniform in [0, 1) with 53 bits of resolution. */
  uniform53(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform53();
  }

  /** Standard normal N(0, 1) by Box-Muller. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u1 = this.uniform53();
    while (u1 === 0) u1 = this.uniform53();
    const u2 = this.uniform53();
    const r = Math.sqrt(-2 * Math.log(u1));
    const a = 2 * Math.PI * u2;
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }

  /** Unbiased integer in [0, n), n <= 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new Error(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** A new generator seeded from this one (for independent streams). */
  fork(): Rng {
    const child = new Rng(0);
    child.setState([this.nextU32(), this.nextU32(), this.nextU32(), (this.nextU32() | 1) >>> 0, null]);
    return child;
  }

  /** Snapshot of the full state (for checkpoints). */
  getState(): RngState {
    return [this.s0, this.s1, this.s2, this.s3, this.spare];
  }

  /**
   * Restores a `getState()` snapshot. Refuses the all-zero words (xoshiro's one fixed point: every draw
   * would be 0 and normal() would loop forever, which the constructor also avoids) and a spare that is
   * not null or a finite number (normal() would hand it back as a draw).
   */
  setState(state: RngState): void {
    if (!Array.isArray(state) || state.length !== 5) {
      throw new Error('Rng.setState: expected [s0, s1, s2, s3, spare]');
    }
    const [a, b, c, d, spare] = state;
    for (const [i, w] of [a, b, c, d].entries()) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) {
        throw new Error(`Rng.setState: word ${i} must be a 32-bit unsigned integer, got ${w}`);
      }
    }
    if ((a | b | c | d) === 0) throw new Error('Rng.setState: the words are all 0, a state xoshiro128** never leaves (every draw would be 0)');
    if (spare !== null && !(typeof spare === 'number' && Number.isFinite(spare))) {
      throw new Error(`Rng.setState: spare (the pending normal draw) must be null or a finite number, got ${typeof spare === 'string' ? `'${spare}'` : String(spare)}`);
    }
    this.s0 = a;
    this.s1 = b;
    this.s2 = c;
    this.s3 = d;
    this.spare = spare;
  }
}

/** [s0, s1, s2, s3, pending Box-Muller value or null]. */
export type RngState = [number, number, number, number, number | null];

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
