/**
 * Nothing a browser loads imports a Node built-in: the browser entry points are bundled with esbuild for the
 * browser platform, and every import of `node:*` (or a bare built-in name) is recorded and fails the test.
 * A Node-only entry (rl/node.ts) is bundled too, to show that the check catches such imports.
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Bundles `entry` for browsers; returns the Node built-ins it imports, as 'importer -> specifier'. */
async function nodeImports(entry: string): Promise<string[]> {
  const found: string[] = [];
  const detect: Plugin = {
    name: 'detect-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!builtins.has(args.path) && !args.path.startsWith('node:')) return undefined;
        found.push(`${args.importer.replace(root, '')} -> ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  await build({
    entryPoints: [entry], absWorkingDir: root, bundle: true, write: false, platform: 'browser', format: 'esm',
    target: 'es2022', logLevel: 'silent', plugins: [detect],
  });
  return found;
}

describe('browser bundles import no Node built-in', () => {
  for (const entry of ['core/index.ts', 'nn/index.ts', 'diffusion/index.ts', 'rl/index.ts', 'web/src/worker.ts', 'web/src/main.ts']) {
    it(entry, async () => {
      expect(await nodeImports(entry)).toEqual([]);
    });
  }

  it('the check sees the Node-only entry rl/node.ts import node:fs', async () => {
    const found = await nodeImports('rl/node.ts');
    expect(found.some((f) => f.endsWith('-> node:fs'))).toBe(true);
  });
});
