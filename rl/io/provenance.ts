/**
 * Provenance recorded in config.json and in every checkpoint's metadata: what produced a run.
 * `runProvenance` is platform-neutral; Node callers add the package version and git commit
 * (node_provenance.ts), which a browser does not have.
 */
import { getBackend } from '../../core/index.js';

export interface Provenance {
  package?: string;
  gitCommit?: string | null;
  node?: string;
  backend: string;
  threads: number;
  /** FNV-1a of the config's JSON: two runs with one hash ran one config. */
  configHash: string;
  [key: string]: unknown;
}

export function hashText(text: string): string {
  let h = 0x811c9dc5;
  const b = new TextEncoder().encode(text);
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function runProvenance(config: unknown, extra: Record<string, unknown> = {}): Provenance {
  const be = getBackend() as { name: string; threads?: number };
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  return { ...extra, ...(node ? { node: `v${node}` } : {}), backend: be.name, threads: be.threads ?? 1, configHash: `fnv1a32:${hashText(JSON.stringify(config))}` };
}

/**
 * A resumed run's provenance: this process's, and under `earlier` what trained the steps before (each with
 * `untilStep`), when that differs (other code, Node, backend or config hash): a resume used to overwrite the record,
 * labelling a run trained by two commits as the last one's. `before` is the checkpoint's provenance (null: none recorded).
 */
export function resumedProvenance(now: Provenance, before: Record<string, unknown> | null | undefined, atStep: number): Provenance {
  if (!before || typeof before !== 'object') return now;
  const { earlier, ...was } = before as { earlier?: unknown };
  const chain = Array.isArray(earlier) ? [...earlier] : [];
  const { earlier: _, ...mine } = now as Provenance & { earlier?: unknown };
  if (JSON.stringify(was) !== JSON.stringify(mine)) chain.push({ ...was, untilStep: atStep });
  return chain.length ? { ...mine, earlier: chain } : mine;
}
