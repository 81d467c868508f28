/**
 * DDPM training loss and ancestral sampler (Ho et al. 2020) as used by FISOR / IDQL.
 *
 * Training: t ~ U{0..T-1}, eps ~ N(0, I), x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, and the loss
 *   mean_i( w_i * sum_d (eps_theta(x_t, t, c)_id - eps_id)^2 )
 * with per-sample weights w (1 for plain behaviour cloning). The weights come from outside: this module
 * does not know what they mean.
 *
 * Sampling (ancestral, temperature tau): x_{T} ~ N(0, I); for t = T-1 .. 0:
 *   x <- (1 / sqrt(alpha_t)) (x - (1 - alpha_t) / sqrt(1 - abar_t) eps_theta(x, t, c)) + [t > 0] sqrt(beta_t) tau z
 *   x <- clip(x, -1, 1)   (when `clip`, after every step)
 */
import { noGrad, tensor, type DType, type Rng, type Tensor } from '../core/index.js';
import type { DiffusionSchedule } from './schedule.js';

/** The part of a denoiser the sampler and loss need. */
export interface NoisePredictor {
  forward(xt: Tensor, t: Tensor, cond: Tensor | null): Tensor;
}

function normals(n: number, rng: Rng): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

export interface DiffusionLossResult {
  /** Scalar loss (in the graph). */
  loss: Tensor;
  /** Per-sample squared error sum_d (eps_pred - eps)^2, [B] (in the graph). */
  perSample: Tensor;
}

/**
 * Weighted noise-prediction loss. `x0` [B, D] clean samples, `cond` [B, C] or null, `weights` [B] tensor
 * (no gradient expected) or null for unweighted. Draws t and eps from `rng` (B ints, then B*D normals).
 */
export function diffusionLoss(
  model: NoisePredictor,
  schedule: DiffusionSchedule,
  x0: Tensor,
  cond: Tensor | null,
  weights: Tensor | null,
  rng: Rng,
): DiffusionLossResult {
  const [B, D] = x0.shape;
  // A [B, 1] weight tensor broadcast against the [B] per-sample errors to [B, B] and gave a silently wrong loss.
  if (weights && !(weights.shape.length === 1 && weights.shape[0] === B)) throw new Error(`diffusionLoss: weights must have shape [${B}] (one per sample of x0 [${B}, ${D}]), got [${weights.shape.join(', ')}]`);
  const dtype = x0.dtype;
  const tIdx = new Float64Array(B);
  const c1 = new Float64Array(B);
  const c2 = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    const k = rng.int(schedule.T);
    tIdx[i] = k;
    c1[i] = Math.sqrt(schedule.alphaBars[k]);
    c2[i] = Math.sqrt(1 - schedule.alphaBars[k]);
  }
  const eps = tensor(normals(B * D, rng), { shape: [B, D], dtype });
  const t = tensor(tIdx, { shape: [B, 1], dtype });
  const xt = x0.mul(tensor(c1, { shape: [B, 1], dtype })).add(eps.mul(tensor(c2, { shape: [B, 1], dtype })));
  const pred = model.forward(xt, t, cond);
  const perSample = pred.sub(eps).square().sum(-1); // [B]
  const loss = weights ? perSample.mul(weights).mean() : perSample.mean();
  return { loss, perSample };
}

export interface SampleOptions {
  /** Noise scale of the added z (FISOR 1). */
  temperature?: number;
  /** Clip to [-1, 1] after every step (FISOR true). */
  clip?: boolean;
  dtype?: DType;
}

/**
 * Ancestral DDPM sampling of B samples of size `dataSize`, one per row of `cond` [B, C] (or `batch`
 * rows when unconditional). Runs without gradients. Draws B*D normals for x_T, then B*D per step with t > 0.
 */
export function ddpmSample(
  model: NoisePredictor,
  schedule: DiffusionSchedule,
  cond: Tensor | null,
  dataSize: number,
  rng: Rng,
  opts: SampleOptions & { batch?: number } = {},
): Tensor {
  const B = cond ? cond.shape[0] : opts.batch;
  if (!B || B < 1) throw new Error('ddpmSample: need a conditioning batch or opts.batch >= 1');
  const dtype = opts.dtype ?? cond?.dtype ?? 'float32';
  if (cond && opts.batch !== undefined && opts.batch !== B) throw new Error(`ddpmSample: opts.batch ${opts.batch} differs from the conditioning batch's ${B} rows (give one of them)`);
  const temperature = opts.temperature ?? 1;
  if (!(Number.isFinite(temperature) && temperature >= 0)) throw new Error(`ddpmSample: temperature must be a finite number >= 0, got ${temperature}`);
  const clip = opts.clip ?? true;
  const n = B * dataSize;
  return noGrad(() => {
    let x = tensor(normals(n, rng), { shape: [B, dataSize], dtype });
    for (let k = schedule.T - 1; k >= 0; k--) {
      const t = tensor(new Float64Array(B).fill(k), { shape: [B, 1], dtype });
      const eps = model.forward(x, t, cond);
      const a1 = 1 / Math.sqrt(schedule.alphas[k]);
      const a2 = (1 - schedule.alphas[k]) / Math.sqrt(1 - schedule.alphaBars[k]);
      let next = x.sub(eps.mul(a2)).mul(a1);
      if (k > 0) next = next.add(tensor(normals(n, rng), { shape: [B, dataSize], dtype }).mul(Math.sqrt(schedule.betas[k]) * temperature));
      if (clip) next = next.clamp(-1, 1);
      x.dispose();
      x = next;
    }
    return x;
  });
}
