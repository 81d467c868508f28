/** Messages between the page (main.ts) and the training worker (worker.ts). */
import type { UpdateMetrics } from '../../rl/fisor/agent.js';
import type { Rollout } from './session.js';

export type BackendChoice = 'wasm' | 'wasm-fma' | 'gpujs' | 'js';

export type Request =
  | { type: 'backend'; backend: BackendChoice; threads: number }
  | { type: 'train'; task: string; seed: number; steps: number; datasetSeed: number }
  | { type: 'map'; v: number; theta: number; n: number }
  | { type: 'rollout'; x: number; y: number; v: number; theta: number }
  | { type: 'save' }
  | { type: 'load'; buffer: ArrayBuffer };

/** The losses the page plots, per step. */
export const CURVES = ['qhLoss', 'vhLoss', 'qrLoss', 'vrLoss', 'actorLoss'] as const;

export type Reply =
  | { type: 'backend'; name: string; detail: string }
  | { type: 'trained'; step: number; seconds: number; metrics: UpdateMetrics[]; backend: { name: string; detail: string } }
  | { type: 'map'; values: Float32Array; truth: Uint8Array; n: number }
  | { type: 'rollout'; rollout: Rollout }
  | { type: 'checkpoint'; buffer: ArrayBuffer }
  | { type: 'loaded'; task: string; step: number; seed: number };

/** Unsolicited progress while a 'train' request runs. */
export type Progress =
  | { type: 'collect'; done: number; total: number }
  | { type: 'steps'; step: number; total: number; metrics: UpdateMetrics[] };

export type FromWorker =
  | { id: number; ok: true; reply: Reply }
  | { id: number; ok: false; error: string }
  | { id: null; progress: Progress };
