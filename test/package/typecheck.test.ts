/**
 * The whole tree (library, CLI, scripts, benchmarks, tests, web page) type-checks under tsconfig.json's strict
 * settings (strict, noImplicitOverride, noUnusedLocals, ...). Vitest strips types without checking them, so
 * without this test a type error or a dead import would pass CI.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

describe('type check', () => {
  it('tsc --noEmit -p tsconfig.json reports no error', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 300_000);
});
