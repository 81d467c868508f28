/**
 * The algorithms `fisor train --algo <name>` knows, by name. To add one: write rl/algos/<name>.ts exporting
 * its AlgorithmDef and add it to ALGORITHMS.
 */
import { BC_ALL, BC_SAFE } from './bc.js';
import { BCQ_LAG } from './bcq_lag.js';
import { BEAR_LAG } from './bear_lag.js';
import { CPQ_DEF } from './cpq.js';
import { COPTIDICE } from './coptidice.js';
import { CDT_DEF } from './cdt.js';
import { FISOR_DEF } from './fisor_adapter.js';
import type { AlgorithmDef, LoopConfig } from './types.js';

export const ALGORITHMS: Record<string, AlgorithmDef<any>> = {
  [FISOR_DEF.name]: FISOR_DEF,
  [BC_ALL.name]: BC_ALL,
  [BC_SAFE.name]: BC_SAFE,
  [BCQ_LAG.name]: BCQ_LAG,
  [BEAR_LAG.name]: BEAR_LAG,
  [CPQ_DEF.name]: CPQ_DEF,
  [COPTIDICE.name]: COPTIDICE,
  [CDT_DEF.name]: CDT_DEF,
};

export function algorithmNames(): string[] {
  return Object.keys(ALGORITHMS);
}

/** The OSRL baselines (every algorithm but FISOR). */
export function baselineNames(): string[] {
  return algorithmNames().filter((n) => n !== 'fisor');
}

export function algorithmDef(name: string): AlgorithmDef<LoopConfig> {
  const d = Object.hasOwn(ALGORITHMS, name) ? ALGORITHMS[name] : undefined;
  if (!d) throw new Error(`unknown algorithm '${name}'; known algorithms: ${algorithmNames().join(', ')}`);
  return d as AlgorithmDef<LoopConfig>;
}
