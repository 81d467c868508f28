/**
 * Node's side of the platform seam (core/platform.ts). Built-ins come from `process.getBuiltinModule`, so
 * this file has no `import 'node:*'` and a browser bundle that includes it (for detection) pulls in nothing.
 */
import type { Platform } from './platform.js';

/** The Node built-ins the library uses, by specifier. */
export interface NodeBuiltins {
  'node:fs': typeof import('node:fs');
  'node:fs/promises': typeof import('node:fs/promises');
  'node:path': typeof import('node:path');
  'node:v8': typeof import('node:v8');
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
