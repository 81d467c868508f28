/**
 * Numerical agreement with PyTorch. test/golden/torch_golden.json holds small float64 cases made by
 * scripts/golden/torch_golden.py (`/usr/bin/python3 scripts/golden/torch_golden.py`) with PyTorch's layers,
 * functionals and optimizers: inputs, weights, forward outputs and the gradient w.r.t. every input and
 * parameter. This test reads only the JSON (CI needs no Python) and runs each case on
 *   - 'js', the float64 reference backend: tight, relative 1e-10;
 *   - 'wasm' (and 'wasm-fma' where the engine has relaxed SIMD), float32: loose, relative 1e-4.
 * An element far smaller than the largest of its quantity (a gradient summed from cancelling terms) is judged on
 * a floor of that largest magnitude (1e-6 of it in float64, 1e-2 in float32, where PyTorch's own float32 numbers
 * are off by ~1e-4 of such elements). A failure names the case, the backend, the quantity and the element.
 *
 * Deliberate differences from PyTorch's defaults, compared against the documented formula:
 * - LayerNorm's eps defaults to 1e-6 (flax.linen.LayerNorm, as the official FISOR code), not torch's 1e-5;
 *   the cases pass eps explicitly to F.layer_norm, and a test below pins our default.
 * - softplus: torch's default threshold 20 returns x above it (off by e^-20); the reference is its exact branch.
 * - FISOR's pieces (VP schedule, DDPM loss and sampler, expectile losses, critic targets, policy weights)
 *   follow ../shared/reference/FISOR.md (the official JAX code), written out in PyTorch by the generator.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  getBackend, gelu, layerNormalize, listBackends, logSoftmax, relaxedSimdAvailable, Rng, setBackend, softmax, tensor,
  wasmSimdAvailable, type DType, type Tensor,
} from '../../core/index.js';
import {
  Adam, AdamW, clipGradNorm, cosineDecay, EnsembleMLP, ensembleMax, ensembleMin, expectileLoss, LayerNorm, Linear, MLP, mse,
  reversedExpectileLoss, SGD, weightedMean, type Activation, type Module,
} from '../../nn/index.js';
import { ddpmSample, Denoiser, diffusionLoss, vpSchedule } from '../../diffusion/index.js';
import { advantageWeights, expectile, feasibleTarget, fisorWeights, reversedExpectile, rewardTarget } from '../../rl/fisor/critics.js';
import { FisorAgent } from '../../rl/fisor/agent.js';
import { resolveConfig } from '../../rl/fisor/config.js';

interface J { shape: number[]; data: number[] }
/** One case of the JSON; its fields depend on `kind` (the generator writes them; runCase reads them). */
type Case = { kind: string; name: string } & Record<string, any>;

const golden = JSON.parse(readFileSync(new URL('./torch_golden.json', import.meta.url), 'utf8')) as { torch: string; cases: Case[] };
const cases = golden.cases;

/**
 * rtol: relative tolerance; floor: the fraction of a quantity's largest magnitude below which an element is judged
 * on that scale instead of its own (a gradient element summed from cancelling terms keeps the rounding of the terms).
 */
interface Mode { backend: string; dtype: DType; rtol: number; floor: number }
const MODES: Mode[] = [{ backend: 'js', dtype: 'float64', rtol: 1e-10, floor: 1e-6 }];
if (wasmSimdAvailable() && listBackends().includes('wasm')) MODES.push({ backend: 'wasm', dtype: 'float32', rtol: 1e-4, floor: 1e-2 });
if (relaxedSimdAvailable() && listBackends().includes('wasm-fma')) MODES.push({ backend: 'wasm-fma', dtype: 'float32', rtol: 1e-4, floor: 1e-2 });
let floor = 1e-6;

const prev = getBackend().name;
afterAll(() => {
  setBackend(prev);
});

/**
 * Fails naming the first element where |got - want| > rtol · max(|want|, floor · max|want|) (floor: the mode's):
 * relative, except that an element that cancels to ~0 is judged on the scale of its neighbours.
 */
function close(what: string, got: ArrayLike<number> | number, want: J | number, rtol: number): void {
  const g = typeof got === 'number' ? [got] : Array.from(got);
  const w = typeof want === 'number' ? [want] : want.data;
  expect(g.length, `${what}: ${g.length} values, want ${w.length}`).toBe(w.length);
  let maxAbs = 0;
  for (const v of w) maxAbs = Math.max(maxAbs, Math.abs(v));
  for (let i = 0; i < w.length; i++) {
    const err = Math.abs(g[i] - w[i]);
    const scale = Math.max(Math.abs(w[i]), floor * maxAbs, 1e-300);
    if (!(err <= rtol * scale) && g[i] !== w[i]) {
      expect.fail(`${what}: element ${i} of ${w.length}: got ${g[i]}, torch ${w[i]} (|diff| ${err.toExponential(2)}, ${(err / scale).toExponential(2)} relative; tolerance ${rtol})`);
    }
  }
}

function mk(j: J, dtype: DType, requiresGrad = false): Tensor {
  return tensor(j.data, { shape: j.shape, dtype, requiresGrad });
}

const vals = (t: Tensor | null | undefined, what: string): Float64Array => {
  if (!t) throw new Error(`${what}: no gradient`);
  return Float64Array.from(t.dataSync());
};

/** A state dict from the JSON's {name: tensor} map. */
function state(s: Record<string, J>): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Float64Array.from(v.data)]));
}

/** Compares every parameter's gradient with the JSON's, by name. */
function closeGrads(what: string, m: Module, want: Record<string, J>, rtol: number): void {
  const named = m.namedParameters();
  expect(named.map(([n]) => n).sort()).toEqual(Object.keys(want).sort());
  for (const [n, p] of named) close(`${what}: d/d ${n}`, vals(p.grad, `${what}: ${n}`), want[n], rtol);
}

/** An Rng stand-in that hands out the case's integers and normals in order (fixed t and noise). */
function scriptedRng(ints: number[], normals: number[]): Rng {
  let i = 0;
  let k = 0;
  return {
    int: () => {
      if (i >= ints.length) throw new Error('scriptedRng: ran out of integers');
      return ints[i++];
    },
    normal: () => {
      if (k >= normals.length) throw new Error('scriptedRng: ran out of normals');
      return normals[k++];
    },
  } as unknown as Rng;
}

function denoiser(c: Case, dtype: DType): Denoiser {
  const d = c.denoiser;
  const m = new Denoiser({
    dataSize: d.dataSize, condSize: d.condSize, hidden: d.hidden, blocks: d.blocks, dropout: 0,
    timeFeatures: d.timeFeatures, timeHidden: d.timeHidden, rng: new Rng(0), dtype,
  });
  m.loadStateDict(state(c.state));
  return m;
}

const UNARY: Record<string, (x: Tensor) => Tensor> = {
  relu: (x) => x.relu(), mish: (x) => x.mish(), gelu: (x) => gelu(x), tanh: (x) => x.tanh(),
  sigmoid: (x) => x.sigmoid(), softplus: (x) => x.softplus(),
};
const EXPECTILE: Record<string, (d: Tensor, tau: number) => Tensor> = {
  expectileLoss, reversedExpectileLoss, expectile, reversedExpectile,
};

/** Runs one case on the current backend and compares every quantity. */
function runCase(c: Case, m: Mode): void {
  const { dtype } = m;
  // A case may loosen float32 for its conditioning (the generator says why, e.g. LayerNorm's near-constant row).
  const rtol = dtype === 'float32' && typeof c.f32rtol === 'number' ? Math.max(m.rtol, c.f32rtol) : m.rtol;
  floor = m.floor;
  const at = `${c.name} [${m.backend}]`;
  switch (c.kind) {
    case 'linear': {
      const [inF, outF] = c.weight.shape;
      const lin = new Linear(inF, outF, { bias: c.bias, dtype });
      lin.loadStateDict(c.bias ? { weight: Float64Array.from(c.weight.data), bias: Float64Array.from(c.b.data) } : { weight: Float64Array.from(c.weight.data) });
      const x = mk(c.x, dtype, true);
      const y = lin.forwardAct(x, c.activation as Activation);
      y.mul(mk(c.upstream, dtype)).sum().backward();
      close(`${at}: y`, y.dataSync(), c.y, rtol);
      close(`${at}: dx`, vals(x.grad, at), c.dx, rtol);
      close(`${at}: dweight`, vals(lin.weight.grad, at), c.dweight, rtol);
      if (c.bias) close(`${at}: dbias`, vals(lin.bias!.grad, at), c.db, rtol);
      return;
    }
    case 'unary':
    case 'softmax': {
      const x = mk(c.x, dtype, true);
      const fn = c.kind === 'unary' ? UNARY[c.op] : c.op === 'softmax' ? softmax : logSoftmax;
      if (!fn) throw new Error(`${at}: no op '${c.op}'`);
      const y = fn(x);
      y.mul(mk(c.upstream, dtype)).sum().backward();
      close(`${at}: y`, y.dataSync(), c.y, rtol);
      close(`${at}: dx`, vals(x.grad, at), c.dx, rtol);
      return;
    }
    case 'layernorm': {
      const x = mk(c.x, dtype, true);
      let ln: LayerNorm | null = null;
      let y: Tensor;
      if (c.affine) {
        ln = new LayerNorm(c.x.shape.at(-1), { eps: c.eps, dtype });
        ln.loadStateDict({ scale: Float64Array.from(c.scale.data), bias: Float64Array.from(c.b.data) });
        y = ln.forward(x);
      } else {
        y = layerNormalize(x, c.eps);
      }
      y.mul(mk(c.upstream, dtype)).sum().backward();
      close(`${at}: y`, y.dataSync(), c.y, rtol);
      close(`${at}: dx`, vals(x.grad, at), c.dx, rtol);
      if (ln) {
        close(`${at}: dscale`, vals(ln.scale.grad, at), c.dscale, rtol);
        close(`${at}: dbias`, vals(ln.bias.grad, at), c.db, rtol);
      }
      return;
    }
    case 'mse': {
      const p = mk(c.pred, dtype, true);
      const t = mk(c.target, dtype, true);
      const loss = mse(p, t);
      loss.backward();
      close(`${at}: loss`, loss.item(), c.loss, rtol);
      close(`${at}: dpred`, vals(p.grad, at), c.dpred, rtol);
      close(`${at}: dtarget`, vals(t.grad, at), c.dtarget, rtol);
      return;
    }
    case 'expectile': {
      const d = mk(c.d, dtype, true);
      const per = EXPECTILE[c.fn](d, c.tau);
      const loss = per.mean();
      loss.backward();
      close(`${at}: per-element`, per.dataSync(), c.per, rtol);
      close(`${at}: loss`, loss.item(), c.loss, rtol);
      close(`${at}: dd`, vals(d.grad, at), c.dd, rtol);
      return;
    }
    case 'weightedMean': {
      const v = mk(c.values, dtype, true);
      const loss = weightedMean(v, mk(c.weights, dtype));
      loss.backward();
      close(`${at}: loss`, loss.item(), c.loss, rtol);
      close(`${at}: dvalues`, vals(v.grad, at), c.dvalues, rtol);
      return;
    }
    case 'optim': {
      const ps = (c.params as J[]).map((p) => mk(p, dtype, true).keep());
      const schedule = c.cosine ? cosineDecay(c.lr, c.cosine.decaySteps, c.cosine.alpha) : undefined;
      const h = { lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weightDecay, schedule };
      const opt = c.optimizer === 'sgd' ? new SGD(ps, { lr: c.lr, momentum: c.momentum })
        : c.optimizer === 'adam' ? new Adam(ps, h) : new AdamW(ps, h);
      (c.grads as (J | null)[][]).forEach((gs, k) => {
        opt.zeroGrad();
        gs.forEach((g, i) => {
          ps[i].grad = g ? mk(g, dtype).keep() : null;
        });
        opt.step();
        ps.forEach((p, i) => close(`${at}: step ${k + 1}, params[${i}]`, p.dataSync(), c.after[k][i], rtol));
      });
      return;
    }
    case 'clip': {
      const ps = (c.grads as J[]).map((g) => {
        const p = mk(g, dtype, true).keep();
        p.grad = mk(g, dtype).keep();
        return p;
      });
      const norm = clipGradNorm(ps, c.maxNorm);
      close(`${at}: total norm`, norm, c.norm, rtol);
      ps.forEach((p, i) => close(`${at}: grads[${i}] after clipping`, vals(p.grad, at), c.clipped[i], rtol));
      return;
    }
    case 'mlp':
    case 'ensemble': {
      const opts = {
        inputSize: c.inputSize, hiddenSizes: c.hiddenSizes, outputSize: c.outputSize, activation: (c.activation ?? 'relu') as Activation,
        layerNorm: c.layerNorm ?? false, activateFinal: c.activateFinal ?? false, rng: new Rng(0), dtype,
      };
      const net = c.kind === 'mlp' ? new MLP(opts) : new EnsembleMLP({ ...opts, members: c.members });
      net.loadStateDict(state(c.state));
      const x = mk(c.x, dtype, true);
      const out = net.forward(x);
      close(`${at}: out`, out.dataSync(), c.out, rtol);
      let pred = out;
      if (c.kind === 'ensemble') {
        pred = c.reduce === 'min' ? ensembleMin(out) : ensembleMax(out);
        close(`${at}: ensemble ${c.reduce}`, pred.dataSync(), c.reduced, rtol);
      }
      const loss = mse(pred, mk(c.target, dtype));
      loss.backward();
      close(`${at}: loss`, loss.item(), c.loss, rtol);
      close(`${at}: dx`, vals(x.grad, at), c.dx, rtol);
      closeGrads(at, net, c.grads, rtol);
      return;
    }
    case 'schedule': {
      // Computed in float64 on every backend (plain arrays).
      const s = vpSchedule(c.T, c.betaMin, c.betaMax);
      close(`${at}: betas`, s.betas, c.betas, 1e-12);
      close(`${at}: alphas`, s.alphas, c.alphas, 1e-12);
      close(`${at}: alphaBars`, s.alphaBars, c.alphaBars, 1e-12);
      return;
    }
    case 'ddpmLoss': {
      const model = denoiser(c, dtype);
      const x0 = mk(c.x0, dtype, true);
      const cond = mk(c.cond, dtype, true);
      const w = c.weights ? mk(c.weights, dtype) : null;
      const rng = scriptedRng(c.t, c.noise.data);
      const { loss, perSample } = diffusionLoss(model, vpSchedule(c.T, c.betaMin, c.betaMax), x0, cond, w, rng);
      loss.backward();
      close(`${at}: per-sample error`, perSample.dataSync(), c.perSample, rtol);
      close(`${at}: loss`, loss.item(), c.loss, rtol);
      close(`${at}: dx0`, vals(x0.grad, at), c.dx0, rtol);
      close(`${at}: dcond`, vals(cond.grad, at), c.dcond, rtol);
      closeGrads(at, model, c.grads, rtol);
      return;
    }
    case 'ddpmSample': {
      const model = denoiser(c, dtype).eval();
      const normals = [...c.xT.data, ...(c.z as J[]).flatMap((z) => z.data)];
      const rng = scriptedRng([], normals);
      const x = ddpmSample(model, vpSchedule(c.T, c.betaMin, c.betaMax), mk(c.cond, dtype), c.xT.shape[1], rng, {
        temperature: c.temperature, clip: c.clip, dtype,
      });
      close(`${at}: x_0`, x.dataSync(), c.x0, rtol);
      return;
    }
    case 'fisorFormulas': {
      const v = (k: string) => mk(c[k], dtype);
      close(`${at}: feasibleTarget`, feasibleTarget(v('h'), v('nextV'), v('mask'), c.discount).dataSync(), c.feasibleTarget, rtol);
      close(`${at}: rewardTarget`, rewardTarget(v('r'), v('nextV'), v('mask'), c.discount).dataSync(), c.rewardTarget, rtol);
      close(`${at}: fisorWeights`, fisorWeights(v('q'), v('v'), v('qc'), v('vc'), c.weightConfig).dataSync(), c.fisorWeights, rtol);
      close(`${at}: advantageWeights`, advantageWeights(v('q'), v('v'), c.weightConfig).dataSync(), c.advantageWeights, rtol);
      return;
    }
    case 'criticStep': {
      const cfg = resolveConfig({
        preset: 'paper',
        set: [
          `batchSize=${c.batchSize}`, `criticBatchSize=${c.batchSize}`, `criticHidden=${c.hidden},${c.hidden}`, `criticLr=${c.criticLr}`,
          `tau=${c.tau}`, `discount=${c.discount}`, `rewardExpectile=${c.rewardExpectile}`, `feasibilityExpectile=${c.feasibilityExpectile}`,
          'schedule=critics-first', 'criticSteps=10', `dtype=${dtype}`,
          'actor.hidden=4', 'actor.blocks=1', 'actor.timeFeatures=4', 'actor.timeHidden=4',
        ],
      });
      const agent = new FisorAgent(cfg, c.obsDim, c.actDim, new Rng(0));
      const nets: Record<string, Module> = { qr: agent.qr, qrTarget: agent.qrTarget, vr: agent.vr, qh: agent.qh, qhTarget: agent.qhTarget, vh: agent.vh };
      for (const [n, sd] of Object.entries(c.nets as Record<string, Record<string, J>>)) nets[n].loadStateDict(state(sd));
      const b = c.batch as Record<string, J>;
      const f = (k: string) => Float32Array.from(b[k].data);
      const m = agent.update({
        size: c.batchSize, observations: f('observations'), nextObservations: f('nextObservations'), actions: f('actions'),
        rewards: f('rewards'), h: f('h'), masks: f('masks'),
      }, 0);
      close(`${at}: V_r loss`, m.vrLoss, c.losses.vr, rtol);
      close(`${at}: Q_r loss`, m.qrLoss, c.losses.qr, rtol);
      close(`${at}: V_h loss`, m.vhLoss, c.losses.vh, rtol);
      close(`${at}: Q_h loss`, m.qhLoss, c.losses.qh, rtol);
      for (const [n, sd] of Object.entries(c.after as Record<string, Record<string, J>>)) {
        const got = new Map(nets[n].namedParameters());
        for (const [k, want] of Object.entries(sd)) close(`${at}: ${n}.${k} after the iteration`, got.get(k)!.dataSync(), want, rtol);
      }
      return;
    }
    default:
      throw new Error(`${at}: unknown case kind '${c.kind}' (regenerate the JSON or extend this test)`);
  }
}

describe('agreement with PyTorch (test/golden/torch_golden.json)', () => {
  it('holds the cases the generator writes', () => {
    const kinds = new Set(cases.map((c) => c.kind));
    for (const k of ['linear', 'unary', 'softmax', 'layernorm', 'mse', 'expectile', 'optim', 'clip', 'mlp', 'ensemble', 'schedule', 'ddpmLoss', 'ddpmSample', 'fisorFormulas', 'criticStep']) {
      expect(kinds.has(k), `no '${k}' case`).toBe(true);
    }
  });

  it("LayerNorm's default eps is flax's 1e-6 (a documented difference from torch.nn.LayerNorm's 1e-5)", () => {
    expect(new LayerNorm(3).eps).toBe(1e-6);
  });

  for (const m of MODES) {
    describe(`${m.backend} (${m.dtype}, relative ${m.rtol}, floor ${m.floor})`, () => {
      for (const c of cases) {
        it(c.name, () => {
          setBackend(m.backend);
          runCase(c, m);
        });
      }
    });
  }
});
