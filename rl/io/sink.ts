/**
 * Where a training run writes: a small interface so the training loop never touches a file system itself.
 * Node runs use `NodeRunSink` (node_sink.ts: a run directory with a lock file); a browser can supply its own
 * (IndexedDB, OPFS, memory: see memory_sink.ts). Names are flat file names inside the run ('metrics.jsonl',
 * 'checkpoint'), never paths.
 */
import type { CheckpointContent, LoadedCheckpoint } from '../../nn/checkpoint.js';

export interface RunSink {
  /** Where the run lives, for messages (a directory path, a database key). */
  readonly location: string;
  /**
   * Takes exclusive use of the run (Node: a lock file naming this process) and clears what an interrupted
   * writer left behind (temporary files). Returns the names of the entries the run already holds.
   */
  open(): Promise<string[]>;
  /** Releases what `open` took (and, with removeIfEmpty, the run itself when open created it and it is empty). Safe to call twice. */
  close(opts?: { removeIfEmpty?: boolean }): Promise<void>;
  /** Deletes every entry of the run (for an explicit overwrite); keeps the lock. */
  clear(): Promise<void>;
  /** Appends text to a file (metrics lines). */
  append(name: string, text: string): Promise<void>;
  /** Replaces a file atomically: a reader sees the old content or the new one, never a mix. */
  writeAtomic(name: string, text: string): Promise<void>;
  /** The file's text, or null when it does not exist. */
  read(name: string): Promise<string | null>;
  saveCheckpoint(name: string, content: CheckpointContent): Promise<void>;
  /** Throws an Error naming what is missing or corrupt (and where an interrupted save left the last one). */
  loadCheckpoint(name: string): Promise<LoadedCheckpoint>;
  hasCheckpoint(name: string): Promise<boolean>;
  /** Deletes a file or checkpoint of the run; nothing when it does not exist. */
  remove(name: string): Promise<void>;
}
