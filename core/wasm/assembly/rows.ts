// ---------------------------------------------------------------------------------------------
// Rows: gather and scatter-add of whole rows by an index
// ---------------------------------------------------------------------------------------------

/** Returns the first bad row index position + 1, or 0 when all indices are in [0, nRows). */
export function gatherRows(x: usize, idx: usize, nIdx: i32, out: usize, rowSize: i32, nRows: i32): i32 {
  const rb = <usize>rowSize << 2;
  for (let r = 0; r < nIdx; r++) {
    const s = load<i32>(idx + (<usize>r << 2));
    if (<u32>s >= <u32>nRows) return r + 1;
    memory.copy(out + <usize>r * rb, x + <usize>s * rb, rb);
  }
  return 0;
}

export function scatterAddRows(g: usize, idx: usize, nIdx: i32, out: usize, rowSize: i32, nRows: i32): i32 {
  const rb = <usize>rowSize << 2;
  const nv = <usize>(rowSize >> 2) << 4;
  for (let r = 0; r < nIdx; r++) {
    const d0 = load<i32>(idx + (<usize>r << 2));
    if (<u32>d0 >= <u32>nRows) return r + 1;
    const d = out + <usize>d0 * rb;
    const s = g + <usize>r * rb;
    let i: usize = 0;
    for (; i < nv; i += 16) v128.store(d + i, f32x4.add(v128.load(d + i), v128.load(s + i)));
    for (; i < rb; i += 4) store<f32>(d + i, load<f32>(d + i) + load<f32>(s + i));
  }
  return 0;
}
