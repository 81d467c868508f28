import { metaI, metaSet } from './scratch';
import { vsplat } from './vmath';

// ---------------------------------------------------------------------------------------------
// copyStrided / addStrided. Slot 1: the strided side's strides.
// ---------------------------------------------------------------------------------------------

/** dst (rows x cols, row-major, contiguous) = src with src(r, c) at r * 1 + c * sC: a transpose. */
export function transpose2d(src: usize, dst: usize, rows: i32, cols: i32, sC: i32): void {
  const ldS = <usize>sC << 2;
  const ldD = <usize>cols << 2;
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  for (let r = 0; r < r4; r += 4) {
    let c = 0;
    for (; c < c4; c += 4) {
      const s = src + (<usize>r << 2) + <usize>c * ldS;
      const v0 = v128.load(s);
      const v1 = v128.load(s + ldS);
      const v2 = v128.load(s + 2 * ldS);
      const v3 = v128.load(s + 3 * ldS);
      const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
      const t2 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
      const t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
      const d = dst + <usize>r * ldD + (<usize>c << 2);
      v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
      v128.store(d + ldD, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
      v128.store(d + 2 * ldD, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
      v128.store(d + 3 * ldD, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
    }
    for (; c < cols; c++) {
      for (let i = 0; i < 4; i++) {
        store<f32>(dst + <usize>(r + i) * ldD + (<usize>c << 2), load<f32>(src + (<usize>(r + i) << 2) + <usize>c * ldS));
      }
    }
  }
  for (let r = r4; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      store<f32>(dst + <usize>r * ldD + (<usize>c << 2), load<f32>(src + (<usize>r << 2) + <usize>c * ldS));
    }
  }
}

/** dst[dstOff + flat(idx)] = src[srcOff + idx . strides]; shape slot 0, strides slot 1. */
export function copyStrided(src: usize, dst: usize, nd: i32): void {
  const last = nd - 1;
  const len = metaI(0, last);
  const ss = metaI(1, last);
  // Fast transpose: the last two dims are (stride 1, stride != 1).
  const tr = nd >= 2 && ss != 1 && metaI(1, last - 1) == 1 && metaI(0, last - 1) >= 4 && len >= 4;
  const innerDims = tr ? 2 : 1;
  const rows = tr ? metaI(0, last - 1) : 1;
  const blockBytes = <usize>(len * rows) << 2;
  let outer = 1;
  for (let d = 0; d < nd - innerDims; d++) { outer *= metaI(0, d); metaSet(4, d, 0); }
  let os = 0;
  let o = dst;
  const ds = <usize>ss << 2;
  for (let r = 0; r < outer; r++) {
    const s = src + (<usize>os << 2);
    if (tr) transpose2d(s, o, rows, len, ss);
    else if (ss == 1) memory.copy(o, s, blockBytes);
    else if (ss == 0) {
      const v = load<f32>(s);
      const vs = vsplat(v);
      const nv = <usize>(len >> 2) << 4;
      let i: usize = 0;
      for (; i < nv; i += 16) v128.store(o + i, vs);
      for (; i < blockBytes; i += 4) store<f32>(o + i, v);
    } else {
      let p = s;
      for (let i: usize = 0; i < blockBytes; i += 4) { store<f32>(o + i, load<f32>(p)); p += ds; }
    }
    o += blockBytes;
    let ax = nd - innerDims - 1;
    while (ax >= 0) {
      const k = metaI(4, ax) + 1;
      os += metaI(1, ax);
      if (k < metaI(0, ax)) { metaSet(4, ax, k); break; }
      metaSet(4, ax, 0);
      os -= metaI(1, ax) * metaI(0, ax);
      ax--;
    }
  }
}

/** dst[dstOff + flat(idx) . strides] += src[flat(idx)]; shape slot 0, strides slot 1. */
export function addStrided(src: usize, dst: usize, nd: i32): void {
  const last = nd - 1;
  const len = metaI(0, last);
  const sd = metaI(1, last);
  let outer = 1;
  for (let d = 0; d < last; d++) { outer *= metaI(0, d); metaSet(4, d, 0); }
  let od = 0;
  let s = src;
  const rowBytes = <usize>len << 2;
  const dd = <usize>sd << 2;
  const nv = <usize>(len >> 2) << 4;
  for (let r = 0; r < outer; r++) {
    const d = dst + (<usize>od << 2);
    if (sd == 1) {
      let i: usize = 0;
      for (; i < nv; i += 16) v128.store(d + i, f32x4.add(v128.load(d + i), v128.load(s + i)));
      for (; i < rowBytes; i += 4) store<f32>(d + i, load<f32>(d + i) + load<f32>(s + i));
    } else {
      let p = d;
      for (let i: usize = 0; i < rowBytes; i += 4) { store<f32>(p, load<f32>(p) + load<f32>(s + i)); p += dd; }
    }
    s += rowBytes;
    let ax = last - 1;
    while (ax >= 0) {
      const k = metaI(4, ax) + 1;
      od += metaI(1, ax);
      if (k < metaI(0, ax)) { metaSet(4, ax, k); break; }
      metaSet(4, ax, 0);
      od -= metaI(1, ax) * metaI(0, ax);
      ax--;
    }
  }
}
