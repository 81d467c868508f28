import { describe, expect, it } from 'vitest';
import { audit, formatAudit, gradcheck, Rng, randn, setBackend, tensor, type Tensor } from '../../core/index.js';
import { apply, type OpDef } from '../../core/autograd.js';

describe('audit', () => {
  it("checks every op of a two-layer network's training step", () => {
    setBackend('js');
    const rng = new Rng(5);
    const x = randn([8, 4], { rng });
    const y = randn([8, 1], { rng });
    const w1 = randn([4, 16], { rng, requiresGrad: true });
    const b1 = randn([16], { rng, requiresGrad: true });
    const w2 = randn([16, 1], { rng, requiresGrad: true });
    const b2 = randn([1], { rng, requiresGrad: true });
    const report = audit(() => {
      const h = x.matmul(w1).add(b1).tanh();
      const pred = h.matmul(w2).add(b2);
      const loss = pred.sub(y).square().mean();
      loss.backward();
      return loss.item();
    });
    expect(report.rows.map((r) => r.op)).toEqual(['matmul', 'add', 'tanh', 'matmul', 'add', 'sub', 'square', 'sum', 'scale']);
    for (const row of report.rows) {
      expect(row.ok, formatAudit([row])).toBe(true);
      expect(row.maxRelErr).toBeLessThanOrEqual(1e-6);
      expect(row.checked.every((c) => c > 0)).toBe(true);
    }
    expect(report.ok).toBe(true);
    expect(Number.isFinite(report.result)).toBe(true);
    expect(formatAudit(report.rows)).toContain('matmul');
  });

  it('catches an op whose VJP is wrong', () => {
    const badSquare: OpDef = {
      name: 'badSquare',
      forward: ([x]) => x.square(),
      backward: (g, [x]) => [g.mul(x).mul(2.5)], // should be 2x
    };
    const x = tensor([0.5, -1, 2], { requiresGrad: true });
    const report = audit(() => apply(badSquare, [x], undefined).sum().backward());
    const row = report.rows.find((r) => r.op === 'badSquare')!;
    expect(row.ok).toBe(false);
    expect(report.ok).toBe(false);
  });

  it('gradcheck reports per input and fails a wrong gradient', () => {
    const bad: OpDef = { name: 'bad', forward: ([a]) => a.exp(), backward: (g) => [g] };
    const r = gradcheck((a: Tensor) => apply(bad, [a], undefined), [tensor([1, 2, 3], { dtype: 'float64' })]);
    expect(r.ok).toBe(false);
    expect(r.perInput[0].checked).toBe(3);
    expect(r.maxRelErr).toBeGreaterThan(0.1);
  });
});
