/**
 * The wasm backend's allocator: 16-byte-aligned blocks of a WebAssembly.Memory. It only does
 * arithmetic on byte offsets; growing the memory is the caller's `grow` callback.
 *
 * Free blocks are coalesced with their free neighbours at once, and a free block that reaches
 * the end of the arena gives its bytes back to the bump region, so the arena never holds two
 * adjacent free blocks. A request takes the first free block that fits from size-class bins
 * (powers of two of 16 bytes; first fit in the request's own bin, else the smallest non-empty
 * bin above), splitting off what it does not need, before it extends the arena. So a loop that
 * allocates many different sizes (batch sizes 1..2048 of [b, 256] in tidy) reuses the same
 * memory, where exact-size free lists kept a block per size ever seen; and a training loop that
 * repeats the same sizes every step still reaches a steady state that allocates nothing new.
 *
 * In front of that sits a cache of freed blocks by exact size (a stack per size): a training step
 * frees and takes the same sizes every step, so a take is a pop and a free a push, where the
 * coalescing structures cost three Map / Set updates per link or unlink (~5 % of a small update).
 * The first take that the cache cannot serve (or a stats call) flushes every cached block into the
 * coalescing structures, which then work exactly as described above: a loop of ever-changing sizes
 * still reuses the same memory.
 */

/** Memory usage of a WasmBackend. */
export interface WasmMemoryStats {
  /** Size of the WebAssembly.Memory in bytes (it never shrinks). */
  memoryBytes: number;
  /** End of the arena: bytes below it are live or free blocks (plus the module's static data). */
  arenaBytes: number;
  /** Bytes in live blocks. */
  liveBytes: number;
  /** Bytes in free blocks inside the arena. */
  pooledBytes: number;
  /** Number of free blocks inside the arena. */
  pooledBlocks: number;
}

/** Bytes of the block that holds `length` float32s (a multiple of 16, at least 16). */
export function blockBytes(length: number): number {
  return Math.ceil(length / 4) * 16 || 16;
}

/** Size-class bin of a block: floor(log2(bytes / 16)). */
function binOf(bytes: number): number {
  return 31 - Math.clz32(bytes >>> 4);
}

export class BlockAllocator {
  private top: number;
  /** Free blocks: start -> bytes, and end -> start (for coalescing with the left neighbour). */
  private readonly freeAt = new Map<number, number>();
  private readonly freeEnd = new Map<number, number>();
  /** Free block starts by size class (insertion-ordered, so the choice is deterministic). */
  private readonly bins: Set<number>[] = [];
  private freeBytes = 0;
  private liveBytes = 0;
  /** Freed blocks not yet coalesced: exact size in bytes -> starts (a stack). */
  private readonly cache = new Map<number, number[]>();
  private cachedBlocks = 0;

  /**
   * @param base first byte the allocator may use (rounded up to 64)
   * @param grow makes the memory at least `needTop` bytes long (throws RangeError if it cannot)
   */
  constructor(base: number, private readonly grow: (needTop: number) => void) {
    this.top = (base + 63) & ~63;
  }

  /** A block of `bytes` (a positive multiple of 16). */
  take(bytes: number): number {
    const cached = this.cache.get(bytes);
    if (cached !== undefined && cached.length > 0) {
      this.cachedBlocks--;
      this.liveBytes += bytes;
      return cached.pop()!;
    }
    if (this.cachedBlocks > 0) this.flush();
    // No free block holds 4 GiB or more (a wasm32 memory's limit), and binOf would wrap such a size to a
    // small bin and hand out a small block: such a request goes to `grow`, which refuses it.
    const ptr = bytes < 2 ** 32 ? this.takeFree(bytes) : -1;
    if (ptr >= 0) {
      this.liveBytes += bytes;
      return ptr;
    }
    const start = this.top;
    this.grow(start + bytes);
    this.top = start + bytes;
    this.liveBytes += bytes;
    return start;
  }

  /** Gives a block back: into the exact-size cache (coalesced with its neighbours at the next flush). */
  put(ptr: number, bytes: number): void {
    this.liveBytes -= bytes;
    let stack = this.cache.get(bytes);
    if (stack === undefined) this.cache.set(bytes, (stack = []));
    stack.push(ptr);
    this.cachedBlocks++;
  }

  /** Coalesces every cached block into the free structures (or the arena's end). */
  flush(): void {
    if (this.cachedBlocks === 0) return;
    for (const [bytes, stack] of this.cache) {
      for (const ptr of stack) this.release(ptr, bytes);
      stack.length = 0;
    }
    this.cachedBlocks = 0;
  }

  /** Links a free block, coalescing it with free neighbours, or gives it to the arena's end. */
  private release(ptr: number, bytes: number): void {
    let start = ptr;
    let size = bytes;
    const left = this.freeEnd.get(start);
    if (left !== undefined) {
      size += this.freeAt.get(left)!;
      this.unlink(left);
      start = left;
    }
    const rightSize = this.freeAt.get(ptr + bytes);
    if (rightSize !== undefined) {
      this.unlink(ptr + bytes);
      size += rightSize;
    }
    if (start + size === this.top) this.top = start;
    else this.link(start, size);
  }

  stats(memoryBytes: number): WasmMemoryStats {
    this.flush();
    return {
      memoryBytes, arenaBytes: this.top, liveBytes: this.liveBytes, pooledBytes: this.freeBytes, pooledBlocks: this.freeAt.size,
    };
  }

  private takeFree(bytes: number): number {
    if (this.freeAt.size === 0) return -1;
    const b0 = binOf(bytes);
    let found = -1;
    const own = this.bins[b0];
    if (own) {
      for (const p of own) {
        if (this.freeAt.get(p)! >= bytes) {
          found = p;
          break;
        }
      }
    }
    for (let b = b0 + 1; found < 0 && b < this.bins.length; b++) {
      const bin = this.bins[b];
      if (bin && bin.size > 0) found = bin.values().next().value as number;
    }
    if (found < 0) return -1;
    const size = this.freeAt.get(found)!;
    this.unlink(found);
    if (size > bytes) this.link(found + bytes, size - bytes);
    return found;
  }

  private link(start: number, size: number): void {
    this.freeAt.set(start, size);
    this.freeEnd.set(start + size, start);
    const b = binOf(size);
    (this.bins[b] ??= new Set()).add(start);
    this.freeBytes += size;
  }

  private unlink(start: number): void {
    const size = this.freeAt.get(start)!;
    this.freeAt.delete(start);
    this.freeEnd.delete(start + size);
    this.bins[binOf(size)].delete(start);
    this.freeBytes -= size;
  }
}
