import { metaI, metaSet } from './scratch';
import { vsplat } from './vmath';

// ---------------------------------------------------------------------------------------------
// where: out = cond != 0 ? a : b. Strides in slots 1 (cond), 2 (a), 3 (b).
// ---------------------------------------------------------------------------------------------

export function whereRow(c: usize, a: usize, b: usize, o: usize, len: i32, sc: i32, sa: i32, sb: i32): void {
  const end = <usize>len << 2;
  if (sc == 1 && sa == 1 && sb == 1) {
    const nv = <usize>(len >> 2) << 4;
    const zero = vsplat(0.0);
    let i: usize = 0;
    for (; i < nv; i += 16) {
      v128.store(o + i, v128.bitselect(v128.load(a + i), v128.load(b + i), f32x4.ne(v128.load(c + i), zero)));
    }
    for (; i < end; i += 4) store<f32>(o + i, load<f32>(c + i) != 0 ? load<f32>(a + i) : load<f32>(b + i));
  } else {
    const dc = <usize>sc << 2;
    const da = <usize>sa << 2;
    const db = <usize>sb << 2;
    let pc = c;
    let pa = a;
    let pb = b;
    for (let i: usize = 0; i < end; i += 4) {
      store<f32>(o + i, load<f32>(pc) != 0 ? load<f32>(pa) : load<f32>(pb));
      pc += dc; pa += da; pb += db;
    }
  }
}

export function whereStrided(c: usize, a: usize, b: usize, out: usize, nd: i32): void {
  const last = nd - 1;
  const len = metaI(0, last);
  const sc = metaI(1, last);
  const sa = metaI(2, last);
  const sb = metaI(3, last);
  let outer = 1;
  for (let d = 0; d < last; d++) { outer *= metaI(0, d); metaSet(4, d, 0); }
  let oc = 0;
  let oa = 0;
  let ob = 0;
  let o = out;
  const rowBytes = <usize>len << 2;
  for (let r = 0; r < outer; r++) {
    whereRow(c + (<usize>oc << 2), a + (<usize>oa << 2), b + (<usize>ob << 2), o, len, sc, sa, sb);
    o += rowBytes;
    let ax = last - 1;
    while (ax >= 0) {
      const k = metaI(4, ax) + 1;
      oc += metaI(1, ax);
      oa += metaI(2, ax);
      ob += metaI(3, ax);
      if (k < metaI(0, ax)) { metaSet(4, ax, k); break; }
      metaSet(4, ax, 0);
      const n = metaI(0, ax);
      oc -= metaI(1, ax) * n;
      oa -= metaI(2, ax) * n;
      ob -= metaI(3, ax) * n;
      ax--;
    }
  }
}
