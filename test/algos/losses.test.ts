/** The shared loss pieces and each algorithm's formula helpers on hand-made tensors, against values worked out by hand. */
import { describe, expect, it } from 'vitest';
import { Rng, tensor } from '../../core/index.js';
import { CDT, CDT_PAPER } from '../../rl/algos/cdt.js';
import { ensembleMse, gaussianEntropy, gaussianLogProb, vaeKl, vaeLoss } from '../../rl/algos/common.js';
import { COptiDICE, COPTIDICE_PAPER, datasetStats, fPrimeInverse, fSoftChi } from '../../rl/algos/coptidice.js';
import { quantile } from '../../rl/algos/cpq.js';
import { qcThreshold } from '../../rl/algos/data.js';
import { toyDataset } from './helpers.js';

const t = (x: number[] | number[][] | number[][][]) => tensor(x, { dtype: 'float64' });
const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 10);

describe('shared pieces', () => {
  it('ensembleMse = Σ_i mean_b (Q_i - y)²', () => {
    // member 0: errors 0, -1 -> 0.5; member 1: 2, 2 -> 4; total 4.5
    close(ensembleMse(t([[1, 2], [3, 5]]), t([1, 3])).item(), 4.5);
  });
  it('VAE KL and loss: -½(1 + 2 log σ - μ² - σ²), MSE + β·mean KL', () => {
    // μ = 1, log σ = 0: KL = -½(1 + 0 - 1 - 1) = 0.5;  μ = 0, log σ = ln 2: -½(1 + 2 ln 2 - 0 - 4) = 1.5 - ln 2
    const kl = vaeKl(t([[1, 0]]), t([[0, Math.log(2)]])).toFlatArray();
    close(kl[0], 0.5);
    close(kl[1], 1.5 - Math.log(2));
    const l = vaeLoss(t([[0.5, 0]]), t([[0, 0]]), t([[1, 0]]), t([[0, Math.log(2)]]), 0.5);
    close(l.loss.item(), 0.125 + 0.5 * (0.5 + 1.5 - Math.log(2)) / 2);
  });
  it('Gaussian log-density and entropy', () => {
    // ln N(1; 0, e^0) = -½ - ½ ln 2π; ln N(0; 1, 2) = -½(1/2)² - ln 2 - ½ ln 2π
    const lp = gaussianLogProb(t([1, 0]), t([0, 1]), t([0, Math.log(2)])).toFlatArray();
    close(lp[0], -0.5 - 0.5 * Math.log(2 * Math.PI));
    close(lp[1], -0.125 - Math.log(2) - 0.5 * Math.log(2 * Math.PI));
    close(gaussianEntropy(t([0])).item(), 0.5 + 0.5 * Math.log(2 * Math.PI));
  });
  it('qc_thres = κ(1 - γ^T)/((1 - γ)T) reproduces BASELINES.md (6.340, 4.330, 3.170, 1.000)', () => {
    expect(qcThreshold(10, 0.99, 100)).toBeCloseTo(6.340, 3);
    expect(qcThreshold(10, 0.99, 200)).toBeCloseTo(4.330, 3);
    expect(qcThreshold(10, 0.99, 300)).toBeCloseTo(3.170, 3);
    expect(qcThreshold(10, 0.99, 1000)).toBeCloseTo(1.000, 3);
    expect(() => qcThreshold(10, 1, 100)).toThrow(/gamma/);
  });
});

describe('CPQ', () => {
  it('quantile interpolates linearly like torch.quantile', () => {
    close(quantile([4, 1, 3, 2], 0.75), 3.25);
    close(quantile([5], 0.75), 5);
  });
});

describe('COptiDICE', () => {
  it('soft-χ² f and (f′)⁻¹ by hand on both branches', () => {
    const f = fSoftChi(t([0.5, 3])).toFlatArray();
    close(f[0], 0.5 * (Math.log(0.5 + 1e-10) - 1) + 1);
    close(f[1], 2);
    const g = fPrimeInverse(t([-2, 0.5])).toFlatArray();
    close(g[0], Math.exp(-2));
    close(g[1], 1.5);
  });
  it('dataset statistics: is_init after every done, p0, per-dimension std', () => {
    const ds = toyDataset({ len: 2, costs: [0, 1] });
    const st = datasetStats(ds);
    expect([...st.isInit]).toEqual([1, 0, 1, 0]);
    expect(st.p0).toBe(0.5);
    const col = [0, 1, 2, 3].map((i) => ds.actions[i * 2]);
    const m = col.reduce((a, b) => a + b) / 4;
    expect(st.actStd[0]).toBeCloseTo(Math.sqrt(col.reduce((a, b) => a + (b - m) ** 2, 0) / 4), 6);
  });
  it('λ loss = softplus(λ̃)·(qc_thres - ĉ), and the λ step raises λ while ĉ > qc_thres', () => {
    const ds = toyDataset();
    const algo = new COptiDICE({ ...COPTIDICE_PAPER, dtype: 'float64', actorHidden: [4], criticHidden: [4], scalarLr: 0.1 }, 3, 2, 'BallRun', ds, new Rng(0));
    const lam0 = algo.lambda;
    close(algo.lambdaLoss(100).item(), lam0 * (algo.qcThres - 100));
    algo.opts.lambda.zeroGrad();
    algo.lambdaLoss(100).backward();
    algo.opts.lambda.step();
    expect(algo.lambda).toBeGreaterThan(lam0);
  });
});

describe('CDT', () => {
  const cdt = () => new CDT({ ...CDT_PAPER, dtype: 'float64', embedDim: 8, heads: 2, blocks: 1, seqLen: 2, targetReturn: 1 }, 3, 2, 'BallRun', null, new Rng(0));
  it('cost loss = mean over all B·L positions of mask·(-ln p(c)), pads in the divisor', () => {
    // B = 1, L = 2: position 0 has cost 1 with ln p1 = ln 0.8; position 1 is padding.
    const logp = t([[[Math.log(0.2), Math.log(0.8)], [Math.log(0.5), Math.log(0.5)]]]);
    close(cdt().costLoss(logp, t([[1, 0]]), t([[1, 0]])).item(), -Math.log(0.8) / 2);
  });
  it('action loss = -(mean ln N + T·mean H) over unpadded steps and action dims', () => {
    const c = cdt();
    const mu = t([[[0, 0], [5, 5]]]), logStd = t([[[0, 0], [1, 1]]]), a = t([[[1, 0], [0, 0]]]);
    const l = c.actionLoss(mu, logStd, a, t([[1, 0]]));
    const lp = (-0.5 - 0.5 * Math.log(2 * Math.PI) + -0.5 * Math.log(2 * Math.PI)) / 2;
    const h = 0.5 + 0.5 * Math.log(2 * Math.PI);
    close(l.loss.item(), -(lp + 0.1 * h));
    close(l.entropy, h);
  });
});
