/**
 * Softmax and log-softmax over the last axis (attention weights, COptiDICE's batch weights, CDT's
 * cost classifier). Both subtract the row maximum first, so large logits do not overflow.
 *
 * | op | forward (per row, m = max x) | VJP |
 * |---|---|---|
 * | softmax | y = e^(x - m) / Σ e^(x - m) | dx = y ⊙ (g - Σ g ⊙ y) |
 * | logSoftmax | y = x - m - ln Σ e^(x - m) | dx = g - e^y · Σ g |
 */
import { apply, type OpDef } from '../autograd.js';
import { Tensor } from '../tensor.js';

function checkInput(what: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${what}: expected a Tensor`);
  if (x.ndim === 0) throw new Error(`${what}: needs rank >= 1 (it normalises over the last axis), got a scalar`);
  if (x.shape[x.ndim - 1] === 0) throw new Error(`${what}: the last axis has size 0`);
}

/** x - max(x) over the last axis (keepdim); the shift changes neither output. */
function shifted(x: Tensor): Tensor {
  const m = x.max(-1, true);
  const z = x.sub(m);
  m.dispose();
  return z;
}

export const Softmax: OpDef<null> = {
  name: 'softmax',
  forward: ([x]) => {
    const z = shifted(x);
    const e = z.exp();
    z.dispose();
    const s = e.sum(-1, true);
    const y = e.div(s);
    e.dispose();
    s.dispose();
    return y;
  },
  backward: (g, _inputs, y) => {
    const gy = g.mul(y);
    const dot = gy.sum(-1, true);
    gy.dispose();
    const c = g.sub(dot);
    dot.dispose();
    const dx = c.mul(y);
    c.dispose();
    return [dx];
  },
};

export const LogSoftmax: OpDef<null> = {
  name: 'logSoftmax',
  forward: ([x]) => {
    const z = shifted(x);
    const e = z.exp();
    const s = e.sum(-1, true);
    e.dispose();
    const lse = s.log();
    s.dispose();
    const y = z.sub(lse);
    z.dispose();
    lse.dispose();
    return y;
  },
  backward: (g, _inputs, y) => {
    const p = y.exp();
    const gs = g.sum(-1, true);
    const pg = p.mul(gs);
    p.dispose();
    gs.dispose();
    const dx = g.sub(pg);
    pg.dispose();
    return [dx];
  },
};

/** softmax over the last axis. */
export function softmax(x: Tensor): Tensor {
  checkInput('softmax', x);
  return apply(Softmax, [x], null);
}

/** log(softmax(x)) over the last axis, computed stably. */
export function logSoftmax(x: Tensor): Tensor {
  checkInput('logSoftmax', x);
  return apply(LogSoftmax, [x], null);
}
