import { Reduce } from './codes';
import { vsplat } from './vmath';

// ---------------------------------------------------------------------------------------------
// Reductions: x viewed as [outer, mid, inner] -> out [outer, inner]. op: Reduce.
// ---------------------------------------------------------------------------------------------

@inline export function redV(op: i32, acc: v128, x: v128): v128 {
  if (op == Reduce.sum) return f32x4.add(acc, x);
  // Reference: take x if x beats acc or x is NaN (NaN then sticks).
  const take = op == Reduce.max ? f32x4.gt(x, acc) : f32x4.lt(x, acc);
  return v128.bitselect(x, acc, v128.or(take, f32x4.ne(x, x)));
}
@inline export function redS(op: i32, acc: f32, x: f32): f32 {
  if (op == Reduce.sum) return acc + x;
  const take = op == Reduce.max ? x > acc : x < acc;
  return take || x != x ? x : acc;
}

@inline export function reduceT(op: i32, x: usize, out: usize, outer: i32, mid: i32, inner: i32): void {
  const ld = <usize>inner << 2;
  const first = op == Reduce.sum ? 0 : 1;
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>mid * ld;
    const ob = out + <usize>o * ld;
    if (inner == 1) {
      // Contiguous run of mid values.
      let acc: f32 = op == Reduce.sum ? 0 : load<f32>(base);
      let i = first;
      if (op == Reduce.sum && mid >= 8) {
        let v0 = vsplat(0.0);
        let v1 = vsplat(0.0);
        for (; i + 8 <= mid; i += 8) {
          v0 = f32x4.add(v0, v128.load(base + (<usize>i << 2)));
          v1 = f32x4.add(v1, v128.load(base + (<usize>i << 2), 16));
        }
        v0 = f32x4.add(v0, v1);
        acc = f32x4.extract_lane(v0, 0) + f32x4.extract_lane(v0, 1) + (f32x4.extract_lane(v0, 2) + f32x4.extract_lane(v0, 3));
      }
      for (; i < mid; i++) acc = redS(op, acc, load<f32>(base + (<usize>i << 2)));
      store<f32>(ob, acc);
      continue;
    }
    // Column reduction: 16 columns at a time in registers, rows innermost.
    let c = 0;
    for (; c + 16 <= inner; c += 16) {
      let p = base + (<usize>c << 2);
      let a0 = op == Reduce.sum ? vsplat(0.0) : v128.load(p);
      let a1 = op == Reduce.sum ? vsplat(0.0) : v128.load(p, 16);
      let a2 = op == Reduce.sum ? vsplat(0.0) : v128.load(p, 32);
      let a3 = op == Reduce.sum ? vsplat(0.0) : v128.load(p, 48);
      p += <usize>first * ld;
      for (let r = first; r < mid; r++) {
        a0 = redV(op, a0, v128.load(p));
        a1 = redV(op, a1, v128.load(p, 16));
        a2 = redV(op, a2, v128.load(p, 32));
        a3 = redV(op, a3, v128.load(p, 48));
        p += ld;
      }
      const q = ob + (<usize>c << 2);
      v128.store(q, a0); v128.store(q, a1, 16); v128.store(q, a2, 32); v128.store(q, a3, 48);
    }
    for (; c + 4 <= inner; c += 4) {
      let p = base + (<usize>c << 2);
      let a0 = op == Reduce.sum ? vsplat(0.0) : v128.load(p);
      p += <usize>first * ld;
      for (let r = first; r < mid; r++) { a0 = redV(op, a0, v128.load(p)); p += ld; }
      v128.store(ob + (<usize>c << 2), a0);
    }
    for (; c < inner; c++) {
      let p = base + (<usize>c << 2);
      let a: f32 = op == Reduce.sum ? 0 : load<f32>(p);
      p += <usize>first * ld;
      for (let r = first; r < mid; r++) { a = redS(op, a, load<f32>(p)); p += ld; }
      store<f32>(ob + (<usize>c << 2), a);
    }
  }
}

export function reduce(op: i32, x: usize, out: usize, outer: i32, mid: i32, inner: i32): void {
  if (mid == 0) {
    // Reference: sum of nothing is 0; max/min of nothing leave garbage -> define as 0 / NaN.
    memory.fill(out, 0, <usize>(outer * inner) << 2);
    return;
  }
  if (op == Reduce.sum) reduceT(Reduce.sum, x, out, outer, mid, inner);
  else if (op == Reduce.max) reduceT(Reduce.max, x, out, outer, mid, inner);
  else reduceT(Reduce.min, x, out, outer, mid, inner);
}
