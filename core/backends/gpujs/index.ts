/** The `gpujs` backend (backend.ts), its mode selection (modes.ts) and kernel-source generation (codegen.ts). */
export { GpujsBackend, type GpujsBackendOptions, type GpujsStats } from './backend.js';
export { SYNC_MODES, gpujsMode, gpujsModesAvailable, type GpujsMode } from './modes.js';
export { coalesce } from './codegen.js';
