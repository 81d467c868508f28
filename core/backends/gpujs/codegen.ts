/**
 * Kernel-source generation for the `gpujs` backend: the bodies of the unary ops and their
 * derivatives (specialised rewrites of core/ops/unary.ts `UNARY_MATH`, checked against it by the
 * kernel-parity suite), the binary ops, and the index arithmetic of strided / broadcast reads.
 */
import type { BinaryOp, UnaryOp } from '../../backend.js';

// ---------------------------------------------------------------------------------------------
// Kernel sources. Each body reads xv = x[i], yv = y[i], gv = g[i] and scalar arguments p0, p1;
// only the names a body uses become kernel parameters.

/** f(x) bodies, matching `UNARY_MATH[op].f`. `null`: run js instead. */
export function unaryBody(op: UnaryOp, p0: number): string | null {
  switch (op) {
    case 'copy': return 'return xv;';
    case 'neg': return 'return -xv;';
    case 'exp': return 'return Math.exp(xv);';
    case 'log': return 'return Math.log(xv);';
    case 'sqrt': return 'return Math.sqrt(xv);';
    case 'square': return 'return xv * xv;';
    case 'abs': return 'return Math.abs(xv);';
    case 'sign': return 'if (xv > 0.0) { return 1.0; } if (xv < 0.0) { return -1.0; } if (xv == 0.0) { return 0.0; } return xv;';
    case 'tanh': return 'return Math.tanh(xv);';
    case 'sigmoid': return SIGMOID('xv', 'return');
    case 'softplus': return 'if (xv > 0.0) { return xv + Math.log1p(Math.exp(-xv)); } return Math.log1p(Math.exp(xv));';
    case 'relu': return 'if (xv > 0.0) { return xv; } if (xv == xv) { return 0.0; } return xv;';
    case 'mish': return `${SOFTPLUS_TO('sp', 'xv')} return xv * Math.tanh(sp);`;
    case 'sin': return 'return Math.sin(xv);';
    case 'cos': return 'return Math.cos(xv);';
    case 'pow': {
      const e = powExpr('xv', p0);
      return e === null ? null : `return ${e};`;
    }
    case 'clamp': return 'if (xv < p0) { return p0; } if (xv > p1) { return p1; } return xv;';
    case 'scale': return 'return xv * p0;';
    case 'addScalar': return 'return xv + p0;';
    case 'reciprocal': return 'return 1.0 / xv;';
    case 'step': return 'if (xv > 0.0) { return 1.0; } if (xv == xv) { return 0.0; } return xv;';
  }
}

/** g * f'(x, y) bodies, matching `UNARY_MATH[op].df`. `null`: run js instead. */
export function unaryGradBody(op: UnaryOp, p0: number): string | null {
  switch (op) {
    case 'copy': return 'return gv;';
    case 'neg': return 'return -gv;';
    case 'exp': return 'return gv * yv;';
    case 'log': return 'return gv / xv;';
    case 'sqrt': return 'return gv * (0.5 / yv);';
    case 'square': return 'return gv * (2.0 * xv);';
    case 'abs': return 'if (xv > 0.0) { return gv; } if (xv < 0.0) { return -gv; } return gv * 0.0;';
    case 'sign': return 'return gv * 0.0;';
    // (1 - y)(1 + y): 1 - y is exact for y near 1, where 1 - y*y would cancel.
    case 'tanh': return 'return gv * ((1.0 - yv) * (1.0 + yv));';
    case 'sigmoid': return 'return gv * (yv * (1.0 - yv));';
    case 'softplus': return `${SIGMOID_TO('s', 'xv')} return gv * s;`;
    case 'relu': return 'if (xv > 0.0) { return gv; } return gv * 0.0;';
    case 'mish':
      return `${SOFTPLUS_TO('sp', 'xv')} const t = Math.tanh(sp); ${SIGMOID_TO('s', 'xv')} return gv * (t + xv * s * ((1.0 - t) * (1.0 + t)));`;
    case 'sin': return 'return gv * Math.cos(xv);';
    case 'cos': return 'return gv * -Math.sin(xv);';
    case 'pow': {
      if (!Number.isInteger(p0)) return null;
      if (p0 === 0) return 'return gv * 0.0;'; // x^0 is constant (p x^(p-1) would be 0 * 0^-1 = NaN at x = 0)
      const e = powExpr('xv', p0 - 1);
      return e === null ? null : `return gv * (p0 * ${e});`;
    }
    case 'clamp': return 'if (xv >= p0) { if (xv <= p1) { return gv; } } return gv * 0.0;';
    case 'scale': return 'return gv * p0;';
    case 'addScalar': return 'return gv;';
    case 'reciprocal': return 'return gv * (-(yv * yv));';
    case 'step': return 'return gv * 0.0;';
  }
}

function SIGMOID(v: string, ret: string): string {
  return `if (${v} >= 0.0) { ${ret} 1.0 / (1.0 + Math.exp(-${v})); } const e = Math.exp(${v}); ${ret} e / (1.0 + e);`;
}

function SIGMOID_TO(name: string, v: string): string {
  return `let ${name} = 0.0; if (${v} >= 0.0) { ${name} = 1.0 / (1.0 + Math.exp(-${v})); } else { const e = Math.exp(${v}); ${name} = e / (1.0 + e); }`;
}

function SOFTPLUS_TO(name: string, v: string): string {
  return `let ${name} = 0.0; if (${v} > 0.0) { ${name} = ${v} + Math.log1p(Math.exp(-${v})); } else { ${name} = Math.log1p(Math.exp(${v})); }`;
}

/**
 * x^e as a kernel expression for an exponent fixed at kernel-build time. Integer exponents
 * take the sign of x into account (GLSL pow is undefined for x < 0); others run js, and so do
 * integers past 2^53, whose source text (1e+21) would not parse as `${e}.0`.
 */
function powExpr(v: string, e: number): string | null {
  if (!Number.isInteger(e)) return e === 0.5 ? `Math.sqrt(${v})` : null;
  if (!Number.isSafeInteger(e)) return null;
  switch (e) {
    case 0: return '1.0';
    case 1: return v;
    case 2: return `(${v} * ${v})`;
    case 3: return `(${v} * ${v} * ${v})`;
    case -1: return `(1.0 / ${v})`;
    case -2: return `(1.0 / (${v} * ${v}))`;
  }
  const mag = `Math.pow(Math.abs(${v}), ${e}.0)`;
  return e % 2 === 0 ? mag : `(${v} < 0.0 ? -${mag} : ${mag})`;
}

export const BINARY_BODY: Record<BinaryOp, string> = {
  add: 'return av + bv;',
  sub: 'return av - bv;',
  mul: 'return av * bv;',
  div: 'return av / bv;',
  maximum: 'if (av >= bv || av != av) { return av; } return bv;',
  minimum: 'if (av <= bv || av != av) { return av; } return bv;',
  gt: 'if (av > bv) { return 1.0; } return 0.0;',
  ge: 'if (av >= bv) { return 1.0; } return 0.0;',
  lt: 'if (av < bv) { return 1.0; } return 0.0;',
  le: 'if (av <= bv) { return 1.0; } return 0.0;',
  eq: 'if (av == bv) { return 1.0; } return 0.0;',
};

/** The parameter names a body reads, in a fixed order. */
export function usedParams(body: string, candidates: readonly string[]): string[] {
  return candidates.filter((p) => new RegExp(`\\b${p}\\b`).test(body));
}

/**
 * Drops size-1 axes and merges neighbours that are contiguous for every stride vector, so
 * same-shape ops become rank 1 and the usual broadcasts rank 1 or 2.
 */
export function coalesce(
  shape: readonly number[], strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const sh: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let ax = 0; ax < shape.length; ax++) {
    if (shape[ax] === 1) continue;
    const last = sh.length - 1;
    if (last >= 0 && strides.every((s, i) => st[i][last] === s[ax] * shape[ax])) {
      sh[last] *= shape[ax];
      strides.forEach((s, i) => { st[i][last] = s[ax]; });
    } else {
      sh.push(shape[ax]);
      strides.forEach((s, i) => st[i].push(s[ax]));
    }
  }
  return { shape: sh, strides: st };
}

/**
 * Kernel statements: q = floor(rem / den), rem = rem mod den, in float arithmetic. The +0.5
 * keeps the quotient off an integer boundary; corrections absorb a division that is not correctly
 * rounded (GLSL allows 2.5 ulp). For rem < 2^24, 2.5 ulps of the quotient, the float32 rounding
 * of rem + 0.5 and the floor put q off by up to 5 (near 2^24, where rem + 0.5 can round up to 2^24
 * and the quotient's ulp is 2): five corrections each way. One was enough only below 2^21
 * (divmod(12582911, 3) with the division 2 ulps high gave [4194304, -1]; four are not enough for
 * divmod(16777215, 1)). rem - q * den is exact in float32 there, so the result is exact. On the
 * cpu and webasm modes the division is exact and the corrections do nothing.
 */
export function divmod(q: string, rem: string, den: string): string {
  const down = ` if (${rem} < 0.0) { ${q} = ${q} - 1.0; ${rem} = ${rem} + ${den}; }`;
  const up = ` if (${rem} >= ${den}) { ${q} = ${q} + 1.0; ${rem} = ${rem} - ${den}; }`;
  return `let ${q} = Math.floor((${rem} + 0.5) / ${den}); ${rem} = ${rem} - ${q} * ${den};${down.repeat(5)}${up.repeat(5)}`;
}

/**
 * Kernel statements that decode the flat output index into offsets `${name}Off` for each
 * input, with the shape's suffix products and the strides as kernel constants.
 */
export function stridedIndexSource(
  shape: readonly number[], names: readonly string[], strides: readonly (readonly number[])[],
  constants: Record<string, number>,
): string {
  const r = shape.length;
  const lines: string[] = [];
  const contiguous = strides.map((s) => r === 1 && s[0] === 1);
  if (r === 0 || contiguous.every(Boolean)) {
    names.forEach((n, i) => lines.push(`const ${n}Off = ${r === 0 || strides[i][0] === 0 ? '0' : 'this.thread.x'};`));
    return lines.join(' ');
  }
  const terms: string[][] = names.map(() => []);
  lines.push('let rem = this.thread.x + 0.0;');
  let inner = 1;
  const suffix: number[] = new Array(r);
  for (let ax = r - 1; ax >= 0; ax--) {
    suffix[ax] = inner;
    inner *= shape[ax];
  }
  for (let ax = 0; ax < r; ax++) {
    if (ax < r - 1) {
      constants[`p${ax}`] = suffix[ax];
      lines.push(divmod(`i${ax}`, 'rem', `this.constants.p${ax}`));
    } else {
      lines.push(`const i${ax} = rem;`);
    }
    strides.forEach((s, i) => {
      if (s[ax] === 0) return;
      constants[`${names[i]}s${ax}`] = s[ax];
      terms[i].push(`i${ax} * this.constants.${names[i]}s${ax}`);
    });
  }
  names.forEach((n, i) => lines.push(`const ${n}Off = ${terms[i].length ? terms[i].join(' + ') : '0'};`));
  return lines.join(' ');
}

