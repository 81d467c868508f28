/** Diffusion models (independent of RL): VP schedule, denoiser network, weighted DDPM loss and sampler. */
export { vpSchedule, type DiffusionSchedule } from './schedule.js';
export { Denoiser, FourierFeatures, type DenoiserOptions } from './denoiser.js';
export { diffusionLoss, ddpmSample, type NoisePredictor, type DiffusionLossResult, type SampleOptions } from './ddpm.js';
