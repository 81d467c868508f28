import { vsplat } from './vmath';

// ---------------------------------------------------------------------------------------------
// Layer normalisation over rows of n floats (core/ops/layernorm.ts), one kernel per direction
// instead of ~10 elementwise / reduction passes each:
//   forward   y = (x - mu) r,   mu = mean(x),  r = (mean((x - mu)^2) + eps)^(-1/2)
//   backward  dx = r (g - mean(g) - y mean(g y))      (mu, r recomputed from x)
// Sums run in 4 SIMD lanes (lane j takes elements j, j + 4, ...) plus a scalar tail, then the
// lanes are added as (l0 + l1) + (l2 + l3): one fixed order, so the same row gives the same bits
// whichever thread computes it.
// ---------------------------------------------------------------------------------------------

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Sum of n floats at p. */
@inline function rowSum(p: usize, n: i32): f32 {
  const nv = <usize>(n >> 2) << 4;
  let acc = vsplat(0.0);
  for (let i: usize = 0; i < nv; i += 16) acc = f32x4.add(acc, v128.load(p + i));
  let s = hsum(acc);
  for (let i = nv; i < (<usize>n << 2); i += 4) s += load<f32>(p + i);
  return s;
}

/** Sum of (x - mu)^2 over n floats at p. */
@inline function rowSqDev(p: usize, n: i32, mu: f32): f32 {
  const nv = <usize>(n >> 2) << 4;
  const vm = vsplat(mu);
  let acc = vsplat(0.0);
  for (let i: usize = 0; i < nv; i += 16) {
    const d = f32x4.sub(v128.load(p + i), vm);
    acc = f32x4.add(acc, f32x4.mul(d, d));
  }
  let s = hsum(acc);
  for (let i = nv; i < (<usize>n << 2); i += 4) {
    const d = load<f32>(p + i) - mu;
    s += d * d;
  }
  return s;
}

/** 1 / sqrt(mean((x - mu)^2) + eps) of one row (no static scratch: both threads run this). */
@inline function rowRstd(p: usize, n: i32, mu: f32, eps: f32): f32 {
  return <f32>1.0 / Mathf.sqrt(rowSqDev(p, n, mu) * (<f32>1.0 / <f32>n) + eps);
}

/** y = (x - mean) rstd for `rows` rows of n floats (x and y may be the same buffer). */
export function layerNorm(x: usize, y: usize, rows: i32, n: i32, eps: f32): void {
  const ld = <usize>n << 2;
  const nv = <usize>(n >> 2) << 4;
  const inv = <f32>1.0 / <f32>n;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * ld;
    const yr = y + <usize>r * ld;
    const mu = rowSum(xr, n) * inv;
    const rs = rowRstd(xr, n, mu, eps);
    const vm = vsplat(mu);
    const vr = vsplat(rs);
    for (let i: usize = 0; i < nv; i += 16) v128.store(yr + i, f32x4.mul(f32x4.sub(v128.load(xr + i), vm), vr));
    for (let i = nv; i < ld; i += 4) store<f32>(yr + i, (load<f32>(xr + i) - mu) * rs);
  }
}

/** dx = rstd (g - mean(g) - y mean(g y)) per row, rstd recomputed from x. */
export function layerNormGrad(x: usize, y: usize, g: usize, dx: usize, rows: i32, n: i32, eps: f32): void {
  const ld = <usize>n << 2;
  const nv = <usize>(n >> 2) << 4;
  const inv = <f32>1.0 / <f32>n;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * ld;
    const xr = x + off, yr = y + off, gr = g + off, dr = dx + off;
    const rs = rowRstd(xr, n, rowSum(xr, n) * inv, eps);
    let ag = vsplat(0.0);
    let agy = vsplat(0.0);
    for (let i: usize = 0; i < nv; i += 16) {
      const gv = v128.load(gr + i);
      ag = f32x4.add(ag, gv);
      agy = f32x4.add(agy, f32x4.mul(gv, v128.load(yr + i)));
    }
    let sg = hsum(ag);
    let sgy = hsum(agy);
    for (let i = nv; i < ld; i += 4) {
      const gs = load<f32>(gr + i);
      sg += gs;
      sgy += gs * load<f32>(yr + i);
    }
    const gm = sg * inv;
    const gym = sgy * inv;
    const vgm = vsplat(gm);
    const vgym = vsplat(gym);
    const vr = vsplat(rs);
    for (let i: usize = 0; i < nv; i += 16) {
      const t = f32x4.sub(f32x4.sub(v128.load(gr + i), vgm), f32x4.mul(v128.load(yr + i), vgym));
      v128.store(dr + i, f32x4.mul(t, vr));
    }
    for (let i = nv; i < ld; i += 4) store<f32>(dr + i, (load<f32>(gr + i) - gm - load<f32>(yr + i) * gym) * rs);
  }
}
