/**
 * The wasm backend's allocator: blocks of a WebAssembly.Memory handed out by a bump pointer and
 * recycled through exact-size free lists (16-byte blocks), so that a training loop that
 * reallocates the same sizes every step allocates nothing new. It only does arithmetic on byte
 * offsets; growing the memory is the caller's `grow` callback.
 */

/** Memory usage of a WasmBackend. */
export interface WasmMemoryStats {
  /** Size of the WebAssembly.Memory in bytes. */
  memoryBytes: number;
  /** Bytes handed out from the bump region so far (live + pooled). */
  arenaBytes: number;
  /** Bytes sitting in free lists. */
  pooledBytes: number;
  /** Number of blocks in free lists. */
  pooledBlocks: number;
}

/** Bytes of the block that holds `length` float32s (a multiple of 16, at least 16). */
export function blockBytes(length: number): number {
  return Math.ceil(length / 4) * 16 || 16;
}

export class PoolAllocator {
  private top: number;
  private readonly pools = new Map<number, number[]>();
  private pooledBytes = 0;
  private pooledBlocks = 0;

  /**
   * @param base first byte the allocator may use (rounded up to 64)
   * @param grow makes the memory at least `needTop` bytes long (throws RangeError if it cannot)
   */
  constructor(base: number, private readonly grow: (needTop: number) => void) {
    this.top = (base + 63) & ~63;
  }

  /** A block of exactly `bytes` (a multiple of 16). */
  take(bytes: number): number {
    const list = this.pools.get(bytes);
    if (list !== undefined && list.length > 0) {
      this.pooledBytes -= bytes;
      this.pooledBlocks--;
      return list.pop()!;
    }
    const ptr = this.top;
    this.grow(ptr + bytes);
    this.top = ptr + bytes;
    return ptr;
  }

  /** Gives a block back. */
  put(ptr: number, bytes: number): void {
    let list = this.pools.get(bytes);
    if (list === undefined) this.pools.set(bytes, (list = []));
    list.push(ptr);
    this.pooledBytes += bytes;
    this.pooledBlocks++;
  }

  stats(memoryBytes: number): WasmMemoryStats {
    return { memoryBytes, arenaBytes: this.top, pooledBytes: this.pooledBytes, pooledBlocks: this.pooledBlocks };
  }
}
