/**
 * Outside tidy, wasm tensors are freed only by dispose() or the garbage collector's finalizer,
 * which does not run inside a synchronous loop. A warning (once) names tidy when live wasm memory
 * passes a threshold and most of it is in tensors no scope owns.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keep, setBackend, setMemoryWarningBytes, tidy, wasmMemoryInUse, zeros } from '../../core/index.js';

afterEach(() => {
  vi.restoreAllMocks();
  setMemoryWarningBytes(256 * 1024 * 1024);
});

describe('unscoped wasm memory warning', () => {
  it('warns once, naming tidy, when a loop outside tidy piles up tensors', () => {
    setBackend('wasm');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    setMemoryWarningBytes(4 * 1024 * 1024);
    const x = zeros([256, 256]); // 256 KiB
    const held = [];
    for (let i = 0; i < 40; i++) held.push(x.add(i));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/no tidy\(\) scope owns.*tidy\(\(\) => \.\.\.\)/s);
    for (let i = 0; i < 40; i++) held.push(x.add(i));
    expect(warn).toHaveBeenCalledTimes(1);
    for (const t of held) t.dispose();
    x.dispose();
  });

  it('does not warn for the same work in tidy, nor for kept parameters', () => {
    setBackend('wasm');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    setMemoryWarningBytes(4 * 1024 * 1024);
    const params = Array.from({ length: 24 }, () => keep(zeros([256, 256])));
    expect(wasmMemoryInUse().liveBytes).toBeGreaterThan(4 * 1024 * 1024);
    for (let step = 0; step < 10; step++) {
      tidy(() => {
        for (let i = 0; i < 40; i++) params[0].add(i);
      });
    }
    expect(warn).not.toHaveBeenCalled();
    for (const p of params) p.dispose();
  });
});
