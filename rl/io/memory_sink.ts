/**
 * A run kept in memory (tests, browsers): files are strings, checkpoints are the packed ArrayBuffers of
 * `checkpointToArrayBuffer`, so saving and loading go through the same validation as on disk.
 */
import { checkpointFromArrayBuffer, checkpointToArrayBuffer, type CheckpointContent, type LoadedCheckpoint } from '../../nn/checkpoint.js';
import type { RunSink } from './sink.js';

export class MemoryRunSink implements RunSink {
  readonly files = new Map<string, string>();
  readonly checkpoints = new Map<string, ArrayBuffer>();
  private held = false;

  constructor(readonly location = 'memory') {}

  async open(): Promise<string[]> {
    if (this.held) throw new Error(`run ${this.location} is already open`);
    this.held = true;
    return [...this.files.keys(), ...this.checkpoints.keys()];
  }
  async close(): Promise<void> {
    this.held = false;
  }
  async clear(): Promise<void> {
    this.files.clear();
    this.checkpoints.clear();
  }
  async append(name: string, text: string): Promise<void> {
    this.files.set(name, (this.files.get(name) ?? '') + text);
  }
  async writeAtomic(name: string, text: string): Promise<void> {
    this.files.set(name, text);
  }
  async read(name: string): Promise<string | null> {
    return this.files.get(name) ?? null;
  }
  async saveCheckpoint(name: string, content: CheckpointContent): Promise<void> {
    this.checkpoints.set(name, checkpointToArrayBuffer(content));
  }
  async loadCheckpoint(name: string): Promise<LoadedCheckpoint> {
    const buf = this.checkpoints.get(name);
    if (!buf) throw new Error(`run ${this.location}: no checkpoint '${name}'`);
    return checkpointFromArrayBuffer(buf);
  }
  async hasCheckpoint(name: string): Promise<boolean> {
    return this.checkpoints.has(name);
  }
  async remove(name: string): Promise<void> {
    this.files.delete(name);
    this.checkpoints.delete(name);
  }
}
