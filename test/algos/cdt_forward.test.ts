/**
 * CDT's transformer recomputed in plain float64 JavaScript from its parameters (BASELINES.md §5): the four token
 * embeddings plus the timestep row, the embedding LayerNorm, pre-LN blocks with PyTorch-layout multi-head causal
 * attention (packed [q; k; v] projection, head h = columns h·d..(h+1)·d of each, logits q·k/√d, output projection),
 * the exact-GELU feed-forward, the final LayerNorm, μ and log σ read at the s_t token and the cost log-softmax at
 * the a_t token. The parameters are redrawn large (the 0.02 init leaves attention nearly uniform), so every piece
 * moves the outputs. Also the evaluation context (the last ≤ L steps with their return-, cost-to-go and taken
 * actions) and the training step's total loss, gradient clip and temperature gradient.
 */
import { describe, expect, it } from 'vitest';
import { noGrad, Rng, tensor, type Tensor } from '../../core/index.js';
import { erf } from '../../core/ops/gelu.js';
import { CDT, CDT_PAPER, type CDTModel } from '../../rl/algos/cdt.js';
import { toyDataset } from './helpers.js';

const S = 3, A = 2, E = 8, H = 2;
const cfg = { ...CDT_PAPER, dtype: 'float64' as const, embedDim: E, heads: H, blocks: 2, seqLen: 3, dropout: 0, targetReturn: 4 };
const flat = (x: Tensor) => Array.from(x.toFlatArray());

/** Every parameter redrawn U(-0.6, 0.6) (LayerNorm scales 1 ± 0.3), deterministic. */
function randomize(m: CDTModel, seed: number) {
  const r = new Rng(seed);
  for (const [name, p] of m.namedParameters()) {
    const v = Float64Array.from({ length: p.size }, () => (name.endsWith('scale') ? 1 + r.uniformRange(-0.3, 0.3) : r.uniformRange(-0.6, 0.6)));
    p.backend.write(p.buffer, v);
  }
}

/** x [n] · W [n, m] (+ b). */
function affine(x: number[], W: number[], b: number[] | null, m: number): number[] {
  const n = x.length;
  return Array.from({ length: m }, (_, j) => {
    let s = b ? b[j] : 0;
    for (let i = 0; i < n; i++) s += x[i] * W[i * m + j];
    return s;
  });
}
function layerNorm(x: number[], g: number[], b: number[]): number[] {
  const mu = x.reduce((s, v) => s + v, 0) / x.length;
  const v = x.reduce((s, y) => s + (y - mu) ** 2, 0) / x.length;
  return x.map((y, i) => ((y - mu) / Math.sqrt(v + 1e-5)) * g[i] + b[i]);
}
const geluRef = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

/** The model's outputs for one window (T steps), recomputed from its parameters; `valid` flags padded steps. */
function reference(m: CDTModel, s: number[][], a: number[][], r: number[], c: number[], ts: number[], valid?: number[]) {
  const P = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, flat(p)]));
  const T = s.length;
  const tok: number[][] = [];
  for (let t = 0; t < T; t++) {
    const time = P['timestep.weight'].slice(ts[t] * E, ts[t] * E + E);
    const add = (x: number[]) => x.map((v, i) => v + time[i]);
    tok.push(add(affine([r[t]], P['embedReturn.weight'], P['embedReturn.bias'], E)));
    tok.push(add(affine([50 - c[t]], P['embedCost.weight'], P['embedCost.bias'], E)));
    tok.push(add(affine(s[t], P['embedState.weight'], P['embedState.bias'], E)));
    tok.push(add(affine(a[t], P['embedAction.weight'], P['embedAction.bias'], E)));
  }
  let x = tok.map((v) => layerNorm(v, P['ln.scale'], P['ln.bias']));
  const n = 4 * T, d = E / H;
  for (let bi = 0; bi < m.blocks.length; bi++) {
    const p = (k: string) => P[`blocks.${bi}.${k}`];
    const y = x.map((v) => layerNorm(v, p('ln1.scale'), p('ln1.bias')));
    const qkv = y.map((v) => affine(v, p('attn.qkv.weight'), p('attn.qkv.bias'), 3 * E));
    const heads = x.map(() => new Array(E).fill(0));
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < n; i++) {
        const logits: number[] = [];
        for (let j = 0; j <= i; j++) {
          if (valid && !valid[Math.floor(j / 4)]) continue;
          let dot = 0;
          for (let k = 0; k < d; k++) dot += qkv[i][h * d + k] * qkv[j][E + h * d + k];
          logits.push(dot / Math.sqrt(d));
        }
        const js = [...Array(i + 1).keys()].filter((j) => !valid || valid[Math.floor(j / 4)]);
        const mx = Math.max(...logits);
        const ex = logits.map((l) => Math.exp(l - mx));
        const z = ex.reduce((u, v) => u + v, 0);
        js.forEach((j, q) => {
          for (let k = 0; k < d; k++) heads[i][h * d + k] += (ex[q] / z) * qkv[j][2 * E + h * d + k];
        });
      }
    }
    const hres = x.map((v, i) => affine(heads[i], p('attn.out.weight'), p('attn.out.bias'), E).map((o, k) => v[k] + o));
    x = hres.map((v) => {
      const f = affine(layerNorm(v, p('ln2.scale'), p('ln2.bias')), p('fc1.weight'), p('fc1.bias'), 4 * E).map(geluRef);
      return affine(f, p('fc2.weight'), p('fc2.bias'), E).map((o, k) => v[k] + o);
    });
  }
  const out = x.map((v) => layerNorm(v, P['lnFinal.scale'], P['lnFinal.bias']));
  const mu: number[] = [], logStd: number[] = [], costLogp: number[] = [];
  for (let t = 0; t < T; t++) {
    mu.push(...affine(out[4 * t + 2], P['mu.weight'], P['mu.bias'], A));
    logStd.push(...affine(out[4 * t + 2], P['logStd.weight'], P['logStd.bias'], A));
    const l = affine(out[4 * t + 3], P['cost.weight'], P['cost.bias'], 2);
    const lse = Math.max(...l) + Math.log(l.reduce((u, v) => u + Math.exp(v - Math.max(...l)), 0));
    costLogp.push(...l.map((v) => v - lse));
  }
  return { mu, logStd, costLogp };
}

const r = new Rng(11);
const v = (n: number, lo = -1, hi = 1) => Array.from({ length: n }, () => r.uniformRange(lo, hi));
const rowsOf = (x: number[], w: number) => Array.from({ length: x.length / w }, (_, i) => x.slice(i * w, i * w + w));

describe('CDT transformer = a float64 recomputation from its parameters', () => {
  const c = new CDT(cfg, S, A, 'BallRun', null, new Rng(3));
  randomize(c.model, 5);
  c.model.eval();
  const B = 2, T = 3;
  const s = v(B * T * S), a = v(B * T * A), rtg = v(B * T, 0, 3), ctg = v(B * T, 0, 20);
  const ts = [4, 5, 6, 0, 1, 2];
  const run = (valid?: number[]) => noGrad(() => c.model.forward(
    tensor(s, { shape: [B, T, S], dtype: 'float64' }), tensor(a, { shape: [B, T, A], dtype: 'float64' }),
    tensor(rtg, { shape: [B, T], dtype: 'float64' }), tensor(ctg, { shape: [B, T], dtype: 'float64' }), Int32Array.from(ts), valid));
  const check = (valid?: number[]) => {
    const got = run(valid);
    const [mu, ls, cl] = [flat(got.mu), flat(got.logStd), flat(got.costLogp)];
    for (let b = 0; b < B; b++) {
      const sl = (x: number[], w: number) => x.slice(b * T * w, (b + 1) * T * w);
      const want = reference(c.model, rowsOf(sl(s, S), S), rowsOf(sl(a, A), A), sl(rtg, 1), sl(ctg, 1), ts.slice(b * T, b * T + T), valid?.slice(b * T, b * T + T));
      for (let t = 0; t < T; t++) {
        if (valid && !valid[b * T + t]) continue;
        for (let k = 0; k < A; k++) {
          expect(mu[(b * T + t) * A + k]).toBeCloseTo(want.mu[t * A + k], 10);
          expect(ls[(b * T + t) * A + k]).toBeCloseTo(want.logStd[t * A + k], 10);
        }
        for (let k = 0; k < 2; k++) expect(cl[(b * T + t) * 2 + k]).toBeCloseTo(want.costLogp[t * 2 + k], 10);
      }
    }
    return mu;
  };
  it('μ, log σ (no clamp) at the s-tokens and the cost log-probabilities at the a-tokens', () => {
    const mu = check();
    expect(Math.max(...mu.map(Math.abs))).toBeGreaterThan(0.1); // not a degenerate near-zero output
  });
  it('with padded steps masked as keys', () => {
    check([1, 1, 0, 1, 0, 0]);
  });
});

describe('CDT evaluation context', () => {
  it('each step feeds the last <= L steps: states, the actions taken (current slot 0), R̂·0.1 and Ĉ·costScale less what was received, absolute timesteps; acts μ at the last s-token', () => {
    const c = new CDT({ ...cfg, targetCost: 1, costScale: 0.5 }, S, A, 'BallRun', null, new Rng(3));
    randomize(c.model, 6);
    const L = cfg.seqLen;
    const seen: { s: number[]; a: number[]; r: number[]; c: number[]; ts: number[] }[] = [];
    const fwd = c.model.forward.bind(c.model);
    c.model.forward = (s, a, rt, ct, ts, valid) => {
      seen.push({ s: flat(s), a: flat(a), r: flat(rt), c: flat(ct), ts: Array.from(ts) });
      return fwd(s, a, rt, ct, ts, valid);
    };
    c.beginEpisodes(1);
    const hist = { s: [] as number[][], a: [] as number[][], r: [4 * 0.1], c: [1 * 0.5] }; // Ĉ goes below 0 unclipped
    for (let step = 0; step < 5; step++) {
      const obs = v(S);
      hist.s.push(obs);
      hist.a.push([0, 0]);
      const act = Array.from(c.actEpisodes(Float32Array.from(obs), [0]));
      const len = step + 1, T = Math.min(len, L);
      const got = seen[seen.length - 1];
      const idx = [...Array(T).keys()].map((j) => len - T + j);
      expect(got.ts).toEqual(idx);
      idx.forEach((k, j) => {
        hist.s[k].forEach((x, q) => expect(got.s[j * S + q]).toBeCloseTo(Math.fround(x), 12));
        hist.a[k].forEach((x, q) => expect(got.a[j * A + q]).toBeCloseTo(x, 6));
        expect(got.r[j]).toBeCloseTo(hist.r[k], 6);
        expect(got.c[j]).toBeCloseTo(hist.c[k], 6);
      });
      // the action is μ of the window's last step, clipped to ±1
      const mu = flat(noGrad(() => fwd(
        tensor(got.s, { shape: [1, T, S], dtype: 'float64' }), tensor(got.a, { shape: [1, T, A], dtype: 'float64' }),
        tensor(got.r, { shape: [1, T], dtype: 'float64' }), tensor(got.c, { shape: [1, T], dtype: 'float64' }), Int32Array.from(got.ts)).mu));
      act.forEach((x, q) => expect(x).toBeCloseTo(Math.max(-1, Math.min(1, mu[(T - 1) * A + q])), 6));
      hist.a[step] = act;
      const rew = 1 + step, cost = step % 2;
      c.observeStep([0], Float64Array.from([rew]), Float64Array.from([cost]));
      hist.r.push(hist.r[hist.r.length - 1] - 0.1 * rew);
      hist.c.push(hist.c[hist.c.length - 1] - 0.5 * cost);
    }
    expect(seen.length).toBe(5);
    expect(Math.min(...hist.c)).toBeLessThan(0);
    expect(hist.a.slice(0, 4).some((x) => x.some((y) => Math.abs(y) > 1e-3))).toBe(true); // the actions fed back are not all 0
  });
  it('the default cost target is the run\'s κ (targetCost -1), scaled by costScale', () => {
    const c = new CDT({ ...cfg, targetCost: -1, costLimit: 6, costScale: 0.5 }, S, A, 'BallRun', null, new Rng(3));
    expect(c.targetCost).toBe(6);
    c.beginEpisodes(1);
    const h = (c as unknown as { hist: { c: number[] }[] }).hist;
    expect(h[0].c).toEqual([3]);
    expect(new CDT({ ...cfg, targetCost: 9 }, S, A, 'BallRun', null, new Rng(3)).targetCost).toBe(9);
  });
});

describe('CDT windows', () => {
  it('a window starts uniformly at any step of its episode, the last one included (OSRL D:785-786); cost labels are 1[c > 0]', () => {
    const ds = toyDataset({ len: 3, costs: [0, 2] }); // per-step cost 2 is still class 1 of the cost head
    const c = new CDT({ ...cfg, batchSize: 3000 }, S, A, 'BallRun', ds, new Rng(3));
    const b = c.sample(new Rng(9));
    const count = [0, 0, 0];
    for (let w = 0; w < b.size; w++) count[b.timesteps[w * cfg.seqLen]]++;
    count.forEach((n) => expect(Math.abs(n / b.size - 1 / 3)).toBeLessThan(0.03));
    const labels = new Set(Array.from(b.costs).filter((_, i) => b.mask[i] > 0));
    expect([...labels].sort()).toEqual([0, 1]);
  });
});

describe('CDT training step', () => {
  it('loss = L_a + 0.02·L_c in training mode (dropout on); the applied gradients are clipped to norm 0.25; ln T gets T·(H̄ + act_dim)', () => {
    const ds = toyDataset({ len: 4, costs: [0, 1, 0] });
    const c = new CDT({ ...cfg, batchSize: 3, costScale: 1, dropout: 0.1 }, S, A, 'BallRun', ds, new Rng(3));
    randomize(c.model, 7);
    const b = c.sample(new Rng(4));
    const T0 = c.temperature;
    const drop = c.rngs.drop.getState();
    c.model.train(); // the loss is taken with dropout on: replay the dropout stream
    const t = (x: Float32Array, shape: number[]) => tensor(x, { shape, dtype: 'float64' });
    const B = b.size, L = cfg.seqLen;
    const want = noGrad(() => {
      const o = c.model.forward(t(b.states, [B, L, S]), t(b.actions, [B, L, A]), t(b.rtg, [B, L]), t(b.ctg, [B, L]), b.timesteps, b.mask);
      const act = c.actionLoss(o.mu, o.logStd, t(b.actions, [B, L, A]), t(b.mask, [B, L]));
      const cost = c.costLoss(o.costLogp, t(b.costs, [B, L]), t(b.mask, [B, L]));
      return { la: act.loss.item(), lc: cost.item(), ent: act.entropy };
    });
    c.rngs.drop.setState(drop);
    expect(want.lc).toBeGreaterThan(0.1);
    const m = c.update(b);
    expect(m.loss).toBeCloseTo(want.la + 0.02 * want.lc, 10);
    expect(m.costLoss).toBeCloseTo(want.lc, 10);
    // the gradients left on the parameters are the clipped ones
    const norm = Math.sqrt(c.model.parameters().reduce((s, p) => s + flat(p.grad!).reduce((u, g) => u + g * g, 0), 0));
    expect(m.gradNorm).toBeGreaterThan(0.25);
    expect(norm).toBeCloseTo(0.25, 7); // PyTorch clip_grad_norm_: scale max_norm / (norm + 1e-6)
    expect(c.logTemp.grad!.item()).toBeCloseTo(T0 * (want.ent + A), 10);
    expect(c.temperature).toBeLessThan(T0); // H̄ + act_dim > 0: T_ent falls
  });
});

describe('CDT init and checkpoint', () => {
  it('Linear and timestep weights ~ N(0, 0.02) with zero biases (OSRL _init_weights); the packed Q/K/V keeps xavier-uniform', () => {
    const c = new CDT({ ...cfg, embedDim: 32, heads: 2, blocks: 1 }, S, A, 'BallRun', null, new Rng(3));
    const P = Object.fromEntries(c.model.namedParameters().map(([n, p]) => [n, flat(p)]));
    const sd = (x: number[]) => Math.sqrt(x.reduce((u, y) => u + y * y, 0) / x.length);
    for (const n of ['blocks.0.fc1.weight', 'blocks.0.fc2.weight', 'blocks.0.attn.out.weight', 'timestep.weight', 'embedState.weight', 'mu.weight']) {
      expect(Math.abs(sd(P[n]) / 0.02 - 1), n).toBeLessThan(0.15);
    }
    for (const n of ['blocks.0.fc1.bias', 'embedState.bias', 'mu.bias', 'cost.bias']) expect(P[n].every((x) => x === 0), n).toBe(true);
    const bound = Math.sqrt(6 / (32 + 96));
    expect(Math.max(...P['blocks.0.attn.qkv.weight'].map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...P['blocks.0.attn.qkv.weight'].map(Math.abs))).toBeGreaterThan(0.9 * bound);
  });
  it('loadState restores the evaluation target return the run was trained with', () => {
    const c = new CDT({ ...cfg, targetReturn: 0 }, S, A, 'BallRun', toyDataset({ len: 3, costs: [0, 1] }), new Rng(3));
    expect(c.targetReturn).toBeGreaterThan(0);
    const st = c.stateTensors();
    const loaded = {
      tensors: Object.fromEntries(Object.entries(st).map(([n, t]) => [n, Float64Array.from(t.toFlatArray())])),
      shapes: Object.fromEntries(Object.entries(st).map(([n, t]) => [n, [...t.shape]])), step: 0, metadata: {},
    };
    const fresh = new CDT({ ...cfg, targetReturn: 0 }, S, A, 'BallRun', null, new Rng(4));
    expect(fresh.targetReturn).toBe(0);
    fresh.loadState(loaded);
    expect(fresh.targetReturn).toBeCloseTo(c.targetReturn, 12);
  });
});
