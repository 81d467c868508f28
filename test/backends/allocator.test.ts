/**
 * The wasm backend's block allocator (core/backends/wasm/allocator.ts): on its own, with a fake
 * memory, and under the wasm backend in a tidy loop over many batch sizes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blockBytes, BlockAllocator } from '../../core/backends/wasm/allocator.js';
import { setBackend, tidy, zeros } from '../../core/index.js';
import { WasmBackend } from '../../core/backends/wasm/index.js';
import { registerBackend } from '../../core/backend.js';

function allocator(base = 100): { a: BlockAllocator; grown: () => number } {
  let memory = 0;
  const a = new BlockAllocator(base, (needTop) => {
    memory = Math.max(memory, needTop);
  });
  return { a, grown: () => memory };
}

describe('BlockAllocator', () => {
  it('rounds the base up to 64 bytes and blocks to 16', () => {
    const { a } = allocator(100);
    expect(a.take(16)).toBe(128);
    expect(blockBytes(0)).toBe(16);
    expect(blockBytes(5)).toBe(32);
  });

  it('coalesces neighbours and gives the arena end back', () => {
    const { a } = allocator(0);
    const p = [a.take(64), a.take(64), a.take(64), a.take(64)];
    a.put(p[1], 64);
    a.put(p[2], 64); // merges with p[1]
    expect(a.stats(0).pooledBlocks).toBe(1);
    expect(a.stats(0).pooledBytes).toBe(128);
    a.put(p[3], 64); // merges with [p1, p2] and reaches the end: all back to the bump region
    expect(a.stats(0).pooledBlocks).toBe(0);
    expect(a.stats(0).arenaBytes).toBe(p[1]);
    a.put(p[0], 64);
    expect(a.stats(0)).toMatchObject({ arenaBytes: 0, liveBytes: 0, pooledBytes: 0, pooledBlocks: 0 });
  });

  it('a freed block is taken back by the next request of its size; another size coalesces first', () => {
    const a = new BlockAllocator(0, () => {});
    const p = [a.take(64), a.take(64), a.take(32), a.take(16)];
    a.put(p[1], 64);
    a.put(p[0], 64);
    expect(a.take(64)).toBe(p[0]); // last freed, first taken: no coalescing on the way
    expect(a.take(64)).toBe(p[1]);
    a.put(p[0], 64);
    a.put(p[1], 64);
    // 128 bytes: no block of that size is cached, so both 64s coalesce into one free block and serve it.
    expect(a.take(128)).toBe(p[0]);
    a.put(p[0], 128);
    expect(a.stats(0)).toMatchObject({ pooledBlocks: 1, pooledBytes: 128, liveBytes: 48 });
  });

  it('splits a larger free block for a smaller request', () => {
    const { a } = allocator(0);
    const big = a.take(1024);
    const guard = a.take(16);
    a.put(big, 1024);
    const small = a.take(96);
    expect(small).toBe(big);
    expect(a.stats(0)).toMatchObject({ pooledBlocks: 1, pooledBytes: 1024 - 96, arenaBytes: 1024 + 16 });
    a.put(small, 96);
    a.put(guard, 16);
    expect(a.stats(0).arenaBytes).toBe(0);
  });

  it('random alloc / free: live blocks never overlap, stay aligned, and freeing all empties the arena', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.record({ kind: fc.constant('take' as const), units: fc.integer({ min: 1, max: 300 }) }),
        fc.record({ kind: fc.constant('put' as const), pick: fc.nat() }),
      ), { minLength: 1, maxLength: 200 }),
      (cmds) => {
        const { a, grown } = allocator(64);
        const live: [number, number][] = [];
        for (const c of cmds) {
          if (c.kind === 'take') {
            const bytes = c.units * 16;
            const p = a.take(bytes);
            expect(p % 16).toBe(0);
            expect(p + bytes).toBeLessThanOrEqual(grown());
            for (const [q, n] of live) expect(p + bytes <= q || q + n <= p).toBe(true);
            live.push([p, bytes]);
          } else if (live.length) {
            const [p, n] = live.splice(c.pick % live.length, 1)[0];
            a.put(p, n);
          }
          const s = a.stats(0);
          expect(s.liveBytes).toBe(live.reduce((t, [, n]) => t + n, 0));
          expect(s.liveBytes + s.pooledBytes).toBe(s.arenaBytes - 64);
        }
        for (const [p, n] of live) a.put(p, n);
        expect(a.stats(0)).toMatchObject({ arenaBytes: 64, liveBytes: 0, pooledBytes: 0, pooledBlocks: 0 });
      },
    ), { numRuns: 200 });
  });
});

describe('wasm memory in a tidy loop over many batch sizes', () => {
  it('stays bounded: [b, 256] for b = 1..2048 (every 13th) reuses the same memory', () => {
    const be = new WasmBackend({ threads: 1 });
    registerBackend('wasm-alloc-test', () => be);
    setBackend('wasm-alloc-test');
    const w = zeros([256, 256]).keep();
    let peakLive = 0;
    for (let b = 1; b <= 2048; b += 13) {
      tidy(() => {
        const x = zeros([b, 256]);
        const y = x.matmul(w).relu().add(1);
        y.sum();
        peakLive = Math.max(peakLive, be.memoryStats().liveBytes);
      });
    }
    const s = be.memoryStats();
    // Only w (and the GEMM scratch) is alive at the end; the arena holds little more than the
    // largest step's working set (with exact-size free lists it held a block per size: ~2 GB).
    expect(s.liveBytes).toBeLessThan(3 * 256 * 256 * 4);
    expect(s.arenaBytes).toBeLessThan(3 * peakLive);
    expect(s.memoryBytes).toBeLessThan(64 * 1024 * 1024);
  });
});
