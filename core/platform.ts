/**
 * The platform seam: everything that differs between Node and a browser goes through here (environment
 * variables, files, Node built-ins), so that no module a browser needs imports a Node built-in. Modelled
 * on TF.js's platform_node.ts / platform_browser.ts: one interface, one implementation per host, picked
 * once at first use (or set with `setPlatform`, e.g. by a test or an embedder with its own file system).
 *
 * The Node implementation reaches its built-ins through `process.getBuiltinModule` (Node >= 20.16), not
 * through `import 'node:*'`, so a bundler never sees a Node import in the browser build.
 */
import { browserPlatform } from './platform_browser.js';
import { nodePlatform, type NodeBuiltins } from './platform_node.js';

export type { NodeBuiltins } from './platform_node.js';

export interface Platform {
  readonly name: 'node' | 'browser';
  /** An environment variable (Node: process.env), or undefined where there are none (browsers). */
  env(name: string): string | undefined;
  /** Reads a UTF-8 text file; in a browser an error naming the path and what to do instead. */
  readTextFile(path: string): string;
  /** A Node built-in module (typed by name); in a browser an error naming `what` needs it. */
  builtin<K extends keyof NodeBuiltins>(name: K, what: string): NodeBuiltins[K];
}

let current: Platform | null = null;

/**
 * The Node platform where `process.getBuiltinModule` exists, the browser one everywhere else; a Node too old to
 * have it gets the browser's seam with errors that say so (it was taken for a browser: "needs Node ... in a
 * browser use the ArrayBuffer form", after a whole training run).
 */
function detect(): Platform {
  const proc = (globalThis as { process?: { getBuiltinModule?: unknown; versions?: { node?: string }; env?: Record<string, string | undefined> } }).process;
  const node = proc?.versions?.node;
  if (!node) return browserPlatform;
  if (typeof proc.getBuiltinModule === 'function') return nodePlatform();
  const tooOld = `fisor-ts needs process.getBuiltinModule (Node 20.16+ on 20.x, 22.3+) for files and Node built-ins; this is Node ${node}`;
  return {
    name: 'browser',
    env: (name) => proc.env?.[name],
    readTextFile(path) {
      throw new Error(`cannot read ${path}: ${tooOld}`);
    },
    builtin(name, what) {
      throw new Error(`${what} needs ${name}: ${tooOld}`);
    },
  };
}

export function platform(): Platform {
  return (current ??= detect());
}

/** Replaces the platform (null: detect again at next use). */
export function setPlatform(p: Platform | null): void {
  current = p;
}
