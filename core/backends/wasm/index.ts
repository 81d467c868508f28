/** The `wasm` backend (see backend.ts) and what its users need from its parts. */
export { WasmBackend, THREAD_MIN_MACS, THREAD_MIN_ELEMENTS, type WasmBackendOptions, type WasmMemoryStats } from './backend.js';
export { relaxedSimdAvailable, wasmSimdAvailable } from './module.js';
export { defaultWasmThreads } from './threads.js';
