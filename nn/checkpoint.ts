/**
 * Checkpoints: a JSON manifest plus one binary blob.
 *
 * On disk, a checkpoint is a directory:
 *   manifest.json  { format: 'fisor-checkpoint', version: 1, step, metadata,
 *                    blob: { file: 'tensors.bin', byteLength, checksum },
 *                    tensors: [{ name, shape, dtype, byteOffset, byteLength, checksum }] }
 *   tensors.bin    the tensors' bytes, little-endian, each starting at an 8-byte aligned offset.
 * Checksums are FNV-1a 32-bit over the bytes, written 'fnv1a32:xxxxxxxx'. Version 2 adds
 * `metadataChecksum`, the same checksum over the UTF-8 of JSON.stringify({ step, metadata }), so a
 * hand-edited step or metadata field is refused on load (version 1 manifests, which lack it, still load).
 *
 * Saving is atomic: everything is serialised in memory first (so a failure reading a tensor
 * writes nothing), then written to `<dir>.tmp-<pid>-<n>`; an existing `<dir>` is renamed to
 * `<dir>.old-<pid>-<n>`, the new one renamed in, and the old one deleted. A crash leaves either the
 * old or the new checkpoint at `<dir>` (or, between the two renames, the old one at `<dir>.old-*`,
 * which loadCheckpoint names in its error).
 *
 * In memory (browsers): `checkpointToArrayBuffer` packs the same manifest and blob into one buffer:
 *   bytes 0..7 'FSRCKPT\0', u32 LE container version (1), u32 LE manifest length, manifest JSON
 *   (UTF-8), zero padding to a multiple of 8, blob.
 */
import { Tensor, type DType } from '../core/index.js';
import { platform, type NodeBuiltins } from '../core/platform.js';
import type { Module } from './module.js';
import type { Optimizer } from './optim.js';

export const CHECKPOINT_FORMAT = 'fisor-checkpoint';
export const CHECKPOINT_VERSION = 2;
/** Versions this build reads (1: before the metadata checksum). */
const READABLE_VERSIONS = [1, 2];
const MAGIC = 'FSRCKPT\0';

export interface CheckpointContent {
  tensors: Record<string, Tensor>;
  step: number;
  metadata?: Record<string, unknown>;
}

export interface LoadedCheckpoint {
  tensors: Record<string, Float32Array | Float64Array>;
  shapes: Record<string, number[]>;
  step: number;
  metadata: Record<string, unknown>;
}

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: DType;
  byteOffset: number;
  byteLength: number;
  checksum: string;
}

interface Manifest {
  format: string;
  version: number;
  step: number;
  metadata: Record<string, unknown>;
  metadataChecksum?: string;
  blob: { file: string; byteLength: number; checksum: string };
  tensors: TensorEntry[];
}

/** FNV-1a, 32 bits, over bytes. */
export function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function checksumOf(bytes: Uint8Array): string {
  return `fnv1a32:${fnv1a32(bytes).toString(16).padStart(8, '0')}`;
}

/** Checksum of a checkpoint's step and metadata (what `metadataChecksum` holds). */
export function metadataChecksum(step: number, metadata: Record<string, unknown>): string {
  return checksumOf(new TextEncoder().encode(JSON.stringify({ step, metadata })));
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8 };

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Serialises the content to a manifest and a blob (reads every tensor before anything is written). */
function encode(content: CheckpointContent): { manifest: Manifest; blob: Uint8Array } {
  if (!content || typeof content !== 'object' || !content.tensors || typeof content.tensors !== 'object') {
    throw new Error('saveCheckpoint: content must be { tensors: Record<string, Tensor>, step, metadata? }');
  }
  if (!Number.isSafeInteger(content.step) || content.step < 0) throw new Error(`saveCheckpoint: step must be an integer >= 0, got ${content.step}`);
  const entries: TensorEntry[] = [];
  const views: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(content.tensors)) {
    if (!(t instanceof Tensor)) throw new Error(`saveCheckpoint: '${name}' is not a Tensor`);
    if (t.isDisposed) throw new Error(`saveCheckpoint: tensor '${name}' was disposed`);
    const v = t.buffer.view();
    const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
    offset = align8(offset);
    entries.push({ name, shape: [...t.shape], dtype: t.dtype, byteOffset: offset, byteLength: bytes.length, checksum: checksumOf(bytes) });
    views.push(bytes);
    offset += bytes.length;
  }
  const blob = new Uint8Array(offset);
  entries.forEach((e, i) => blob.set(views[i], e.byteOffset));
  const metadata = content.metadata ?? {};
  // Round-trip the metadata now so a non-serialisable value fails before anything is written.
  const meta = JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>;
  return {
    manifest: {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      step: content.step,
      metadata: meta,
      metadataChecksum: metadataChecksum(content.step, meta),
      blob: { file: 'tensors.bin', byteLength: blob.length, checksum: checksumOf(blob) },
      tensors: entries,
    },
    blob,
  };
}

/** Validates a manifest and blob and copies the tensors out. `where` names the source in errors. */
function decode(manifestRaw: unknown, blob: Uint8Array, where: { manifest: string; blob: string }): LoadedCheckpoint {
  const bad = (msg: string): Error => new Error(`checkpoint ${where.manifest}: ${msg}`);
  if (!manifestRaw || typeof manifestRaw !== 'object') throw bad('manifest is not a JSON object');
  const m = manifestRaw as Partial<Manifest>;
  if (m.format !== CHECKPOINT_FORMAT) throw bad(`not a checkpoint manifest (format is ${JSON.stringify(m.format)}, expected '${CHECKPOINT_FORMAT}')`);
  if (!READABLE_VERSIONS.includes(m.version as number)) throw bad(`unknown format version ${JSON.stringify(m.version)} (this build reads versions ${READABLE_VERSIONS.join(', ')})`);
  if (!Number.isSafeInteger(m.step) || (m.step as number) < 0) throw bad(`step must be an integer >= 0, got ${JSON.stringify(m.step)}`);
  if (!m.metadata || typeof m.metadata !== 'object' || Array.isArray(m.metadata)) throw bad('metadata is missing or not an object');
  if (m.version !== 1) {
    const sum = metadataChecksum(m.step as number, m.metadata);
    if (m.metadataChecksum !== sum) throw bad(`metadata checksum mismatch: manifest says ${JSON.stringify(m.metadataChecksum)}, step and metadata give ${sum} (edited or corrupted manifest?)`);
  }
  if (!Array.isArray(m.tensors)) throw bad('tensors list is missing');
  if (!m.blob || typeof m.blob.byteLength !== 'number') throw bad('blob entry is missing');
  if (blob.length !== m.blob.byteLength) {
    throw new Error(`checkpoint ${where.blob}: ${blob.length < m.blob.byteLength ? 'truncated' : 'too long'}: has ${blob.length} bytes, manifest says ${m.blob.byteLength}`);
  }
  // Prototype-free maps: a tensor may be named 'constructor' or '__proto__' like any other.
  const tensors: Record<string, Float32Array | Float64Array> = Object.create(null);
  const shapes: Record<string, number[]> = Object.create(null);
  for (const e of m.tensors) {
    const name = e?.name;
    if (typeof name !== 'string') throw bad('a tensor entry has no name');
    if (Object.hasOwn(tensors, name)) throw bad(`tensor '${name}' is listed twice`);
    if (e.dtype !== 'float32' && e.dtype !== 'float64') throw bad(`tensor '${name}': unknown dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`tensor '${name}': invalid shape ${JSON.stringify(e.shape)}`);
    const size = e.shape.reduce((a, b) => a * b, 1);
    const expectBytes = size * BYTES[e.dtype];
    if (e.byteLength !== expectBytes) throw bad(`tensor '${name}': byteLength ${e.byteLength} does not match shape [${e.shape.join(', ')}] ${e.dtype} (${expectBytes} bytes)`);
    if (!Number.isInteger(e.byteOffset) || e.byteOffset < 0 || e.byteOffset + e.byteLength > blob.length) {
      throw new Error(`checkpoint ${where.blob}: tensor '${name}' at bytes ${e.byteOffset}..${e.byteOffset + e.byteLength} lies outside the blob (${blob.length} bytes)`);
    }
    const bytes = blob.slice(e.byteOffset, e.byteOffset + e.byteLength); // a copy: aligned, owned
    const sum = checksumOf(bytes);
    if (sum !== e.checksum) {
      throw new Error(`checkpoint ${where.blob}: checksum mismatch for tensor '${name}': manifest says ${e.checksum}, data gives ${sum} (corrupted file?)`);
    }
    tensors[name] = e.dtype === 'float64' ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer);
    shapes[name] = [...e.shape];
  }
  return { tensors, shapes, step: m.step as number, metadata: m.metadata };
}

// ---- in memory ----

/** Packs a checkpoint into one ArrayBuffer (see the file comment for the layout). */
export function checkpointToArrayBuffer(content: CheckpointContent): ArrayBuffer {
  const { manifest, blob } = encode(content);
  const json = new TextEncoder().encode(JSON.stringify(manifest));
  const head = 16;
  const blobAt = align8(head + json.length);
  const buf = new ArrayBuffer(blobAt + blob.length);
  const u8 = new Uint8Array(buf);
  for (let i = 0; i < 8; i++) u8[i] = MAGIC.charCodeAt(i);
  const dv = new DataView(buf);
  dv.setUint32(8, 1, true);
  dv.setUint32(12, json.length, true);
  u8.set(json, head);
  u8.set(blob, blobAt);
  return buf;
}

/** Unpacks and validates a buffer made by `checkpointToArrayBuffer`. */
export function checkpointFromArrayBuffer(buf: ArrayBuffer | Uint8Array): LoadedCheckpoint {
  const u8 = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const where = { manifest: '(ArrayBuffer) manifest', blob: '(ArrayBuffer) blob' };
  if (u8.length < 16) throw new Error(`checkpoint (ArrayBuffer): truncated: ${u8.length} bytes, not even a header`);
  for (let i = 0; i < 8; i++) {
    if (u8[i] !== MAGIC.charCodeAt(i)) throw new Error('checkpoint (ArrayBuffer): not a checkpoint buffer (bad magic bytes)');
  }
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const container = dv.getUint32(8, true);
  if (container !== 1) throw new Error(`checkpoint (ArrayBuffer): unknown container version ${container} (this build reads 1)`);
  const jsonLen = dv.getUint32(12, true);
  if (16 + jsonLen > u8.length) throw new Error(`checkpoint (ArrayBuffer): truncated: manifest of ${jsonLen} bytes does not fit in ${u8.length} bytes`);
  let manifest: unknown;
  try {
    manifest = JSON.parse(new TextDecoder().decode(u8.subarray(16, 16 + jsonLen)));
  } catch (e) {
    throw new Error(`checkpoint (ArrayBuffer): manifest is not valid JSON: ${(e as Error).message}`);
  }
  const blobAt = align8(16 + jsonLen);
  return decode(manifest, u8.subarray(Math.min(blobAt, u8.length)), where);
}

// ---- on disk (Node) ----

export interface SaveOptions {
  /**
   * Writes one file (default: open, write, fsync, close). For tests that simulate a failure
   * midway; a throw aborts the save and leaves any previous checkpoint at `dir` intact.
   */
  writeFile?: (path: string, data: Uint8Array) => Promise<void>;
}

let saveCounter = 0;

/** fs and path from the platform seam (a browser gets an error naming the call; use the ArrayBuffer form there). */
async function nodeModules(what: string): Promise<{ fs: NodeBuiltins['node:fs/promises']; path: NodeBuiltins['node:path'] }> {
  const p = platform();
  return { fs: p.builtin('node:fs/promises', what), path: p.builtin('node:path', what) };
}

async function exists(fs: NodeBuiltins['node:fs/promises'], p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Writes `dir/manifest.json` and `dir/tensors.bin` atomically (see the file comment). */
export async function saveCheckpoint(dir: string, content: CheckpointContent, opts: SaveOptions = {}): Promise<void> {
  const { fs, path } = await nodeModules('saveCheckpoint');
  const { manifest, blob } = encode(content); // all reads happen here, before any write
  const json = new TextEncoder().encode(JSON.stringify(manifest, null, 1));
  const target = path.resolve(dir);
  const n = saveCounter++;
  const tmp = `${target}.tmp-${process.pid}-${n}`;
  const old = `${target}.old-${process.pid}-${n}`;
  const write = opts.writeFile ?? (async (p: string, data: Uint8Array) => {
    const fh = await fs.open(p, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
  // A directory's entries (the files in tmp, the renames beside it) reach the disk only with the directory's own
  // fsync: without it a power loss could keep the renames and lose the files, or delete the old checkpoint while
  // the new one's rename is lost. Best effort (Windows cannot open a directory; the renames stay atomic).
  const syncDir = async (d: string) => {
    let fh: Awaited<ReturnType<typeof fs.open>>;
    try {
      fh = await fs.open(d, 'r');
    } catch {
      return;
    }
    try {
      await fh.sync();
    } catch {
      // a file system that refuses fsync on a directory
    } finally {
      await fh.close();
    }
  };
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp);
  try {
    await write(path.join(tmp, 'tensors.bin'), blob);
    await write(path.join(tmp, 'manifest.json'), json); // last: its presence marks a complete write
    await syncDir(tmp);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const hadOld = await exists(fs, target);
  if (hadOld) await fs.rename(target, old);
  try {
    await fs.rename(tmp, target);
  } catch (e) {
    if (hadOld) await fs.rename(old, target);
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await syncDir(path.dirname(target)); // the new checkpoint is on disk before the old one goes
  if (hadOld) await fs.rm(old, { recursive: true, force: true });
}

/** Reads and validates a checkpoint directory; errors name the file, tensor and what differs. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const { fs, path } = await nodeModules('loadCheckpoint');
  const target = path.resolve(dir);
  const manifestPath = path.join(target, 'manifest.json');
  let text: string;
  try {
    text = await fs.readFile(manifestPath, 'utf8');
  } catch (e) {
    let hint = '';
    try {
      const base = path.basename(target);
      const left = (await fs.readdir(path.dirname(target))).filter((f) => f.startsWith(`${base}.old-`));
      if (left.length) hint = `; an interrupted save left the previous checkpoint at ${path.join(path.dirname(target), left.sort().at(-1)!)} (rename it to ${base})`;
    } catch {
      // parent missing: no hint
    }
    throw new Error(`checkpoint ${manifestPath}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})${hint}`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (e) {
    throw new Error(`checkpoint ${manifestPath}: not valid JSON: ${(e as Error).message}`);
  }
  const blobName = (manifest as Partial<Manifest>)?.blob?.file ?? 'tensors.bin';
  if (typeof blobName !== 'string' || blobName.includes('/') || blobName.includes('\\')) throw new Error(`checkpoint ${manifestPath}: bad blob file name ${JSON.stringify(blobName)}`);
  const blobPath = path.join(target, blobName);
  let blob: Uint8Array;
  try {
    blob = new Uint8Array(await fs.readFile(blobPath));
  } catch (e) {
    throw new Error(`checkpoint ${blobPath}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decode(manifest, blob, { manifest: manifestPath, blob: blobPath });
}

// ---- gathering and restoring named state ----

/** The named tensors of a module or optimizer under 'prefix.name' (for saveCheckpoint). */
export function stateOf(prefix: string, x: Module | Optimizer): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(x.stateDict())) out[prefix ? `${prefix}.${name}` : name] = t;
  return out;
}

/**
 * Loads a checkpoint's tensors into several modules / optimizers, keyed by the prefixes used
 * with `stateOf`. Checks every name and shape of every target first and loads nothing on error
 * (the error lists each missing name and each shape difference).
 */
export function restoreState(loaded: LoadedCheckpoint, targets: Record<string, Module | Optimizer>): void {
  const errors: string[] = [];
  const plan: [Module | Optimizer, Record<string, Float32Array | Float64Array>][] = [];
  for (const [prefix, x] of Object.entries(targets)) {
    const sub: Record<string, Float32Array | Float64Array> = {};
    for (const [name, t] of Object.entries(x.stateDict())) {
      const key = prefix ? `${prefix}.${name}` : name;
      const data = loaded.tensors[key];
      if (!data) {
        errors.push(`restoreState: checkpoint has no tensor '${key}' (expected shape [${t.shape.join(', ')}])`);
        continue;
      }
      const shape = loaded.shapes[key];
      if (shape && (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i]))) {
        errors.push(`restoreState: '${key}' has shape [${shape.join(', ')}] in the checkpoint, expected [${t.shape.join(', ')}]`);
        continue;
      }
      sub[name] = data;
    }
    plan.push([x, sub]);
  }
  // A tensor under a restored prefix that no target expects means another architecture (e.g. a LayerNorm the
  // target lacks): loading the rest would silently give a different network.
  const expected = new Set<string>();
  for (const [prefix, x] of Object.entries(targets)) for (const name of Object.keys(x.stateDict())) expected.add(prefix ? `${prefix}.${name}` : name);
  for (const prefix of Object.keys(targets)) {
    if (!prefix) continue;
    for (const key of Object.keys(loaded.tensors)) {
      if (key.startsWith(`${prefix}.`) && !expected.has(key)) errors.push(`restoreState: the checkpoint has '${key}', which '${prefix}' does not (another architecture or config?)`);
    }
  }
  if (errors.length) throw new Error(errors.join('\n'));
  // Optimizers check their values too (a negative step count, say): before anything loads, so a bad one loads nothing.
  for (const [x, sub] of plan) if ('checkStateDict' in x) x.checkStateDict?.(sub);
  for (const [x, sub] of plan) x.loadStateDict(sub);
}
