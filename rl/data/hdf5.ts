/**
 * DSRL HDF5 files (flat layout) read / written with h5wasm (HDF5 compiled to WebAssembly; Node build with
 * direct host file-system access).
 *
 * Layout written: `observations` (N x obs_dim), `next_observations` (N x obs_dim), `actions` (N x act_dim),
 * `rewards` (N), `costs` (N): float32; `terminals`, `timeouts` (N): uint8 0/1; optional `h` (N): float32.
 * Datasets are gzip-compressed (level 4) and chunked, as DSRL's are. The file is written to a temporary
 * file in the same directory and renamed into place, so readers never see a half-written file.
 *
 * Reading accepts DSRL's own files as-is: any numeric dtype (float32/64, ints, h5py bool = int8 enum) is
 * converted to float32; 1-D keys may also be N x 1, while observations / next_observations / actions must be
 * N x dim with dim >= 1. The whole file is validated before anything is returned (all seven keys, at least one
 * row, equal lengths, finite values, actions within [-1, 1] +- 1e-5, terminals/timeouts in {0, 1}); failures
 * throw an Error naming the file, the key and the first bad row. Root attributes round-trip: numbers outside
 * int32 are stored as float64 (see attrDtype).
 * FISOR's PointRobot layout (state, action, next_state, reward, done, h, cost) is read too: fisor_layout.ts.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import h5wasm from 'h5wasm/node';
import { MAX_ABS_VALUE, validateDataset, type Dataset } from './dataset.js';
import { fisorLayoutDataset, isFisorLayout } from './fisor_layout.js';

export const DSRL_KEYS = ['observations', 'next_observations', 'actions', 'rewards', 'costs', 'terminals', 'timeouts'] as const;

let readyPromise: Promise<void> | null = null;

/** Initialise h5wasm once (and switch HDF5 errors from stderr dumps to exceptions). */
export function h5ready(): Promise<void> {
  readyPromise ??= h5wasm.ready.then((m) => {
    (m as unknown as { activate_throwing_error_handler?: () => number }).activate_throwing_error_handler?.();
  });
  return readyPromise;
}

/** Shorten an HDF5 error stack to its most specific lines. */
function hdf5Reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const minors = [...msg.matchAll(/minor: ([^\n]+)/g)].map((m) => m[1].trim());
  const lastLine = [...msg.matchAll(/#\d+: [^\n]*?\): ([^\n]+)/g)].map((m) => m[1].trim()).pop();
  if (minors.length) return `${minors[minors.length - 1]}${lastLine ? ` (${lastLine})` : ''}`;
  return msg.split('\n')[0];
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True if the HDF5 signature appears at offset 0, 512, 1024, ... (the places HDF5 allows). */
function hasHdf5Signature(path: string): boolean {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let off = 0; off + 8 <= size; off = off === 0 ? 512 : off * 2) {
      readSync(fd, buf, 0, 8, off);
      if (HDF5_SIGNATURE.every((b, i) => buf[i] === b)) return true;
      if (off > 1 << 20) break;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

type H5File = InstanceType<typeof h5wasm.File>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

/** HDF5 type classes (H5T_class_t) whose values are numbers: integer, float, enum (h5py's bool). */
const NUMERIC_CLASSES: Record<number, string> = { 0: 'integer', 1: 'float', 8: 'enum' };
const CLASS_NAMES: Record<number, string> = { 2: 'time', 3: 'string', 4: 'bitfield', 5: 'opaque', 6: 'compound', 7: 'reference', 9: 'variable-length', 10: 'array' };

/** Keys that hold one vector per row (N x dim, dim >= 1), in both layouts: a 1-D one would be read as dim 1. */
const MATRIX_KEYS = new Set(['observations', 'next_observations', 'actions', 'state', 'next_state', 'action']);

/** A key that is there but is not a numeric dataset: reported as such, not as a corrupt file. */
class NotNumericData extends Error {}

/**
 * h5wasm stores a JS number attribute as int32 when it is an integer, so 3e9 (a 32-bit seed) or 1e300 would
 * wrap (-1294967296, 0): integers in int32's range stay int32, every other number is float64 (exact up to 2^53).
 */
function attrDtype(v: number): string {
  return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 && !Object.is(v, -0) ? '<i' : '<d';
}

/**
 * The key's values as float32. A finite value too large for float32 (a float64 1e300) is named as too large here:
 * converted, it would be Infinity and be reported as a non-finite value the file does not hold.
 */
function toFloat32(value: unknown, file: string, key: string, width: number): Float32Array {
  if (value instanceof Float32Array) return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const src = value as unknown as ArrayLike<number | bigint>;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = Number(src[i]);
      out[i] = v;
      if (Number.isFinite(v) && !Number.isFinite(out[i])) {
        throw new Error(`${file}: key '${key}' row ${Math.floor(i / width)}${width > 1 ? ` column ${i % width}` : ''}: value ${v} exceeds the bound ${MAX_ABS_VALUE} on magnitudes (and float32's range)`);
      }
    }
    return out;
  }
  if (Array.isArray(value)) {
    const flat = value.flat(Infinity) as unknown[];
    const odd = flat.find((v) => typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean');
    if (odd !== undefined) throw new Error(`${file}: key '${key}' holds ${typeof odd} values (e.g. ${JSON.stringify(odd)}), expected numbers`);
    return Float32Array.from(flat.map((v) => Number(v)));
  }
  throw new Error(`${file}: key '${key}' has an unsupported data type`);
}

/** The root group's string and number attributes (others are skipped). */
function readAttrs(f: H5File): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  try {
    for (const [k, a] of Object.entries(f.attrs)) {
      const v = a.value as unknown;
      if (typeof v === 'string' || typeof v === 'number') out[k] = v;
      else if (typeof v === 'bigint') out[k] = Number(v);
      else if (ArrayBuffer.isView(v) && (v as unknown as ArrayLike<number>).length === 1) out[k] = Number((v as unknown as ArrayLike<number>)[0]);
    }
  } catch {
    // unreadable attributes are not part of the DSRL layout: ignore
  }
  return out;
}

/** Read a DSRL HDF5 file into a validated Dataset. Throws (naming file / key / row) on any problem. */
export async function readDsrlHdf5(path: string): Promise<Dataset> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new Error(`${path}: no such file`);
  if (!statSync(abs).isFile()) throw new Error(`${path}: not a regular file`);
  if (!hasHdf5Signature(abs)) throw new Error(`${path}: not an HDF5 file (no HDF5 signature)`);
  await h5ready();
  let f: H5File;
  try {
    f = new h5wasm.File(abs, 'r');
  } catch (e) {
    throw new Error(`${path}: cannot open HDF5 file: ${hdf5Reason(e)}`);
  }
  if (typeof f.file_id === 'bigint' && f.file_id < 0n) throw new Error(`${path}: cannot open HDF5 file (truncated or corrupt)`);
  try {
    let keys: string[];
    try {
      keys = f.keys();
    } catch (e) {
      throw new Error(`${path}: cannot list HDF5 file contents (truncated or corrupt): ${hdf5Reason(e)}`);
    }
    const readKey = (key: string, required: boolean): { data: Float32Array; rows: number; width: number } | null => {
      if (!keys.includes(key)) {
        if (required) throw new Error(`${path}: missing key '${key}'`);
        return null;
      }
      let d: H5Dataset;
      let value: unknown;
      let shape: number[] | null;
      try {
        const ent = f.get(key);
        if (!(ent instanceof h5wasm.Dataset)) throw new NotNumericData(`is ${ent instanceof h5wasm.Group ? 'an HDF5 group' : 'not a dataset'}, expected a numeric dataset`);
        d = ent;
        shape = d.shape;
        const cls = d.metadata.type;
        if (!(cls in NUMERIC_CLASSES)) throw new NotNumericData(`has HDF5 type ${CLASS_NAMES[cls] ?? `class ${cls}`} (dtype ${JSON.stringify(d.dtype)}), expected numbers`);
        value = d.value;
      } catch (e) {
        if (e instanceof NotNumericData) throw new Error(`${path}: key '${key}' ${e.message}`);
        throw new Error(`${path}: cannot read key '${key}' (truncated or corrupt file?): ${hdf5Reason(e)}`);
      }
      if (!shape || shape.length === 0 || shape.length > 2) throw new Error(`${path}: key '${key}' has shape ${JSON.stringify(shape)}, expected 1-D or 2-D`);
      if (MATRIX_KEYS.has(key) && (shape.length !== 2 || shape[1] < 1)) {
        throw new Error(`${path}: key '${key}' has shape ${JSON.stringify(shape)}, expected 2-D (N x dim, dim >= 1)`);
      }
      // The first key of each layout: an empty file is said to be one (another empty key is a length mismatch).
      if (shape[0] === 0 && (key === 'observations' || key === 'state')) throw new Error(`${path}: key '${key}' has 0 rows: the file holds no transitions`);
      const width = shape.length === 2 ? shape[1] : 1;
      const data = toFloat32(value, path, key, width);
      return { data, rows: shape[0], width };
    };
    if (isFisorLayout(keys)) return fisorLayoutDataset(path, (k) => readKey(k, true)!);
    const cols = {} as Record<(typeof DSRL_KEYS)[number], { data: Float32Array; rows: number; width: number }>;
    for (const k of DSRL_KEYS) cols[k] = readKey(k, true)!;
    const h = readKey('h', false);
    const N = cols.observations.rows;
    const O = cols.observations.width;
    const A = cols.actions.width;
    for (const k of [...DSRL_KEYS, ...(h ? (['h'] as const) : [])]) {
      const c = k === 'h' ? h! : cols[k];
      if (c.rows !== N) throw new Error(`${path}: key '${k}' has ${c.rows} rows but observations has ${N} (length mismatch)`);
    }
    if (cols.next_observations.width !== O) {
      throw new Error(`${path}: key 'next_observations' has width ${cols.next_observations.width}, observations has ${O}`);
    }
    for (const k of ['rewards', 'costs', 'terminals', 'timeouts'] as const) {
      if (cols[k].width !== 1) throw new Error(`${path}: key '${k}' must be 1-D (N or N x 1), got width ${cols[k].width}`);
    }
    if (h && h.width !== 1) throw new Error(`${path}: key 'h' must be 1-D, got width ${h.width}`);
    const ds: Dataset = {
      observations: cols.observations.data,
      nextObservations: cols.next_observations.data,
      actions: cols.actions.data,
      rewards: cols.rewards.data,
      costs: cols.costs.data,
      terminals: cols.terminals.data,
      timeouts: cols.timeouts.data,
      h: h?.data,
      size: N,
      observationSize: O,
      actionSize: A,
      attrs: readAttrs(f),
    };
    validateDataset(ds, path);
    return ds;
  } finally {
    try {
      f.close();
    } catch {
      /* already broken */
    }
  }
}

export interface WriteOptions {
  /** gzip level 0-9 (0 = no compression). Default 4. */
  compression?: number;
  /** Extra string/number attributes stored on the root group (e.g. task, seed). */
  attrs?: Record<string, string | number>;
}

/** Write `ds` as a DSRL HDF5 file, atomically (temp file in the same directory, then rename). */
export async function writeDsrlHdf5(path: string, ds: Dataset, opts: WriteOptions = {}): Promise<void> {
  validateDataset(ds, 'writeDsrlHdf5');
  if (ds.size === 0) throw new Error('writeDsrlHdf5: refusing to write an empty dataset');
  if (ds.observationSize < 1 || ds.actionSize < 1) {
    throw new Error(`writeDsrlHdf5: observationSize and actionSize must be >= 1, got ${ds.observationSize} and ${ds.actionSize} (the file could not be read back)`);
  }
  if (opts.compression !== undefined && !(Number.isInteger(opts.compression) && opts.compression >= 0 && opts.compression <= 9)) {
    throw new Error(`writeDsrlHdf5: compression must be a gzip level, an integer in [0, 9], got ${opts.compression}`);
  }
  await h5ready();
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${basename(abs)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const level = opts.compression ?? 4;
  const N = ds.size;
  const flags = (a: Float32Array): Uint8Array => Uint8Array.from(a, (v) => (v > 0 ? 1 : 0));
  let f: H5File | null = null;
  try {
    f = new h5wasm.File(tmp, 'w');
    if (typeof f.file_id === 'bigint' && f.file_id < 0n) throw new Error(`cannot create ${tmp}`);
    const put = (name: string, data: Float32Array | Uint8Array, shape: number[], dtype: string): void => {
      const chunkRows = Math.max(1, Math.min(N, Math.floor(65536 / (shape[1] ?? 1))));
      f!.create_dataset({
        name,
        data,
        shape,
        dtype,
        ...(level > 0 ? { compression: level, chunks: shape.length === 2 ? [chunkRows, shape[1]] : [chunkRows] } : {}),
      });
    };
    put('observations', ds.observations, [N, ds.observationSize], '<f');
    put('next_observations', ds.nextObservations, [N, ds.observationSize], '<f');
    put('actions', ds.actions, [N, ds.actionSize], '<f');
    put('rewards', ds.rewards, [N], '<f');
    put('costs', ds.costs, [N], '<f');
    put('terminals', flags(ds.terminals), [N], '<B');
    put('timeouts', flags(ds.timeouts), [N], '<B');
    if (ds.h) put('h', ds.h, [N], '<f');
    for (const [k, v] of Object.entries(opts.attrs ?? {})) f.create_attribute(k, v, null, typeof v === 'number' ? attrDtype(v) : undefined);
    f.close();
    f = null;
    renameSync(tmp, abs);
  } catch (e) {
    try {
      f?.close();
    } catch {
      /* ignore */
    }
    rmSync(tmp, { force: true });
    throw new Error(`cannot write ${path}: ${e instanceof Error && /HDF5-DIAG/.test(e.message) ? hdf5Reason(e) : e instanceof Error ? e.message : String(e)}`);
  }
}
