/**
 * What is particular to the wasm backend: SIMD detection, the pool allocator's invariants, the
 * fallback for other backends' buffers, row-index checks. Kernel parity with the js reference
 * runs for every backend in parity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JsBackend, jsKernels } from '../../core/backends/js.js';
import { WasmBackend, wasmSimdAvailable } from '../../core/backends/wasm/index.js';
import { data, put, release } from './helpers.js';
import type { DataBuffer } from '../../core/backend.js';

const w = new WasmBackend();
const j = new JsBackend();

const SIZES = [1, 3, 7, 17, 255, 257];

function pair(xs: ArrayLike<number>): [DataBuffer, DataBuffer] {
  return [put(w, xs), put(j, xs)];
}

describe('wasm backend basics', () => {
  it('detects SIMD and reports float32 only', () => {
    expect(wasmSimdAvailable()).toBe(true);
    expect(w.supports('float32')).toBe(true);
    expect(w.supports('float64')).toBe(false);
    expect(() => w.alloc(4, 'float64')).toThrow();
  });

  it('refuses option values that would silently mean something else (threads NaN or 0 ran one thread, a NaN watchdog never fired)', () => {
    for (const threads of [NaN, 0, -1, 1.5]) expect(() => new WasmBackend({ threads })).toThrow(/option threads must be a positive integer/);
    expect(() => new WasmBackend({ threads: 1, threadMinMacs: NaN })).toThrow(/option threadMinMacs must be a number >= 0 \(Infinity: never\), got NaN/);
    expect(new WasmBackend({ threads: 1, threadMinMacs: Infinity, watchdogMs: Infinity }).threads).toBe(1); // "never split", "no watchdog"
    expect(() => new WasmBackend({ threads: 1, threadMinElements: -1 })).toThrow(/threadMinElements/);
    expect(() => new WasmBackend({ threads: 1, watchdogMs: 0 })).toThrow(/option watchdogMs must be a number > 0/);
    expect(new WasmBackend({ threads: 1 }).threads).toBe(1);
  });

  it('write / fill / view', () => {
    for (const n of [0, ...SIZES]) {
      const b = w.alloc(n, 'float32');
      const xs = data(n);
      w.write(b, xs);
      expect(Array.from(b.view())).toEqual(Array.from(xs));
      w.fill(b, 2.5);
      expect(b.view().every((v) => v === 2.5)).toBe(true);
      if (n > 2) {
        w.write(b, [7, 8], 1);
        expect(b.view()[1]).toBe(7);
        expect(b.view()[2]).toBe(8);
      }
      w.free(b);
    }
  });
});

describe('row indices', () => {
  it('gatherRows rejects an out-of-range index', () => {
    const x = put(w, data(12));
    const out = w.alloc(4, 'float32');
    expect(() => w.gatherRows(x, Int32Array.from([3]), out, 4)).toThrow(RangeError);
    expect(() => w.gatherRows(x, Int32Array.from([-1]), out, 4)).toThrow(RangeError);
    release(x, out);
  });
});

describe('memory pool', () => {
  it('views stay right while memory grows under live buffers', () => {
    const b = new WasmBackend();
    const xs = data(1000);
    const live = put(b, xs);
    const before = b.memoryStats().memoryBytes;
    const oldView = live.view();
    const big = b.alloc(16 * 1024 * 1024, 'float32'); // 64 MiB: forces growth
    expect(b.memoryStats().memoryBytes).toBeGreaterThan(before);
    // A non-shared memory detaches its old ArrayBuffer; a shared one (2 threads) keeps the old
    // SharedArrayBuffer at its old length, still aliasing the same memory.
    if (b.threads === 1) expect(oldView.length).toBe(0);
    else expect(Array.from(oldView)).toEqual(Array.from(xs));
    expect(live.view() === oldView).toBe(false);
    expect(Array.from(live.view())).toEqual(Array.from(xs));
    // Kernels still see the right data after growth.
    const out = b.alloc(1000, 'float32');
    b.unary('neg', live, out);
    expect(Array.from(out.view())).toEqual(Array.from(xs, (v) => -v));
    b.fill(big, 1);
    expect(big.view()[16 * 1024 * 1024 - 1]).toBe(1);
    b.free(big);
    b.free(live);
    b.free(out);
  });

  it('free then alloc of the same size reuses the block; steady state does not grow the arena', () => {
    const b = new WasmBackend({ threads: 1 });
    const a1 = b.alloc(100, 'float32');
    const arena = b.memoryStats().arenaBytes;
    b.free(a1);
    const a2 = b.alloc(100, 'float32');
    expect(b.memoryStats().arenaBytes).toBe(arena);
    expect(b.memoryStats().pooledBlocks).toBe(0);
    b.free(a2);
    // A "training step" pattern.
    for (let step = 0; step < 3; step++) {
      const bufs = [17, 256, 256 * 17, 65536, 1].map((n) => b.alloc(n, 'float32'));
      for (const x of bufs) b.free(x);
      if (step === 0) continue;
    }
    const after = b.memoryStats().arenaBytes;
    for (let step = 0; step < 5; step++) {
      const bufs = [17, 256, 256 * 17, 65536, 1].map((n) => b.alloc(n, 'float32'));
      for (const x of bufs) b.free(x);
    }
    expect(b.memoryStats().arenaBytes).toBe(after);
  });

  it('double free and use after free are rejected', () => {
    const b = new WasmBackend({ threads: 1 });
    const x = b.alloc(8, 'float32');
    b.free(x);
    expect(() => b.free(x)).toThrow(/double free/);
    expect(() => x.view()).toThrow(/after free/);
    const y = b.alloc(8, 'float32');
    expect(() => b.unary('neg', x, y)).toThrow(/after free/);
    expect(() => b.free(j.alloc(8, 'float32'))).toThrow();
  });

  it('live blocks never overlap and are 16-byte aligned (random alloc / free sequences)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('alloc' as const), n: fc.constantFrom(0, 1, 3, 4, 5, 7, 16, 17, 255, 257, 4096) }),
            fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
          ),
          { minLength: 1, maxLength: 80 },
        ),
        (cmds) => {
          const b = new WasmBackend({ threads: 1 });
          const live: { buf: DataBuffer; id: number }[] = [];
          let nextId = 1;
          for (const c of cmds) {
            if (c.kind === 'alloc') {
              const buf = b.alloc(c.n, 'float32');
              const id = nextId++;
              b.fill(buf, id);
              live.push({ buf, id });
            } else if (live.length > 0) {
              const [x] = live.splice(c.pick % live.length, 1);
              b.free(x.buf);
            }
            for (const { buf, id } of live) {
              const v = buf.view();
              expect(v.byteOffset % 16).toBe(0);
              for (let i = 0; i < v.length; i++) if (v[i] !== id) expect.fail(`block ${id} was overwritten`);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('buffers of another backend fall back to the reference kernels', () => {
    const [wa, ja] = pair([1, 2, 3, 4]);
    const wo = w.alloc(4, 'float32');
    w.binary('add', wa, ja, wo, [4], [1], [1]);
    expect(Array.from(wo.view())).toEqual([2, 4, 6, 8]);
  });
});

describe('memory limits', () => {
  it('a product that runs out of memory leaves no scratch pointing at a freed block (a later tensor is not overwritten)', () => {
    const b = new WasmBackend({ threads: 1 });
    const a = b.alloc(4, 'float32');
    const x = b.alloc(32, 'float32');
    const c = b.alloc(8, 'float32');
    b.fill(a, 1);
    b.fill(x, 2);
    b.matmul(a, x, c, 1, 1, 8, 4, false, false, 0, 0); // the GEMM's pack scratch: 6464 bytes
    // Fill the 4 GiB memory (reserved, never touched) so that a larger pack scratch cannot be taken.
    b.alloc(Math.floor(3.6 * 2 ** 28), 'float32');
    const n = 2 ** 18;
    const k = 256;
    const bigB = b.alloc(n * k, 'float32');
    expect(() => b.matmul(b.alloc(k, 'float32'), bigB, b.alloc(n, 'float32'), 1, 1, n, k, false, false, 0, 0))
      .toThrow(/cannot grow memory/);
    // A tensor of the old scratch's size, then a small product: the tensor keeps its numbers.
    const t = b.alloc(6464 / 4, 'float32');
    b.fill(t, 7);
    b.matmul(a, x, c, 1, 1, 8, 4, false, false, 0, 0);
    expect(Array.from(c.view())).toEqual(new Array(8).fill(8));
    expect(t.view().every((v) => v === 7)).toBe(true);
  });

  it('a request of 4 GiB or more is refused, not served with a small free block', () => {
    const b = new WasmBackend({ threads: 1 });
    const a = b.alloc(64, 'float32');
    const keep = put(b, [1, 2, 3, 4, 5, 6, 7, 8]);
    b.free(a);
    b.alloc(1, 'float32'); // a different size: a's block goes to the free structures
    const before = b.memoryStats();
    expect(() => b.alloc(2 ** 30 + 4, 'float32')).toThrow(/cannot grow memory/);
    expect(b.memoryStats()).toEqual(before);
    expect(Array.from(keep.view())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('row indices and the dropout generator state work past 2 GiB of memory', () => {
    const b = new WasmBackend({ threads: 1 });
    b.alloc(2 ** 29 + 1000, 'float32'); // 2 GiB, reserved, never touched: later blocks lie above 2^31
    const x = put(b, [1, 2, 3, 4, 5, 6, 7, 8]);
    expect((x as unknown as { ptr: number }).ptr).toBeGreaterThan(2 ** 31);
    const out = b.alloc(4, 'float32');
    b.gatherRows(x, Int32Array.from([3, 1]), out, 2);
    expect(Array.from(out.view())).toEqual([7, 8, 3, 4]);
    b.scatterAddRows(put(b, [1, 1, 1, 1]), Int32Array.from([0, 0]), x, 2);
    expect(Array.from(x.view())).toEqual([3, 4, 3, 4, 5, 6, 7, 8]);
    const mask = b.alloc(64, 'float32');
    const state = Uint32Array.from([1, 2, 3, 4]);
    b.bernoulliMask(mask, state, 1 << 23, 2);
    const ref = j.alloc(64, 'float32');
    const refState = Uint32Array.from([1, 2, 3, 4]);
    jsKernels.bernoulliMask(ref, refState, 1 << 23, 2);
    expect(Array.from(mask.view())).toEqual(Array.from(ref.view()));
    expect(Array.from(state)).toEqual(Array.from(refState));
  });
});
