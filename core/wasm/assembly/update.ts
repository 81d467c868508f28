import { vsplat } from './vmath';

// ---------------------------------------------------------------------------------------------
// In-place updates: Adam / AdamW, lerp, fill
// ---------------------------------------------------------------------------------------------

/**
 * One fused pass of Adam / AdamW. c1 = 1 - beta1, c2 = 1 - beta2 (rounded from float64: 1 - 0.999f
 * in float32 is off by 1e-5 relative), lr1 = lr / bc1, ibc2 = 1 / bc2, decay = 1 - lr wd (AdamW) or 1,
 * l2 = wd (Adam) or 0.
 */
export function adam(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  beta1: f32, beta2: f32, c1: f32, c2: f32, lr1: f32, ibc2: f32, eps: f32, decay: f32, l2: f32,
): void {
  const vb1 = vsplat(beta1);
  const vb2 = vsplat(beta2);
  const vc1 = vsplat(c1);
  const vc2 = vsplat(c2);
  const vlr = vsplat(lr1);
  const vib = vsplat(ibc2);
  const veps = vsplat(eps);
  const vdec = vsplat(decay);
  const vl2 = vsplat(l2);
  const nv = <usize>(n >> 2) << 4;
  let i: usize = 0;
  for (; i < nv; i += 16) {
    const pi = v128.load(p + i);
    const gi = f32x4.add(v128.load(g + i), f32x4.mul(vl2, pi));
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + i)), f32x4.mul(vc1, gi));
    const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + i)), f32x4.mul(f32x4.mul(vc2, gi), gi));
    v128.store(m + i, mi);
    v128.store(v + i, vi);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vi, vib)), veps);
    v128.store(p + i, f32x4.sub(f32x4.mul(pi, vdec), f32x4.div(f32x4.mul(vlr, mi), den)));
  }
  const end = <usize>n << 2;
  for (; i < end; i += 4) {
    const pi = load<f32>(p + i);
    const gi = load<f32>(g + i) + l2 * pi;
    const mi = beta1 * load<f32>(m + i) + c1 * gi;
    const vi = beta2 * load<f32>(v + i) + c2 * gi * gi;
    store<f32>(m + i, mi);
    store<f32>(v + i, vi);
    store<f32>(p + i, pi * decay - (lr1 * mi) / (Mathf.sqrt(vi * ibc2) + eps));
  }
}

export function lerp(dst: usize, src: usize, n: i32, t: f32): void {
  const vt = vsplat(t);
  const nv = <usize>(n >> 2) << 4;
  let i: usize = 0;
  for (; i < nv; i += 16) {
    const d = v128.load(dst + i);
    v128.store(dst + i, f32x4.add(d, f32x4.mul(vt, f32x4.sub(v128.load(src + i), d))));
  }
  const end = <usize>n << 2;
  for (; i < end; i += 4) {
    const d = load<f32>(dst + i);
    store<f32>(dst + i, d + t * (load<f32>(src + i) - d));
  }
}

export function fill(out: usize, n: i32, value: f32): void {
  const vs = vsplat(value);
  const nv = <usize>(n >> 2) << 4;
  let i: usize = 0;
  for (; i < nv; i += 16) v128.store(out + i, vs);
  const end = <usize>n << 2;
  for (; i < end; i += 4) store<f32>(out + i, value);
}
