/**
 * FISOR's published PointRobot file layout (jaxrl5/data/dsrl_datasets.py, `data_location` branch):
 *   state (N x obs), action (N x act), next_state (N x obs), reward (N), done (N), h (N), cost (N)
 * where h is the continuous constraint value (FISOR trains its feasibility critic on it) and cost the 0/1
 * violation. Mapped onto the project's Dataset: observations = state, actions = action,
 * nextObservations = next_state, rewards = reward, costs = cost, h = h, terminals = done (FISOR uses done
 * only as 1 - mask, exactly as DSRL's terminals OR timeouts), timeouts = 0.
 *
 * `readDsrlHdf5` (hdf5.ts) calls `fisorLayoutDataset` when a file has `state` and no `observations`, so
 * every reader of DSRL files (train --dataset, filter, plot scatter) accepts both layouts, with the same
 * validation (`validateDataset`) and errors that name the file's own keys.
 */
import { validateDataset, type Dataset } from './dataset.js';

export const FISOR_KEYS = ['state', 'action', 'next_state', 'reward', 'done', 'h', 'cost'] as const;

/** A file is in FISOR's layout when it has `state` and no DSRL `observations`. */
export function isFisorLayout(keys: readonly string[]): boolean {
  return keys.includes('state') && !keys.includes('observations');
}

/** One column as read from the file: values as float32, rows and row width. */
export interface Column {
  data: Float32Array;
  rows: number;
  width: number;
}

/**
 * Builds and validates a Dataset from the FISOR-layout columns; `readKey(key)` returns a column or throws
 * (naming the file) when the key is missing. Errors name `path` and the file's key names.
 */
export function fisorLayoutDataset(path: string, readKey: (key: string) => Column): Dataset {
  const cols = Object.fromEntries(FISOR_KEYS.map((k) => [k, readKey(k)])) as Record<(typeof FISOR_KEYS)[number], Column>;
  const N = cols.state.rows, O = cols.state.width, A = cols.action.width;
  for (const k of FISOR_KEYS) {
    if (cols[k].rows !== N) throw new Error(`${path}: key '${k}' has ${cols[k].rows} rows but state has ${N} (length mismatch)`);
  }
  if (cols.next_state.width !== O) throw new Error(`${path}: key 'next_state' has width ${cols.next_state.width}, state has ${O}`);
  for (const k of ['reward', 'done', 'h', 'cost'] as const) {
    if (cols[k].width !== 1) throw new Error(`${path}: key '${k}' must be 1-D (N or N x 1), got width ${cols[k].width}`);
  }
  for (let i = 0; i < N; i++) {
    const d = cols.done.data[i];
    if (d !== 0 && d !== 1) throw new Error(`${path}: key 'done' row ${i}: value ${d} is not 0 or 1`);
  }
  const ds: Dataset = {
    observations: cols.state.data,
    nextObservations: cols.next_state.data,
    actions: cols.action.data,
    rewards: cols.reward.data,
    costs: cols.cost.data,
    terminals: cols.done.data,
    timeouts: new Float32Array(N),
    h: cols.h.data,
    size: N,
    observationSize: O,
    actionSize: A,
  };
  // validateDataset names the project's keys; translate them back to the file's.
  const fileKey: Record<string, string> = { observations: 'state', next_observations: 'next_state', actions: 'action', rewards: 'reward', costs: 'cost', terminals: 'done', h: 'h' };
  try {
    validateDataset(ds, path);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(msg.replace(/key '([a-z_]+)'/, (m, k: string) => (fileKey[k] ? `key '${fileKey[k]}'` : m)) + ' (FISOR PointRobot layout)');
  }
  return ds;
}
