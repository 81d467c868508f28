/** Marching squares: the level set {f = level} of a grid as line segments in data coordinates. */

export type Segment = [number, number, number, number];

/**
 * Segments of {f = level} for a grid with row = y index (ys ascending), col = x index: `f(r * nx + c)`.
 * Each cell's crossing points are interpolated linearly along its edges; saddle cells give two segments.
 * Cells with a non-finite corner give none (a gap in the line).
 */
export function contourSegments(f: (i: number) => number, xs: ArrayLike<number>, ys: ArrayLike<number>, level = 0): Segment[] {
  const n = xs.length, m = ys.length;
  const segs: Segment[] = [];
  // t = 1 returns b itself: a + (b - a) is not always exactly b in floating point
  const lerp = (a: number, b: number, fa: number, fb: number) => {
    const t = fa / (fa - fb);
    return t === 1 ? b : a + (b - a) * t;
  };
  for (let r = 0; r + 1 < m; r++) {
    for (let c = 0; c + 1 < n; c++) {
      const v = [f(r * n + c) - level, f(r * n + c + 1) - level, f((r + 1) * n + c + 1) - level, f((r + 1) * n + c) - level]; // bl, br, tr, tl
      // A cell with a NaN or infinite corner has no defined crossing (its interpolation gave NaN coordinates, and a
      // "NaN" in the SVG path ended the whole contour there): it is left out, as matplotlib masks invalid values.
      if (!v.every(Number.isFinite)) continue;
      const p: [number, number][] = [];
      const corners: [number, number][] = [[xs[c], ys[r]], [xs[c + 1], ys[r]], [xs[c + 1], ys[r + 1]], [xs[c], ys[r + 1]]];
      for (let e = 0; e < 4; e++) {
        const a = v[e], b = v[(e + 1) % 4];
        if (a > 0 !== b > 0) {
          let [xa, ya] = corners[e], [xb, yb] = corners[(e + 1) % 4], fa = a, fb = b;
          // Interpolate every edge in one direction (from its lower corner), so the two cells sharing an
          // edge compute bit-identical crossing points and chainSegments can join them.
          if (xa > xb || (xa === xb && ya > yb)) [xa, ya, xb, yb, fa, fb] = [xb, yb, xa, ya, b, a];
          p.push([lerp(xa, xb, fa, fb), lerp(ya, yb, fa, fb)]);
        }
      }
      // (a crossing exactly on a grid point can give a zero-length segment: skip it)
      if (p.length === 2 && (p[0][0] !== p[1][0] || p[0][1] !== p[1][1])) segs.push([p[0][0], p[0][1], p[1][0], p[1][1]]);
      else if (p.length === 4) segs.push([p[0][0], p[0][1], p[1][0], p[1][1]], [p[2][0], p[2][1], p[3][0], p[3][1]]);
    }
  }
  return segs;
}

/**
 * Joins segments that share end points into polylines (so a dash pattern runs along the whole curve instead
 * of restarting in every grid cell). End points are matched after rounding to 1e-9 of the largest coordinate.
 */
export function chainSegments(segs: Segment[]): [number, number][][] {
  let span = 0;
  for (const s of segs) for (const v of s) span = Math.max(span, Math.abs(v));
  const q = (span || 1) * 1e-9;
  const key = (x: number, y: number) => `${Math.round(x / q)},${Math.round(y / q)}`;
  const at = new Map<string, number[]>();
  // A contour passing (almost) exactly through a grid point yields near-zero-length segments there; they
  // would make a three-way junction, so they are left out.
  segs = segs.filter(([x1, y1, x2, y2]) => key(x1, y1) !== key(x2, y2));
  segs.forEach(([x1, y1, x2, y2], i) => {
    for (const k of [key(x1, y1), key(x2, y2)]) {
      const l = at.get(k);
      if (l) l.push(i);
      else at.set(k, [i]);
    }
  });
  const used = new Uint8Array(segs.length);
  const next = (x: number, y: number): [number, number] | null => {
    for (const j of at.get(key(x, y)) ?? []) {
      if (used[j]) continue;
      used[j] = 1;
      const [a, b, c, d] = segs[j];
      return key(a, b) === key(x, y) ? [c, d] : [a, b];
    }
    return null;
  };
  const lines: [number, number][][] = [];
  for (let i = 0; i < segs.length; i++) {
    if (used[i]) continue;
    used[i] = 1;
    const [x1, y1, x2, y2] = segs[i];
    const fwd: [number, number][] = [[x1, y1], [x2, y2]];
    for (let p = next(x2, y2); p; p = next(p[0], p[1])) fwd.push(p);
    const back: [number, number][] = [];
    for (let p = next(x1, y1); p; p = next(p[0], p[1])) back.push(p);
    lines.push([...back.reverse(), ...fwd]);
  }
  return lines;
}
