// ---------------------------------------------------------------------------------------------
// Dropout masks from the project's generator (core/rng.ts, xoshiro128**), drawn where the mask lives
// ---------------------------------------------------------------------------------------------

@inline function rotl(x: u32, k: u32): u32 {
  return (x << k) | (x >>> (32 - k));
}

/**
 * out[i] = (draw_i >>> 8) < threshold ? 0 : scale for i = 0 .. n-1, the draws in order from the
 * xoshiro128** state (4 u32 words) at `state`, which is written back. With threshold = ceil(p 2^24)
 * this is Rng.fillBernoulliMask exactly ((draw >>> 8) / 2^24 < p, compared in integers): the same
 * mask bits and the same generator state after, in a scalar loop without the JS number checks.
 */
export function bernoulliMask(state: usize, out: usize, n: i32, threshold: u32, scale: f32): void {
  let s0 = load<u32>(state), s1 = load<u32>(state, 4), s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  for (let i = 0; i < n; i++) {
    const result = rotl(s1 * 5, 7) * 9;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    store<f32>(out + (<usize>i << 2), (result >>> 8) < threshold ? 0 : scale);
  }
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
}
