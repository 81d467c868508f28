/**
 * Node's side of the platform seam (core/platform.ts). Built-ins come from `process.getBuiltinModule`, so
 * this file has no `import 'node:*'` and a browser bundle that includes it (for detection) pulls in nothing.
 */
import type { Platform } from './platform.js';

/**
 * The Node built-ins the library uses, by specifier: only the members it calls, written out here so that the
 * published types need no `@types/node` (a browser project type-checking its dependencies has none). Node's own
 * modules satisfy these shapes.
 */
export interface NodeBuiltins {
  'node:fs': { readFileSync(path: string, encoding: 'utf8'): string };
  'node:fs/promises': NodeFsPromises;
  'node:path': {
    join(...paths: string[]): string;
    dirname(path: string): string;
    basename(path: string, suffix?: string): string;
    resolve(...paths: string[]): string;
  };
  'node:v8': { setFlagsFromString(flags: string): void };
}

/** The promise-based file calls the checkpoint code makes. */
export interface NodeFsPromises {
  stat(path: string): Promise<unknown>;
  open(path: string, flags: string): Promise<{ writeFile(data: Uint8Array): Promise<void>; sync(): Promise<void>; close(): Promise<void> }>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<unknown>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  readFile(path: string): Promise<Uint8Array>;
  readdir(path: string): Promise<string[]>;
}

interface NodeProcess {
  env: Record<string, string | undefined>;
  getBuiltinModule(id: string): unknown;
}

export function nodePlatform(): Platform {
  const proc = (globalThis as unknown as { process: NodeProcess }).process;
  const builtin = <K extends keyof NodeBuiltins>(name: K): NodeBuiltins[K] => {
    const m = proc.getBuiltinModule(name) as NodeBuiltins[K] | undefined;
    if (!m) throw new Error(`platform: Node built-in ${name} is not available`);
    return m;
  };
  return {
    name: 'node',
    env: (name) => proc.env[name],
    readTextFile: (path) => builtin('node:fs').readFileSync(path, 'utf8'),
    builtin: (name) => builtin(name),
  };
}
