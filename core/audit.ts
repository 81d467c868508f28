/**
 * Audit mode: run a whole computation (a training step, say), record every op it applies, then
 * check each op's vector-Jacobian product against finite differences in float64 at the inputs it
 * actually saw. One row per recorded op.
 */
import { startTape, stopTape } from './autograd.js';
import { gradcheckOp, type GradcheckOptions } from './gradcheck.js';
import { tensor } from './tensor.js';

export interface AuditRow {
  /** Position on the tape (order of execution). */
  index: number;
  op: string;
  inputShapes: number[][];
  /** Coordinates checked per differentiable input. */
  checked: number[];
  maxAbsErr: number;
  maxRelErr: number;
  ok: boolean;
}

export interface AuditReport<T> {
  ok: boolean;
  rows: AuditRow[];
  /** What `fn` returned. */
  result: T;
}

export interface AuditOptions extends GradcheckOptions {
  /** Coordinates checked per input of each op (default 16; finite differences cost 4 forwards each). */
  maxPoints?: number;
}

/**
 * Runs `fn` (which builds a graph and calls backward) with recording on; then checks every op
 * with at least one differentiable input. Float32 ops are re-run in float64 on their recorded
 * inputs, so the check is of the VJP formula, not of float32 rounding.
 */
export function audit<T>(fn: () => T, opts: AuditOptions = {}): AuditReport<T> {
  const tape = startTape();
  let result: T;
  try {
    result = fn();
  } finally {
    stopTape();
  }
  const rows = tape.map((entry, index): AuditRow => {
    const xs = entry.inputs.map((inp) => tensor(inp.data, { shape: inp.shape, dtype: 'float64', backend: 'js' }));
    const wrt = entry.inputs.flatMap((inp, i) => (inp.differentiable ? [i] : []));
    // A cast is the identity in float64; check it there rather than through float32 rounding.
    const attrs = entry.op.name === 'cast' ? 'float64' : entry.attrs;
    const r = gradcheckOp(entry.op, attrs, xs, { maxPoints: 16, ...opts, wrt });
    return {
      index,
      op: entry.op.name,
      inputShapes: entry.inputs.map((inp) => inp.shape),
      checked: r.perInput.map((p) => p.checked),
      maxAbsErr: r.maxAbsErr,
      maxRelErr: r.maxRelErr,
      ok: r.ok,
    };
  });
  return { ok: rows.every((r) => r.ok), rows, result: result! };
}

/** A fixed-width table of an audit, for logs. */
export function formatAudit(rows: readonly AuditRow[]): string {
  const head = 'idx  op            input shapes                      max abs err   max rel err   ok';
  const lines = rows.map((r) =>
    `${String(r.index).padEnd(4)} ${r.op.padEnd(13)} ${r.inputShapes.map((s) => `[${s.join(',')}]`).join(' ').padEnd(33)} ` +
    `${r.maxAbsErr.toExponential(2).padEnd(13)} ${r.maxRelErr.toExponential(2).padEnd(13)} ${r.ok ? 'yes' : 'NO'}`);
  return [head, ...lines].join('\n');
}
