/**
 * Choosing the gpu.js mode for the `gpujs` backend: which modes the synchronous Backend
 * interface can use, which work here, the error for one that does not, and the concrete mode an
 * instance ended up with. See docs/GPUJS.md.
 */
import gpujs from 'gpu.js';
import { currentBackend, type Backend } from '../../backend.js';

const { GPU } = gpujs;
export type GPUInstance = InstanceType<typeof GPU>;
/** gpu.js modes the synchronous Backend interface can use. */
export const SYNC_MODES = ['gpu', 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'] as const;
export type GpujsMode = (typeof SYNC_MODES)[number];

/** gpu.js modes that exist but whose kernels return Promises. */
const ASYNC_MODES = ['webgpu', 'async'];

/** Kernel classes gpu.js tries, best first, for a real GPU. */
function gpuModesSupported(): string[] {
  const out: string[] = [];
  if (GPU.isHeadlessGLSupported) out.push('headlessgl');
  if (GPU.isWebGL2Supported) out.push('webgl2');
  if (GPU.isWebGLSupported) out.push('webgl');
  return out;
}

/** The modes that would initialise here, for error messages. */
export function gpujsModesAvailable(): string[] {
  const gl = gpuModesSupported();
  const out: string[] = gl.length ? ['gpu', ...gl] : [];
  if (GPU.isWebAssemblySupported) out.push('webasm');
  out.push('cpu');
  return out;
}

function modeError(mode: string, why: string): Error {
  return new Error(
    `FISOR_GPUJS_MODE='${mode}': ${why}. Modes that work here: ${gpujsModesAvailable().map((m) => `'${m}'`).join(', ')}` +
    ` (all modes: ${SYNC_MODES.map((m) => `'${m}'`).join(', ')}); unset it to let gpu.js choose.`,
  );
}

/**
 * Makes the gpu.js instance for a requested mode (undefined / '' = gpu.js's own choice).
 * 'gpu' here means a real GPU: unlike gpu.js's own 'gpu' it does not settle for 'webasm'.
 */
export function createGpu(requested: string | undefined): GPUInstance {
  const mode = requested?.trim() || undefined;
  if (mode === undefined) return new GPU();
  if (ASYNC_MODES.includes(mode)) {
    throw modeError(mode, `gpu.js runs '${mode}' kernels asynchronously (they return Promises) and the backend interface is synchronous`);
  }
  if (!(SYNC_MODES as readonly string[]).includes(mode)) throw modeError(mode, 'not a gpu.js mode');
  let concrete = mode;
  if (mode === 'gpu') {
    const gl = gpuModesSupported();
    if (!gl.length) {
      throw modeError(mode, 'no GPU context could be created (no WebGL in this runtime, and the optional `gl` package for headless-gl is not built or has no display)');
    }
    concrete = gl[0];
  }
  try {
    return new GPU({ mode: concrete as 'cpu' });
  } catch (e) {
    throw modeError(mode, `gpu.js could not initialise it (${(e as Error).message})`);
  }
}

/** gpu.js's kernel classes by the mode names FISOR_GPUJS_MODE uses (all GL ones say 'gpu' themselves). */
const KERNEL_MODES: [unknown, string][] = [
  [gpujs.HeadlessGLKernel, 'headlessgl'],
  [gpujs.WebGL2Kernel, 'webgl2'],
  [gpujs.WebGLKernel, 'webgl'],
  [gpujs.WebAssemblyKernel, 'webasm'],
  [gpujs.CPUKernel, 'cpu'],
];

/**
 * The concrete kernel mode of a gpu.js instance: 'headlessgl', 'webgl2', 'webgl', 'webasm' or
 * 'cpu'. Read from the kernel class, since every GL kernel class reports its `mode` as 'gpu'.
 */
export function concreteMode(gpu: GPUInstance): string {
  const K = (gpu as unknown as { Kernel?: { mode?: string } }).Kernel;
  for (const [cls, name] of KERNEL_MODES) if (K === cls) return name;
  return K?.mode ?? String(gpu.mode);
}

/**
 * The gpu.js mode in use: that of the current backend when it is a gpujs one (`setBackend`,
 * FISOR_BACKEND), or else the one a new gpujs backend would get from $FISOR_GPUJS_MODE (throws,
 * like the backend, if that mode is invalid).
 */
export function gpujsMode(): string {
  const current = currentBackend() as (Backend & { mode?: unknown }) | null;
  if (current?.name === 'gpujs' && typeof current.mode === 'string') return current.mode;
  const gpu = createGpu(envMode());
  const m = concreteMode(gpu);
  void gpu.destroy();
  return m;
}

export function envMode(): string | undefined {
  return typeof process !== 'undefined' ? process.env?.FISOR_GPUJS_MODE : undefined;
}

