import { Unary } from './codes';
import { tmpp } from './scratch';
import { vsplat, vtsp, vmishSlope } from './vmath';
import { uv } from './unary';

// ---------------------------------------------------------------------------------------------
// GEMM: C (m x n) [+]= op(A) op(B), batched. B is packed into 8-column panels (zero padded),
// K blocked by KC; the micro-kernel keeps a 4 x 8 tile of C in 8 registers (6 x 8 in 12 in the
// relaxed-SIMD build), K innermost, broadcasting one A value per row and step. A is read in place
// through (row, col) strides, which serves A and Aᵀ alike; packing serves B and Bᵀ alike.
// ---------------------------------------------------------------------------------------------

export const KC: i32 = 256;

/**
 * c + a b. In the relaxed-SIMD build (kernels-fma) one fused multiply-add, rounded once; otherwise a
 * multiply and an add, rounded twice. The two builds are separate backends ('wasm-fma', 'wasm') so
 * that each gives the same bits for the same seed.
 */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Pack kc rows (p) x n columns (j) of B, B(p, j) at p * bRow + j * bCol, into 8-wide panels. */
export function packB(B: usize, kc: i32, n: i32, bRow: i32, bCol: i32, pack: usize): void {
  const full = n >> 3;
  const panelBytes = <usize>kc << 5;
  const ldR = <usize>bRow << 2;
  const ldC = <usize>bCol << 2;
  if (bCol == 1) {
    for (let jb = 0; jb < full; jb++) {
      let s = B + (<usize>jb << 5);
      let d = pack + <usize>jb * panelBytes;
      for (let p = 0; p < kc; p++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += ldR;
        d += 32;
      }
    }
  } else if (bRow == 1) {
    // B stored transposed: column j is contiguous in p. 4x4 SIMD transposes.
    const k4 = kc & ~3;
    for (let jb = 0; jb < full; jb++) {
      const s0 = B + <usize>(jb << 3) * ldC;
      const d0 = pack + <usize>jb * panelBytes;
      for (let h = 0; h < 2; h++) {
        const sh = s0 + <usize>(h << 2) * ldC;
        const dh = d0 + (<usize>h << 4);
        let p = 0;
        for (; p < k4; p += 4) {
          const s = sh + (<usize>p << 2);
          const v0 = v128.load(s);
          const v1 = v128.load(s + ldC);
          const v2 = v128.load(s + 2 * ldC);
          const v3 = v128.load(s + 3 * ldC);
          const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
          const t1 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
          const t2 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
          const t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
          const d = dh + (<usize>p << 5);
          v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
          v128.store(d, i32x4.shuffle(t0, t2, 2, 3, 6, 7), 32);
          v128.store(d, i32x4.shuffle(t1, t3, 0, 1, 4, 5), 64);
          v128.store(d, i32x4.shuffle(t1, t3, 2, 3, 6, 7), 96);
        }
        for (; p < kc; p++) {
          const s = sh + (<usize>p << 2);
          const d = dh + (<usize>p << 5);
          for (let j = 0; j < 4; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + <usize>j * ldC));
        }
      }
    }
  } else {
    for (let jb = 0; jb < full; jb++) {
      const d0 = pack + <usize>jb * panelBytes;
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < 8; j++) {
          store<f32>(d0 + (<usize>p << 5) + (<usize>j << 2), load<f32>(B + <usize>p * ldR + <usize>((jb << 3) + j) * ldC));
        }
      }
    }
  }
  const rem = n & 7;
  if (rem) {
    const d0 = pack + <usize>full * panelBytes;
    for (let p = 0; p < kc; p++) {
      const d = d0 + (<usize>p << 5);
      v128.store(d, v128.splat<i32>(0));
      v128.store(d, v128.splat<i32>(0), 16);
      for (let j = 0; j < rem; j++) {
        store<f32>(d + (<usize>j << 2), load<f32>(B + <usize>p * ldR + <usize>((full << 3) + j) * ldC));
      }
    }
  }
}

@inline export function storeRow(cp: usize, v0: v128, v1: v128, nc: i32, first: bool): void {
  if (nc == 8) {
    if (first) {
      v128.store(cp, v0);
      v128.store(cp, v1, 16);
    } else {
      v128.store(cp, f32x4.add(v128.load(cp), v0));
      v128.store(cp, f32x4.add(v128.load(cp, 16), v1), 16);
    }
  } else {
    v128.store(tmpp, v0);
    v128.store(tmpp, v1, 16);
    for (let j = 0; j < nc; j++) {
      const q = cp + (<usize>j << 2);
      const x = load<f32>(tmpp + (<usize>j << 2));
      store<f32>(q, first ? x : load<f32>(q) + x);
    }
  }
}

/** 4 x 8 tile: A rows at ap + r * ars, advancing acs bytes per k step; packed B panel at bp. */
export function kern4x8(ap: usize, ars: usize, acs: usize, bp: usize, kc: i32, cp: usize, ldc: usize, nc: i32, first: bool): void {
  let c00 = v128.splat<i32>(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  let a0 = ap;
  let a1 = ap + ars;
  let a2 = a1 + ars;
  let a3 = a2 + ars;
  const bEnd = bp + (<usize>kc << 5);
  for (let b = bp; b < bEnd; b += 32) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a0);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(a1);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(a2);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(a3);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    a0 += acs; a1 += acs; a2 += acs; a3 += acs;
  }
  storeRow(cp, c00, c01, nc, first);
  storeRow(cp + ldc, c10, c11, nc, first);
  storeRow(cp + 2 * ldc, c20, c21, nc, first);
  storeRow(cp + 3 * ldc, c30, c31, nc, first);
}

/** Transposed-A variant: the 4 rows are adjacent (ars = 4 bytes), read with one vector load. */
export function kern4x8T(ap: usize, acs: usize, bp: usize, kc: i32, cp: usize, ldc: usize, nc: i32, first: bool): void {
  let c00 = v128.splat<i32>(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  let a = ap;
  const bEnd = bp + (<usize>kc << 5);
  for (let b = bp; b < bEnd; b += 32) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(a, 4);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(a, 8);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(a, 12);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    a += acs;
  }
  storeRow(cp, c00, c01, nc, first);
  storeRow(cp + ldc, c10, c11, nc, first);
  storeRow(cp + 2 * ldc, c20, c21, nc, first);
  storeRow(cp + 3 * ldc, c30, c31, nc, first);
}

/**
 * 6 x 8 tile (12 accumulators), used by the relaxed-SIMD build only: with one fused multiply-add per
 * step, 8 accumulators leave the two FMA pipes short of independent work (4 x 8: ~50 GFLOP/s on one
 * core here, 6 x 8: ~55, the measured FMA peak ~56). The mul + add build would need a 16th register
 * and spills (29 GFLOP/s), so it keeps 4 x 8. Each element still sums its k terms in order from zero,
 * so the tile height never changes a bit of the result. A rows at ap + r * ars, acs bytes per k step;
 * with ars = 4 and acs = 24 it reads a packed 6 x kc slab.
 */
export function kern6x8(
  ap: usize, ars: usize, acs: usize, bp: usize, kc: i32, cp: usize, ldc: usize, nc: i32, first: bool, park: usize,
): void {
  let c00 = v128.splat<i32>(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  let a = ap;
  const ars3 = ars * 3;
  const bEnd = bp + (<usize>kc << 5);
  for (let b = bp; b < bEnd; b += 32) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(a + ars);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(a + 2 * ars);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(a + ars3);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    x = v128.load32_splat(a + 4 * ars);
    c40 = madd(x, b0, c40);
    c41 = madd(x, b1, c41);
    x = v128.load32_splat(a + 5 * ars);
    c50 = madd(x, b0, c50);
    c51 = madd(x, b1, c51);
    a += acs;
  }
  // Park the tile in scratch and store it from there (storeParked reloads it): with the 12 registers
  // stored straight into C here, V8 spilled accumulators inside the loop (24 GFLOP/s instead of 55).
  // Binaryen inlines storeParked; what matters is that the stores read the parked copy.
  v128.store(park, c00); v128.store(park, c01, 16); v128.store(park, c10, 32); v128.store(park, c11, 48);
  v128.store(park, c20, 64); v128.store(park, c21, 80); v128.store(park, c30, 96); v128.store(park, c31, 112);
  v128.store(park, c40, 128); v128.store(park, c41, 144); v128.store(park, c50, 160); v128.store(park, c51, 176);
  storeParked(park, 6, cp, ldc, nc, first);
}

/** Store `rows` rows of 8 accumulators parked at `park` (32 bytes per row) into C. */
function storeParked(park: usize, rows: i32, cp: usize, ldc: usize, nc: i32, first: bool): void {
  for (let r = 0; r < rows; r++) {
    const p = park + (<usize>r << 5);
    storeRow(cp + <usize>r * ldc, v128.load(p), v128.load(p, 16), nc, first);
  }
}

export function kern1x8(ap: usize, acs: usize, bp: usize, kc: i32, cp: usize, nc: i32, first: bool): void {
  let c0 = v128.splat<i32>(0), c1 = c0;
  let a = ap;
  const bEnd = bp + (<usize>kc << 5);
  for (let b = bp; b < bEnd; b += 32) {
    const x = v128.load32_splat(a);
    c0 = madd(x, v128.load(b), c0);
    c1 = madd(x, v128.load(b, 16), c1);
    a += acs;
  }
  storeRow(cp, c0, c1, nc, first);
}

/** Bytes of B-panel scratch matmul needs for this n and k; the caller adds 24 KC bytes for an A slab of up to 6 rows and 192 for a parked 6 x 8 tile. */
export function packBytes(n: i32, k: i32): i32 {
  return (((n + 7) >> 3) << 5) * max(1, min(k, KC));
}

export function matmul(
  a: usize, b: usize, c: usize, batch: i32, m: i32, n: i32, k: i32,
  transA: i32, transB: i32, aBS: i32, bBS: i32, acc: i32, pack: usize,
): void {
  matmulPart(a, b, c, 0, batch, m, n, k, 0, m, 0, n, transA, transB, aBS, bBS, acc, pack, 0, 0, -1, 0);
}

// Fused epilogue: C = act(C + bias) over rows x nj columns (row stride ldc bytes), applied to a
// stripe of rows as soon as its last K block is stored (it is still in L1). bias is a row of nj
// floats (0 = none); act is a unary op code (8 tanh, 11 relu, 12 mish) or -1 for none. The same
// vector code as the separate add and unary kernels, so the result is bit-identical to them.
// With mish and a slope pointer sp (rows at the same stride as C), the epilogue also stores
// mish'(C + bias) there, the factor the backward multiplies the gradient by (vmishSlope, as
// unaryGrad computes it), sharing tanh(softplus) with the forward.
@inline export function epiRows(act: i32, cp: usize, rows: i32, ldc: usize, bias: usize, nj: i32, sp: usize): void {
  const z = vsplat(0.0);
  const nv = <usize>(nj >> 2) << 4;
  const rem = <usize>(nj & 3) << 2;
  for (let r = 0; r < rows; r++) {
    const row = cp + <usize>r * ldc;
    const srow = sp + <usize>r * ldc;
    for (let q: usize = 0; q < nv; q += 16) {
      let v = v128.load(row + q);
      if (bias) v = f32x4.add(v, v128.load(bias + q));
      epiStore(act, v, row + q, srow + q, sp);
    }
    if (rem) {
      // The last nj & 3 columns through scratch: zero-padded in, the same vector code, `rem` bytes out.
      v128.store(tmpp, z);
      v128.store(tmpp + 16, z);
      memory.copy(tmpp, row + nv, rem);
      if (bias) memory.copy(tmpp + 16, bias + nv, rem);
      let v = v128.load(tmpp);
      if (bias) v = f32x4.add(v, v128.load(tmpp + 16));
      epiStore(act, v, tmpp + 32, tmpp + 48, sp);
      memory.copy(row + nv, tmpp + 32, rem);
      if (sp) memory.copy(srow + nv, tmpp + 48, rem);
    }
  }
}

/** Stores act(v) at dst; with a slope pointer (mish only) also mish'(v) at sdst, sharing tanh(softplus v). */
@inline function epiStore(act: i32, v: v128, dst: usize, sdst: usize, sp: usize): void {
  if (sp) {
    const t = vtsp(v);
    v128.store(dst, f32x4.mul(v, t)); // = uv(mish, v)
    v128.store(sdst, vmishSlope(v, t));
  } else {
    v128.store(dst, act < 0 ? v : uv(act, v, vsplat(0.0), vsplat(0.0)));
  }
}

/** The epilogue on `rows` rows at cp; sp: the slope rows (mish only; 0 = none). */
export function epilogue(act: i32, cp: usize, rows: i32, ldc: usize, bias: usize, nj: i32, sp: usize): void {
  // Constant act and sp per call site, so that each inlined copy keeps only its own branch.
  switch (act) {
    case Unary.tanh: epiRows(Unary.tanh, cp, rows, ldc, bias, nj, 0); break;
    case Unary.relu: epiRows(Unary.relu, cp, rows, ldc, bias, nj, 0); break;
    case Unary.mish:
      if (sp) epiRows(Unary.mish, cp, rows, ldc, bias, nj, sp);
      else epiRows(Unary.mish, cp, rows, ldc, bias, nj, 0);
      break;
    default: epiRows(-1, cp, rows, ldc, bias, nj, 0); break;
  }
}

/**
 * The part of matmul over batch items [t0, t1), rows [i0, i1) and columns [j0, j1) of C, with
 * j0 a multiple of 8 (and j1 likewise unless equal to n): each element's summation order is then
 * that of the whole product (in order over k within each K block, whatever tile height computes
 * its row), so threads that split one product between them give the single-threaded result bit
 * for bit. Callers split rows at multiples of 4.
 * `pack` is this caller's own scratch (packBytes(n, k) + 24 KC + 192 bytes). With `bias` (a pointer,
 * or 0) or `act` (a unary op code, or -1) the fused epilogue C = act(C + bias) runs on each row
 * stripe after its last K block; batch item t's bias row starts biasBS floats after item t-1's.
 * `slope` (a pointer, or 0; with act mish only) receives mish'(C + bias), laid out as C.
 */
export function matmulPart(
  a: usize, b: usize, c: usize, t0: i32, t1: i32, m: i32, n: i32, k: i32,
  i0: i32, i1: i32, j0: i32, j1: i32,
  transA: i32, transB: i32, aBS: i32, bBS: i32, acc: i32, pack: usize,
  bias: usize, biasBS: i32, act: i32, slope: usize,
): void {
  const epi = bias != 0 || act >= 0;
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  const nj = j1 - j0;
  if (nj <= 0 || i1 <= i0) return;
  const np = (nj + 7) >> 3;
  const ars = <usize>aRow << 2;
  const acs = <usize>aCol << 2;
  const ldc = <usize>n << 2;
  const apack = pack + <usize>packBytes(n, k);
  const park = apack + <usize>KC * 24;
  for (let t = t0; t < t1; t++) {
    const A = a + (<usize>(t * aBS) << 2);
    const B = b + (<usize>(t * bBS + j0 * bCol) << 2);
    const C = c + <usize>t * <usize>m * ldc + (<usize>j0 << 2);
    const bt: usize = bias ? bias + (<usize>(t * biasBS + j0) << 2) : 0;
    // The slope rows mirror C's: S + i ldc is row i's.
    const S: usize = slope ? slope + <usize>t * <usize>m * ldc + (<usize>j0 << 2) : 0;
    if (k == 0) {
      if (!acc) {
        for (let i = i0; i < i1; i++) memory.fill(C + <usize>i * ldc, 0, <usize>nj << 2);
      }
      if (epi) epilogue(act, C + <usize>i0 * ldc, i1 - i0, ldc, bt, nj, S ? S + <usize>i0 * ldc : 0);
      continue;
    }
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      if (t == t0 || bBS != 0 || k > KC) packB(B + (<usize>(pc * bRow) << 2), kc, nj, bRow, bCol, pack);
      const first = pc == 0 && !acc;
      const last = epi && pc + KC >= k;
      const panelBytes = <usize>kc << 5;
      let i = i0;
      if (ASC_FEATURE_RELAXED_SIMD) {
        // 6-row stripes, one fewer when that leaves 8 or 9 rows (two 4-row stripes then) instead of 2 or 3
        // rows for the 1 x 8 kernel, whose 2 accumulators run at a quarter of the FMA rate.
        const rows = i1 - i0;
        const r6 = rows % 6;
        const end6 = i0 + 6 * (rows / 6 - (rows >= 6 && (r6 == 2 || r6 == 3) ? 1 : 0));
        for (; i < end6; i += 6) {
          const Ai = A + (<usize>(i * aRow + pc * aCol) << 2);
          const Ci = C + <usize>i * ldc;
          let bp = pack;
          if (transA) {
            // The 6 x kc slab of A, 6 adjacent floats per k step, packed contiguously (as below).
            let s = Ai;
            for (let q: usize = 0, e = <usize>kc * 24; q < e; q += 24) {
              v128.store(apack + q, v128.load(s));
              store<u64>(apack + q, load<u64>(s, 16), 16);
              s += acs;
            }
            for (let jb = 0; jb < np; jb++) {
              kern6x8(apack, 4, 24, bp, kc, Ci + (<usize>jb << 5), ldc, min(8, nj - (jb << 3)), first, park);
              bp += panelBytes;
            }
          } else {
            for (let jb = 0; jb < np; jb++) {
              kern6x8(Ai, ars, acs, bp, kc, Ci + (<usize>jb << 5), ldc, min(8, nj - (jb << 3)), first, park);
              bp += panelBytes;
            }
          }
          if (last) epilogue(act, Ci, 6, ldc, bt, nj, S ? S + <usize>i * ldc : 0);
        }
      }
      for (; i + 4 <= i1; i += 4) {
        const Ai = A + (<usize>(i * aRow + pc * aCol) << 2);
        const Ci = C + <usize>i * ldc;
        let bp = pack;
        if (transA) {
          // Pack the 4 x kc slab of A (4 adjacent floats per k step, acs apart) contiguously:
          // reading it in place strides by m floats per step (4 KiB aliasing in L1 for m = 1024).
          let s = Ai;
          for (let q: usize = 0, e = <usize>kc << 4; q < e; q += 16) { v128.store(apack + q, v128.load(s)); s += acs; }
          for (let jb = 0; jb < np; jb++) {
            kern4x8T(apack, 16, bp, kc, Ci + (<usize>jb << 5), ldc, min(8, nj - (jb << 3)), first);
            bp += panelBytes;
          }
        } else {
          for (let jb = 0; jb < np; jb++) {
            kern4x8(Ai, ars, acs, bp, kc, Ci + (<usize>jb << 5), ldc, min(8, nj - (jb << 3)), first);
            bp += panelBytes;
          }
        }
        if (last) epilogue(act, Ci, 4, ldc, bt, nj, S ? S + <usize>i * ldc : 0);
      }
      for (; i < i1; i++) {
        const Ai = A + (<usize>(i * aRow + pc * aCol) << 2);
        const Ci = C + <usize>i * ldc;
        let bp = pack;
        for (let jb = 0; jb < np; jb++) {
          kern1x8(Ai, acs, bp, kc, Ci + (<usize>jb << 5), min(8, nj - (jb << 3)), first);
          bp += panelBytes;
        }
        if (last) epilogue(act, Ci, 1, ldc, bt, nj, S ? S + <usize>i * ldc : 0);
      }
    }
  }
}

/** matmul with the fused epilogue C = act(op(A) op(B) [+ C] + bias) [and the mish slope] (see matmulPart). */
export function matmulBiasAct(
  a: usize, b: usize, c: usize, batch: i32, m: i32, n: i32, k: i32,
  transA: i32, transB: i32, aBS: i32, bBS: i32, acc: i32, pack: usize, bias: usize, biasBS: i32, act: i32, slope: usize,
): void {
  matmulPart(a, b, c, 0, batch, m, n, k, 0, m, 0, n, transA, transB, aBS, bBS, acc, pack, bias, biasBS, act, slope);
}
