/**
 * Pieces the baselines share, each written once: MLP builders with PyTorch's default init, the VAE behaviour
 * model (BCQ-Lag, BEAR-Lag, CPQ), the squashed-Gaussian actor (BEAR-Lag, CPQ, COptiDICE), the Gaussian log-density, the
 * ensemble critic loss and OSRL's PID Lagrangian controller.
 */
import { concat, noGrad, Rng, tensor, tidy, type RngState, type Tensor } from '../../core/index.js';
import { EnsembleMLP, MLP, Module, mse, restoreState, stateOf, type Activation, type LoadedCheckpoint, type Optimizer } from '../../nn/index.js';

export type DType = 'float32' | 'float64';

/** OSRL's mlp(): Linear layers, `act` after each hidden layer, `out` after the last; PyTorch default init. */
export function mlp(inputSize: number, hidden: number[], outputSize: number, rng: Rng, dtype: DType, act: Activation = 'relu'): MLP {
  return new MLP({ inputSize, hiddenSizes: hidden, outputSize, activation: act, init: 'torch', rng, dtype });
}

/** n independent critics [s, a] -> hidden -> 1 evaluated in one batched product (OSRL EnsembleQCritic). */
export function ensembleCritic(members: number, inputSize: number, hidden: number[], rng: Rng, dtype: DType): EnsembleMLP {
  return new EnsembleMLP({ members, inputSize, hiddenSizes: hidden, outputSize: 1, activation: 'relu', init: 'torch', rng, dtype });
}

/** Q_i(s, a) of every member: [n, B]. */
export function criticValues(critic: EnsembleMLP, s: Tensor, a: Tensor | null): Tensor {
  const x = a ? concat([s, a], -1) : s;
  const q = critic.forward(x);
  return q.reshape([q.shape[0], q.shape[1]]);
}

/**
 * OSRL EnsembleDoubleQCritic.predict on q [2n, B] (two groups of n members): the minimum within group 1 (members
 * 0..n-1) and within group 2 (members n..2n-1), each [B].
 */
export function doubleQMinima(q: Tensor, n: number): [Tensor, Tensor] {
  const B = q.shape[1];
  return [q.slice([0, 0], [n, B]).min(0), q.slice([n, 0], [n, B]).min(0)];
}

/** BCQ's soft clipped double-Q mix of the two group minima (BCQ-Lag, BEAR-Lag): λ·min(m1, m2) + (1 - λ)·max(m1, m2). */
export function softClippedDoubleQ(m1: Tensor, m2: Tensor, lmbda: number): Tensor {
  return m1.minimum(m2).mul(lmbda).add(m1.maximum(m2).mul(1 - lmbda));
}

/** n copies of each row of x [B, d], each row's copies together (torch.repeat_interleave(x, n, 0)): [B·n, d]. */
export function repeatRows(x: Tensor, n: number): Tensor {
  const [B, d] = x.shape;
  return x.reshape([B, 1, d]).expand([B, n, d]).reshape([B * n, d]);
}

/** OSRL critic loss: Σ_i mean_b (Q_i(s_b, a_b) - y_b)²  (q: [n, B], y: [B]). */
export function ensembleMse(q: Tensor, y: Tensor): Tensor {
  const n = q.shape[0];
  return mse(q, y.reshape([1, -1]).expand(q.shape)).mul(n);
}

/** A [rows, cols] tensor of N(0, 1) draws from `rng` (reparameterisation noise). */
export function normal(rng: Rng, shape: number[], dtype: DType, clip?: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    d[i] = clip === undefined ? z : Math.max(-clip, Math.min(clip, z));
  }
  return tensor(d, { shape, dtype });
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Elementwise ln N(x; μ, σ) with σ = e^logStd: -½((x - μ)/σ)² - logStd - ½ ln 2π. */
export function gaussianLogProb(x: Tensor, mu: Tensor, logStd: Tensor): Tensor {
  const z = x.sub(mu).div(logStd.exp());
  return z.square().mul(-0.5).sub(logStd).sub(HALF_LOG_2PI);
}

/** Elementwise entropy of N(μ, σ): ½ + ½ ln 2π + logStd. */
export function gaussianEntropy(logStd: Tensor): Tensor {
  return logStd.add(0.5 + HALF_LOG_2PI);
}

/**
 * VAE behaviour model (OSRL net.py VAE): encoder [s, a] -> hidden (ReLU) -> μ, log σ (log σ clamped to
 * [-4, 15]); z = μ + σ ε; decoder [s, z] -> hidden (ReLU) -> tanh · maxAction. `decode(s)` without z draws
 * z ~ N(0, I) clipped to ±0.5.
 */
export class VAE extends Module {
  readonly encoder: MLP;
  readonly mean: MLP;
  readonly logStd: MLP;
  readonly decoder: MLP;

  constructor(readonly obsDim: number, readonly actDim: number, readonly latentDim: number, hidden: number[], readonly maxAction: number, rng: Rng, readonly dtype: DType) {
    super();
    const h = hidden[hidden.length - 1];
    this.encoder = this.registerModule('encoder', new MLP({ inputSize: obsDim + actDim, hiddenSizes: hidden.slice(0, -1), outputSize: h, activation: 'relu', activateFinal: true, init: 'torch', rng, dtype }));
    this.mean = this.registerModule('mean', mlp(h, [], latentDim, rng, dtype));
    this.logStd = this.registerModule('logStd', mlp(h, [], latentDim, rng, dtype));
    this.decoder = this.registerModule('decoder', mlp(obsDim + latentDim, hidden, actDim, rng, dtype));
  }

  /** Posterior parameters for (s, a). */
  encode(s: Tensor, a: Tensor): { mu: Tensor; logStd: Tensor } {
    const h = this.encoder.forward(concat([s, a], -1));
    return { mu: this.mean.forward(h), logStd: this.logStd.forward(h).clamp(-4, 15) };
  }

  decode(s: Tensor, rng: Rng, z?: Tensor): Tensor {
    return this.decodeRaw(s, rng, z).tanh().mul(this.maxAction);
  }

  /** The decoder's output before tanh (OSRL decode_multiple's second value: BEAR-Lag matches supports on it). */
  decodeRaw(s: Tensor, rng: Rng, z?: Tensor): Tensor {
    const zz = z ?? normal(rng, [s.shape[0], this.latentDim], this.dtype, 0.5);
    return this.decoder.forward(concat([s, zz], -1));
  }

  /** Reconstruction of a through a sampled latent, with the posterior's μ and log σ. */
  forward(s: Tensor, a: Tensor, rng: Rng): { recon: Tensor; mu: Tensor; logStd: Tensor } {
    const { mu, logStd } = this.encode(s, a);
    const z = mu.add(logStd.exp().mul(normal(rng, mu.shape as number[], this.dtype)));
    return { recon: this.decode(s, rng, z), mu, logStd };
  }
}

/** KL(q(z|s,a) ‖ N(0, I)) per latent dim: -½ (1 + ln σ² - μ² - σ²). */
export function vaeKl(mu: Tensor, logStd: Tensor): Tensor {
  return logStd.mul(2).add(1).sub(mu.square()).sub(logStd.mul(2).exp()).mul(-0.5);
}

/** OSRL VAE loss: MSE(recon, a) + β · mean over batch and latent dims of the KL. */
export function vaeLoss(recon: Tensor, a: Tensor, mu: Tensor, logStd: Tensor, beta: number): { loss: Tensor; recon: Tensor; kl: Tensor } {
  const r = mse(recon, a);
  const kl = vaeKl(mu, logStd).mean();
  return { loss: r.add(kl.mul(beta)), recon: r, kl };
}

/**
 * Squashed Gaussian actor (OSRL SquashedGaussianMLPActor): trunk obs -> hidden (ReLU after every layer),
 * linear heads μ and log σ (clamped to [-20, 2]); u = μ + σ ε; action tanh(u) · maxAction.
 */
export class SquashedGaussianActor extends Module {
  readonly trunk: MLP;
  readonly muHead: MLP;
  readonly logStdHead: MLP;

  constructor(obsDim: number, readonly actDim: number, hidden: number[], readonly maxAction: number, rng: Rng, readonly dtype: DType) {
    super();
    const h = hidden[hidden.length - 1];
    this.trunk = this.registerModule('trunk', new MLP({ inputSize: obsDim, hiddenSizes: hidden.slice(0, -1), outputSize: h, activation: 'relu', activateFinal: true, init: 'torch', rng, dtype }));
    this.muHead = this.registerModule('mu', mlp(h, [], actDim, rng, dtype));
    this.logStdHead = this.registerModule('logStd', mlp(h, [], actDim, rng, dtype));
  }

  /** μ and log σ of the pre-tanh Gaussian. */
  dist(s: Tensor): { mu: Tensor; logStd: Tensor } {
    const h = this.trunk.forward(s);
    return { mu: this.muHead.forward(h), logStd: this.logStdHead.forward(h).clamp(-20, 2) };
  }

  /** Reparameterised pre-tanh sample u and action tanh(u) · maxAction. */
  sample(s: Tensor, rng: Rng): { u: Tensor; action: Tensor; mu: Tensor; logStd: Tensor } {
    const { mu, logStd } = this.dist(s);
    const u = mu.add(logStd.exp().mul(normal(rng, mu.shape as number[], this.dtype)));
    return { u, action: u.tanh().mul(this.maxAction), mu, logStd };
  }
}

/**
 * OSRL's LagrangianPIDController (net.py): per call with the batch's mean cost estimate q̄,
 *   e = q̄ - setpoint;  D = max(0, e - e_prev);  I ← max(0, I + e);  e_prev ← e;
 *   λ = max(0, KP·max(0, e) + KI·I + KD·D).
 * The state (e_prev, I, λ) lives in a float64 tensor so that it travels with checkpoints.
 */
export class PidLagrangian {
  /** [e_prev, I, λ]. */
  readonly state: Tensor;

  constructor(readonly kp: number, readonly ki: number, readonly kd: number, readonly setpoint: number) {
    for (const [k, v] of [['KP', kp], ['KI', ki], ['KD', kd]] as const) if (!(v >= 0)) throw new Error(`PidLagrangian: ${k} must be >= 0, got ${v}`);
    this.state = tensor([0, 0, 0], { dtype: 'float64' }).keep();
  }

  get lambda(): number {
    return this.state.buffer.view()[2];
  }

  /** Feeds the current mean cost estimate; returns the new λ. */
  control(meanCost: number): number {
    const st = this.state.buffer.view();
    const e = meanCost - this.setpoint;
    const d = Math.max(0, e - st[0]);
    st[1] = Math.max(0, st[1] + e);
    st[0] = e;
    st[2] = Math.max(0, this.kp * Math.max(0, e) + this.ki * st[1] + this.kd * d);
    return st[2];
  }
}

/** Runs `fn` for a batch of observations under noGrad and tidy, returning a fresh Float32Array. */
/** One optimisation step on `loss` (zero the gradients, backward, step); returns the loss value for the metrics. */
export function optimizerStep(opt: Optimizer, loss: Tensor): number {
  opt.zeroGrad();
  loss.backward();
  opt.step();
  return loss.item();
}

export function inference(fn: () => Tensor): Float32Array {
  return tidy(() => noGrad(() => Float32Array.from(fn().dataSync())));
}

/** An Rng's state by name, for rngStates()/setRngStates(). */
export function setRngs(rngs: Record<string, Rng>, states: Record<string, RngState>, who: string): void {
  for (const k of Object.keys(rngs)) if (!states[k]) throw new Error(`${who}.setRngStates: missing Rng state '${k}'`);
  for (const [k, r] of Object.entries(rngs)) r.setState(states[k]);
}

export function getRngs(rngs: Record<string, Rng>): Record<string, RngState> {
  return Object.fromEntries(Object.entries(rngs).map(([k, r]) => [k, r.getState()]));
}

/**
 * The named training state of an algorithm: modules and optimizers (saved under 'prefix.name' as nn's
 * stateOf does) plus loose tensors (Lagrange multipliers, controller state). `load` checks every name and
 * shape before writing anything.
 */
export class StateBag {
  constructor(private readonly parts: [string, Module | Optimizer][], private readonly extras: [string, Tensor][] = []) {}

  tensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [p, m] of this.parts) Object.assign(out, stateOf(p, m));
    for (const [n, t] of this.extras) out[n] = t;
    return out;
  }

  load(loaded: LoadedCheckpoint): void {
    const errors: string[] = [];
    for (const [n, t] of this.extras) {
      const d = loaded.tensors[n];
      if (!d) errors.push(`checkpoint has no tensor '${n}'`);
      else if (d.length !== t.size) errors.push(`'${n}' has ${d.length} values in the checkpoint, expected ${t.size}`);
    }
    if (errors.length) throw new Error(errors.join('\n'));
    restoreState(loaded, Object.fromEntries(this.parts));
    for (const [n, t] of this.extras) t.backend.write(t.buffer, loaded.tensors[n]);
  }
}
