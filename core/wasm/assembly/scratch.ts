import { KF_DATA, KI_DATA } from './codes';

// ---------------------------------------------------------------------------------------------
// Static scratch
// ---------------------------------------------------------------------------------------------

/** i32 metadata for strided kernels: [0,8) shape, [8,16) / [16,24) / [24,32) strides, [32,40) counters. */
export const META: usize = memory.data(256, 16);
/** Temporaries for vector tails and GEMM edge tiles. */
export const TMP: usize = memory.data(256, 16);

export const MAXD: i32 = 8;

/**
 * This instance's temporary area (TMP by default). Each thread sharing the memory runs its own
 * instance (globals are per instance) and points this at its own 64-byte block (setTmp), so that
 * kernels run on the worker never write the main thread's temporaries. META stays main-thread only.
 */
export let tmpp: usize = TMP;

export function setTmp(p: usize): void {
  tmpp = p;
}

/**
 * This instance's metadata area for the strided kernels (META by default). Why the main thread of a
 * shared memory points both this and tmpp at blocks of its own (setMeta, setTmp): the kernels-mt
 * module's static regions are active data segments, which every instantiation writes again. The
 * worker's instantiation, which a browser runs asynchronously while the main thread is already
 * computing, would otherwise zero META and TMP under a kernel that is reading them.
 */
export let metap: usize = META;

export function setMeta(p: usize): void {
  metap = p;
}

export function metaPtr(): usize {
  return metap;
}

export function heapBase(): usize {
  return __heap_base;
}

/**
 * Loop constants, pre-splatted, read with plain vector loads (kf / ki). V8 neither hoists
 * v128.const out of loops nor keeps it in a register: it rebuilds each one per iteration with
 * two shuffle-port instructions, which made exp 5x slower than with these loads.
 */
@inline export function kf(i: i32): v128 {
  return v128.load(KF_DATA + (<usize>i << 4));
}
@inline export function ki(i: i32): v128 {
  return v128.load(KI_DATA + (<usize>i << 4));
}

@inline export function metaI(slot: i32, d: i32): i32 {
  return load<i32>(metap + (<usize>(slot * MAXD + d) << 2));
}
@inline export function metaSet(slot: i32, d: i32, v: i32): void {
  store<i32>(metap + (<usize>(slot * MAXD + d) << 2), v);
}
