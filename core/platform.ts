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

/** The Node platform where `process.getBuiltinModule` exists, the browser one everywhere else. */
function detect(): Platform {
  const proc = (globalThis as { process?: { getBuiltinModule?: unknown; versions?: { node?: string } } }).process;
  return typeof proc?.getBuiltinModule === 'function' && proc.versions?.node ? nodePlatform() : browserPlatform;
}

export function platform(): Platform {
  return (current ??= detect());
}

/** Replaces the platform (null: detect again at next use). */
export function setPlatform(p: Platform | null): void {
  current = p;
}
