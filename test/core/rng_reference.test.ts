/**
 * The seeded generator and the random factories against a second implementation written differently:
 * xoshiro128** and splitmix32 in BigInt arithmetic (no Math.imul, no >>> 0), the float draws from the
 * textbook constructions (24 high bits / 2^24; MT's genrand_res53: 27 high bits of one word and 26 of the
 * next over 2^53; Box-Muller returning r cos θ, then r sin θ), and rejection sampling for int(n).
 * determinism.test.ts pins the integer stream; this file pins everything built on it, draw for draw.
 * Found by a mutation audit: the float conversions, Box-Muller, the rejection bound, uniformRange, fork,
 * the seed fold's XOR and the factories' affine maps were not pinned.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, arange, full, manualSeed, ones, rand, randint, randn, zeros } from '../../core/index.js';

const M32 = 0xffffffffn;
const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M32;

/** xoshiro128** seeded by splitmix32, in BigInt. */
class RefRng {
  s: bigint[];
  constructor(seed: number | bigint) {
    const b = BigInt(seed);
    let x = (b & M32) ^ ((b / 4294967296n) & M32); // low word XOR the (truncated) high word, two's complement
    const next = (): bigint => {
      x = (x + 0x9e3779b9n) & M32;
      let z = x;
      z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M32;
      z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M32;
      return z ^ (z >> 16n);
    };
    this.s = [next(), next(), next(), next()];
  }
  u32(): bigint {
    const [s0, s1, s2, s3] = this.s;
    const out = (rotl((s1 * 5n) & M32, 7n) * 9n) & M32;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s = [s0 ^ n3, s1 ^ n2, n2 ^ ((s1 << 9n) & M32), rotl(n3, 11n)];
    return out;
  }
  uniform(): number {
    return Number(this.u32() >> 8n) * 2 ** -24;
  }
  uniform53(): number {
    const a = this.u32() >> 5n;
    const b = this.u32() >> 6n;
    return Number((a << 26n) | b) * 2 ** -53;
  }
  /** Both Box-Muller values of one pair of uniforms (u1 redrawn while 0). */
  normalPair(): [number, number] {
    let u1 = this.uniform53();
    while (u1 === 0) u1 = this.uniform53();
    const u2 = this.uniform53();
    const r = Math.sqrt(-Math.log(u1) * 2);
    const th = Math.PI * 2 * u2;
    return [r * Math.cos(th), r * Math.sin(th)];
  }
  int(n: number): number {
    const N = BigInt(n);
    const accept = 4294967296n - (4294967296n % N); // draws in [accept, 2^32) are rejected
    for (;;) {
      const x = this.u32();
      if (x < accept) return Number(x % N);
    }
  }
}

/** The words of a state whose next nextU32() is `out` (inverting out = rotl(5 s1, 7) · 9 mod 2^32). */
function s1For(out: bigint): bigint {
  const inv = (a: bigint): bigint => {
    let y = a; // Newton's iteration for 1/a mod 2^32 (a odd)
    for (let i = 0; i < 6; i++) y = (y * (2n - a * y)) & M32;
    return y;
  };
  const v = (out * inv(9n)) & M32;
  const rotr7 = ((v >> 7n) | (v << 25n)) & M32;
  return (rotr7 * inv(5n)) & M32;
}

const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });

describe('Rng draws against a BigInt reimplementation', () => {
  it('uniform, uniform53, uniformRange and int, interleaved, draw for draw', () => {
    fc.assert(fc.property(seedArb, (seed) => {
      const r = new Rng(seed);
      const ref = new RefRng(seed);
      for (let k = 0; k < 40; k++) {
        expect(r.uniform()).toBe(ref.uniform());
        expect(r.uniform53()).toBe(ref.uniform53());
        expect(r.uniformRange(-3, 5)).toBe(-3 + 8 * ref.uniform53());
        expect(r.uniformRange(2, 2.5)).toBe(2 + 0.5 * ref.uniform53());
        expect(r.int(7)).toBe(ref.int(7));
        // n just above 2^31: about half of all words are rejected, so the loop runs often.
        expect(r.int(2 ** 31 + 1)).toBe(ref.int(2 ** 31 + 1));
        expect(r.int(2 ** 32)).toBe(ref.int(2 ** 32));
      }
    }), { numRuns: 30 });
  });

  it('normal() is Box-Muller on two uniform53 draws: r cos θ first, then r sin θ from the same pair', () => {
    fc.assert(fc.property(seedArb, (seed) => {
      const r = new Rng(seed);
      const ref = new RefRng(seed);
      for (let k = 0; k < 20; k++) {
        const [c, s] = ref.normalPair();
        expect(r.normal()).toBe(c);
        // a uniform draw between the two halves of a pair does not disturb the spare
        if (k % 3 === 0) expect(r.uniform()).toBe(ref.uniform());
        expect(r.normal()).toBe(s);
      }
    }), { numRuns: 30 });
  });

  it('normal() redraws u1 = 0 (log 0 would give an infinite draw)', () => {
    // With s1 = 0 and s0 = s2 the next two words are both 0, so the first uniform53() is exactly 0.
    for (const [a, d] of [[5, 9], [123456789, 1]]) {
      const r = new Rng(0);
      r.setState([a, 0, a, d, null]);
      const ref = new RefRng(0);
      ref.s = [BigInt(a), 0n, BigInt(a), BigInt(d)];
      const probe = new RefRng(0);
      probe.s = [...ref.s];
      expect(probe.uniform53()).toBe(0);
      const [c, s] = ref.normalPair();
      const z = [r.normal(), r.normal()];
      expect(z.every(Number.isFinite)).toBe(true);
      expect(z).toEqual([c, s]);
    }
  });

  it('int(n) rejects the word equal to the bound 2^32 - (2^32 mod n) and accepts the one below it', () => {
    for (const n of [3, 7, 1000, 2 ** 31 + 1]) {
      const bound = 4294967296n - (4294967296n % BigInt(n));
      for (const [word, rejected] of [[bound, true], [bound - 1n, false]] as const) {
        if (word > M32) continue;
        const r = new Rng(0);
        r.setState([17, Number(s1For(word)), 29, 31, null]);
        const ref = new RefRng(0);
        ref.s = [17n, s1For(word), 29n, 31n];
        const probe = new RefRng(0);
        probe.s = [...ref.s];
        expect(probe.u32()).toBe(word); // the crafted state does give the word
        const got = r.int(n);
        expect(got).toBe(ref.int(n));
        if (!rejected) expect(got).toBe(Number(word % BigInt(n)));
        // one word consumed when accepted, two when rejected
        expect(r.getState().slice(0, 4)).toEqual(ref.s.map(Number));
      }
    }
  });

  it('uniform() is a multiple of 2^-24 and uniform53() of 2^-53; both lie in [0, 1) with mean 1/2 and variance 1/12', () => {
    const r = new Rng(2024);
    const n = 20000;
    for (const [draw, bits] of [[() => r.uniform(), 24], [() => r.uniform53(), 53]] as const) {
      let s = 0;
      let sq = 0;
      let bad = 0;
      for (let i = 0; i < n; i++) {
        const u = draw();
        if (!(u >= 0 && u < 1 && Number.isInteger(u * 2 ** bits))) bad++;
        s += u;
        sq += u * u;
      }
      expect(bad).toBe(0);
      const mean = s / n;
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.01); // sd of the mean is 0.002
      expect(Math.abs(sq / n - mean * mean - 1 / 12)).toBeLessThan(0.003);
    }
  });

  it('the seed fold is low word XOR high word: 2^32 + 1 gives seed 0, 2^33 + 5 gives seed 7, -2^32 - 1 gives 0', () => {
    const words = (r: Rng): number[] => Array.from({ length: 4 }, () => r.nextU32());
    expect(words(new Rng(2 ** 32 + 1))).toEqual(words(new Rng(0)));
    expect(words(new Rng(2 ** 33 + 5))).toEqual(words(new Rng(7)));
    expect(words(new Rng(-(2 ** 32) - 1))).toEqual(words(new Rng(0)));
    for (const seed of [2 ** 40 + 12345, -(2 ** 45) - 3, 2 ** 52 + 1]) {
      const ref = new RefRng(seed);
      expect(words(new Rng(seed))).toEqual(Array.from({ length: 4 }, () => Number(ref.u32())));
    }
  });

  it('fork() takes four words of the parent (the last made odd) as the child state, without a spare', () => {
    fc.assert(fc.property(seedArb, (seed) => {
      const parent = new Rng(seed);
      parent.normal(); // leaves a spare in the parent, which the child must not inherit
      const ref = new RefRng(seed);
      ref.normalPair();
      const want = [ref.u32(), ref.u32(), ref.u32(), ref.u32() | 1n].map(Number);
      const child = parent.fork();
      expect(child.getState()).toEqual([...want, null]);
      expect(parent.nextU32()).toBe(Number(ref.u32()));
    }), { numRuns: 30 });
  });

  it('getState / setState keep the four words in order and the pending spare', () => {
    const r = new Rng(0);
    r.setState([11, 22, 33, 44, 0.75]);
    expect(r.getState()).toEqual([11, 22, 33, 44, 0.75]);
    const ref = new RefRng(0);
    ref.s = [11n, 22n, 33n, 44n];
    expect(r.normal()).toBe(0.75);
    expect(r.nextU32()).toBe(Number(ref.u32()));
    expect(r.getState().slice(0, 4)).toEqual(ref.s.map(Number));
  });
});

describe('random factories against the reference draws', () => {
  const f64 = { dtype: 'float64' as const, backend: 'js' };
  it('rand: low + (high - low) u53; the default range is [0, 1)', () => {
    const ref = new RefRng(3);
    expect(rand([6], { ...f64, rng: new Rng(3), low: -2, high: 5 }).toFlatArray())
      .toEqual(Array.from({ length: 6 }, () => -2 + 7 * ref.uniform53()));
    const ref2 = new RefRng(4);
    expect(rand([2, 3], { ...f64, rng: new Rng(4) }).toFlatArray()).toEqual(Array.from({ length: 6 }, () => ref2.uniform53()));
  });

  it('randn: mean + std z, z from normal() in order; the default is N(0, 1)', () => {
    const ref = new RefRng(5);
    const z = Array.from({ length: 3 }, () => ref.normalPair()).flat();
    expect(randn([6], { ...f64, rng: new Rng(5), mean: 1.5, std: 0.25 }).toFlatArray()).toEqual(z.map((v) => 1.5 + 0.25 * v));
    expect(randn([3, 2], { ...f64, rng: new Rng(5) }).toFlatArray()).toEqual(z);
  });

  it('randint: low + int(high - low), every value in [low, high)', () => {
    const ref = new RefRng(6);
    const got = randint(-3, 4, [200], { ...f64, rng: new Rng(6) }).toFlatArray();
    expect(got).toEqual(Array.from({ length: 200 }, () => -3 + ref.int(7)));
    expect([...new Set(got)].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
  });

  it('manualSeed(s) re-seeds the default generator: draws equal those of new Rng(s)', () => {
    manualSeed(77);
    const a = rand([4], f64).toFlatArray();
    const b = randn([3], f64).toFlatArray();
    const ref = new RefRng(77);
    expect(a).toEqual(Array.from({ length: 4 }, () => ref.uniform53()));
    const [c0, s0] = ref.normalPair();
    expect(b.slice(0, 2)).toEqual([c0, s0]);
    manualSeed(0);
  });
});

describe('constant factories and arange', () => {
  it('zeros, ones, full: the values (+0, not -0), float32 and no grad by default', () => {
    const z = zeros([2, 2]);
    expect(z.dtype).toBe('float32');
    expect(z.requiresGrad).toBe(false);
    expect(z.toFlatArray().every((v) => Object.is(v, 0))).toBe(true);
    expect(ones([3], js64()).toFlatArray()).toEqual([1, 1, 1]);
    expect(full([2], -2.5, js64()).toFlatArray()).toEqual([-2.5, -2.5]);
    expect(full([1], 7, { requiresGrad: true }).requiresGrad).toBe(true);
    expect(rand([2]).dtype).toBe('float32');
    expect(randn([2]).requiresGrad).toBe(false);
  });

  it('arange: [start, stop) by step, ceil((stop - start) / step) elements, none for an empty range', () => {
    const a = (...args: Parameters<typeof arange>): number[] => arange(...args).toFlatArray();
    expect(a(5)).toEqual([0, 1, 2, 3, 4]);
    expect(a(2, 6)).toEqual([2, 3, 4, 5]);
    expect(a(1, 2.05, 0.25, js64())).toEqual([1, 1.25, 1.5, 1.75, 2]);
    expect(a(1, 2, 0.25, js64())).toEqual([1, 1.25, 1.5, 1.75]);
    expect(a(5, 1, -1.5, js64())).toEqual([5, 3.5, 2]);
    expect(a(3, 1)).toEqual([]);
    expect(a(0)).toEqual([]);
    expect(arange(-2, 3, 1, js64()).shape).toEqual([5]);
  });
});

function js64(): { dtype: 'float64'; backend: string } {
  return { dtype: 'float64', backend: 'js' };
}
