/**
 * The noise-prediction network eps_theta(x_t, t, c) of FISOR's diffusion actor (IDQL's DDPM):
 *
 *   time  = FourierFeatures(t)               learnable W ~ N(0, 0.2^2), [cos 2 pi t W, sin 2 pi t W]
 *   tcond = MLP(64 -> 128 -> 128, Mish)      no final activation
 *   eps   = MLPResNet(concat[x_t, c, tcond]) Dense(h) -> blocks x [Dropout, LayerNorm, Dense(4h), Mish, Dense(h)] + res -> Mish -> Dense(act)
 *
 * `c` is any conditioning vector (the RL agent passes the observation). Time `t` is the raw integer step,
 * as a [B, 1] tensor. Nothing here knows about rewards, costs or critics.
 */
import { Rng, type DType, type Tensor, concat, matmulT, randn } from '../core/index.js';
import { MLP, MLPResNet, Module } from '../nn/index.js';

/** Learnable Fourier features of a scalar input: kernel [outputSize/2, 1], output [B, outputSize]. */
export class FourierFeatures extends Module {
  readonly kernel: Tensor;

  constructor(opts: { outputSize: number; std?: number; rng: Rng; dtype?: DType }) {
    super();
    if (!(opts.outputSize > 0 && opts.outputSize % 2 === 0)) {
      throw new Error(`FourierFeatures: outputSize must be a positive even number, got ${opts.outputSize}`);
    }
    const k = randn([opts.outputSize / 2, 1], { std: opts.std ?? 0.2, rng: opts.rng, dtype: opts.dtype });
    k.requiresGrad = true;
    this.kernel = this.registerParameter('kernel', k.keep());
  }

  forward(t: Tensor): Tensor {
    const f = matmulT(t, this.kernel, false, true).mul(2 * Math.PI); // [B, out/2]
    return concat([f.cos(), f.sin()], -1);
  }
}

export interface DenoiserOptions {
  /** Size of the noisy sample x_t (the action size). */
  dataSize: number;
  /** Size of the conditioning vector (the observation size); 0 for an unconditional model. */
  condSize: number;
  /** MLPResNet width (FISOR 256) and number of residual blocks (FISOR 3). */
  hidden?: number;
  blocks?: number;
  dropout?: number;
  /** Fourier feature size (FISOR 64 = 32 frequencies) and time-MLP width (FISOR 128). */
  timeFeatures?: number;
  timeHidden?: number;
  rng: Rng;
  dtype?: DType;
}

export class Denoiser extends Module {
  readonly timeFeatures: FourierFeatures;
  readonly timeMlp: MLP;
  readonly body: MLPResNet;
  readonly dataSize: number;
  readonly condSize: number;

  constructor(opts: DenoiserOptions) {
    super();
    const tf = opts.timeFeatures ?? 64;
    const th = opts.timeHidden ?? 128;
    this.dataSize = opts.dataSize;
    this.condSize = opts.condSize;
    this.timeFeatures = this.registerModule('time', new FourierFeatures({ outputSize: tf, rng: opts.rng, dtype: opts.dtype }));
    this.timeMlp = this.registerModule('timeMlp', new MLP({
      inputSize: tf, hiddenSizes: [th], outputSize: th, activation: 'mish', activateFinal: false, init: 'xavier', rng: opts.rng, dtype: opts.dtype,
    }));
    this.body = this.registerModule('body', new MLPResNet({
      inputSize: opts.dataSize + opts.condSize + th,
      hidden: opts.hidden ?? 256,
      blocks: opts.blocks ?? 3,
      outputSize: opts.dataSize,
      dropout: opts.dropout ?? 0.1,
      rng: opts.rng,
      dtype: opts.dtype,
    }));
  }

  /** x_t [B, dataSize], t [B, 1] (integer steps as numbers), cond [B, condSize] -> predicted noise [B, dataSize]. */
  forward(xt: Tensor, t: Tensor, cond: Tensor | null): Tensor {
    const tcond = this.timeMlp.forward(this.timeFeatures.forward(t));
    const parts = cond && this.condSize > 0 ? [xt, cond, tcond] : [xt, tcond];
    return this.body.forward(concat(parts, -1));
  }
}
