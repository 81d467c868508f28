/**
 * The package as a user gets it: a copy of the sources as a fresh clone has them (no dist/, no generated
 * kernels) is packed with `npm pack` (its prepack script builds dist/), the tarball is installed into an
 * empty folder, and plain `node` imports every entry point by name, trains, and runs the installed CLI.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fisor-pack-'));
const app = join(dir, 'app');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run { status: number | null; stdout: string; stderr: string }

/** Runs a command without blocking the event loop (a blocked test worker misses vitest's heartbeats). */
function sh(cmd: string, args: string[], cwd: string, timeoutMs = 600_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, FISOR_BACKEND: '' }, timeout: timeoutMs });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
async function ok(run: Promise<Run>, what: string): Promise<string> {
  const r = await run;
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
}

let packed: { filename: string; files: { path: string }[] };
/** A failed pack or install is rethrown by every test (counted as failures, not skipped tests). */
let setupError: Error | null = null;
function ready(): void {
  if (setupError) throw setupError;
}

beforeAll(async () => {
  try {
    // A fresh clone: the tracked sources, without build outputs; node_modules shared (dev dependencies).
    const src = join(dir, 'src');
    const skip = new Set(['node_modules', 'dist', '.git', 'runs', 'out', 'generated', 'test', 'web', 'bench', 'scripts', 'figures']);
    for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'bin', 'core', 'nn', 'diffusion', 'rl']) {
      cpSync(join(root, entry), join(src, entry), { recursive: true, filter: (p) => !skip.has(relative(root, p).split('/').at(-1)!) || relative(root, p) === entry });
    }
    symlinkSync(join(root, 'node_modules'), join(src, 'node_modules'), 'dir');
    expect(existsSync(join(src, 'core/wasm/generated'))).toBe(false);
    const t0 = Date.now();
    const out = await ok(sh('npm', ['pack', '--json', '--pack-destination', dir], src), 'npm pack');
    packed = JSON.parse(out.slice(out.indexOf('[')))[0];

    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fisor-user', private: true, type: 'module' }));
    const t1 = Date.now();
    await ok(sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed.filename)], app), 'npm install <tarball>');
    console.log(`npm pack ${((t1 - t0) / 1000).toFixed(1)} s, npm install ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  } catch (e) {
    setupError = e as Error;
  }
}, 1_300_000);

/**
 * Writes `tsconfig.<name>.json` (the given compiler options, checking `<file>` alone) and `<file>` (the lines) in the
 * consumer app, then type-checks it with the repo's tsc; `what` names the step in a failure.
 */
async function typecheckConsumer(name: string, compilerOptions: Record<string, unknown>, file: string, lines: string[], what: string): Promise<void> {
  writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files: [file] }));
  writeFileSync(join(app, file), lines.join('\n'));
  await ok(sh(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${name}.json`], app), what);
}

describe('npm pack + install', () => {
  it('the tarball holds the compiled library with its kernels and types, not the sources', () => {
    ready();
    const files = packed.files.map((f) => f.path);
    for (const f of ['dist/core/index.js', 'dist/core/index.d.ts', 'dist/core/wasm/generated/kernels.js', 'dist/nn/index.js', 'dist/diffusion/index.js', 'dist/rl/index.js', 'dist/rl/node.js', 'dist/rl/cli/main.js', 'bin/fisor.mjs']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    const kernels = readFileSync(join(app, 'node_modules/fisor-ts/dist/core/wasm/generated/kernels.js'), 'utf8');
    expect(kernels).toMatch(/kernelsWasmBase64/);
  });

  it('installs only the runtime dependencies (no tsx, no build tools)', () => {
    ready();
    const nm = join(app, 'node_modules');
    for (const dep of ['gpu.js', 'h5wasm']) expect(existsSync(join(nm, dep)), dep).toBe(true);
    for (const dev of ['tsx', 'typescript', 'assemblyscript', 'vite']) expect(existsSync(join(nm, dev)), dev).toBe(false);
  });

  it('plain node imports every entry point, trains an MLP and runs FISOR updates', async () => {
    ready();
    cpSync(fileURLToPath(new URL('./smoke.mjs', import.meta.url)), join(app, 'smoke.mjs'));
    const out = JSON.parse((await ok(sh(process.execPath, ['smoke.mjs'], app), 'node smoke.mjs')).trim().split('\n').at(-1)!);
    // The default: wasm-fma where relaxed SIMD validates (Node 20 after the in-process flag), else wasm.
    expect(['wasm', 'wasm-fma']).toContain(out.backend);
    expect(out.relaxedSimd ? 'wasm-fma' : 'wasm').toBe(out.backend);
    expect(out.platform).toBe('node');
    expect(out.exports).toEqual({ core: 'function', nn: 'function', diffusion: 'function', rl: 'function', rlNode: 'function' });
    expect(out.missingNodeExports).toEqual([]);
    expect(out.libraryRun.step).toBe(2);
    expect(out.libraryRun.provenance.package).toMatch(/^fisor-ts@\d+\.\d+\.\d+/);
    expect(out.mlp.last).toBeLessThan(out.mlp.first / 20);
    expect(out.fisor.updates).toBe(3);
    for (const v of [...out.fisor.vhLoss, ...out.fisor.actorLoss]) expect(Number.isFinite(v)).toBe(true);
    expect(out.fisor.action).toHaveLength(2);
    for (const a of out.fisor.action) expect(Math.abs(a)).toBeLessThanOrEqual(1);
    expect(out.fisor.checkpointBytes).toBeGreaterThan(1000);
  });

  it('a browser project type-checks the browser-safe entries without @types/node (skipLibCheck off)', async () => {
    ready();
    await typecheckConsumer('browser', { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false, strict: true, noEmit: true }, 'browser-app.ts', [
      "import { tensor } from 'fisor-ts';", "import { MLP } from 'fisor-ts/nn';", "import { ddpmSample } from 'fisor-ts/diffusion';", "import { FisorAgent } from 'fisor-ts/rl';",
      'export const used = [tensor, MLP, ddpmSample, FisorAgent];', '',
    ], 'tsc (browser consumer)');
  });

  it('a Node TypeScript project (nodenext, strict, skipLibCheck off) resolves every entry and names its types', async () => {
    ready();
    await typecheckConsumer('node', { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], typeRoots: [join(root, 'node_modules', '@types')], types: ['node'], skipLibCheck: false, strict: true, noEmit: true }, 'node-app.ts', [
      "import { tensor, type Tensor, type TypedArray } from 'fisor-ts';",
      "import { MLP, type CheckpointContent } from 'fisor-ts/nn';",
      "import { ddpmSample, type DiffusionSchedule } from 'fisor-ts/diffusion';",
      "import { resolveConfig, type FisorConfig, type Dataset, type EvalResult, type EpisodeResult, type MonitorSummary, type CollectRecipe, type TaskName } from 'fisor-ts/rl';",
      "import { train, type TrainResult, type BestRecord, type RolloutPolicy, type FilterResult } from 'fisor-ts/rl/node';",
      "const cfg: FisorConfig = resolveConfig({ preset: 'cpu', task: 'PointRobot' });",
      "const recipe: CollectRecipe = 'recovery';",
      'const t: Tensor = tensor([1, 2]);',
      'const data: TypedArray = t.dataSync();',
      'type Names = [CheckpointContent, DiffusionSchedule, Dataset, EvalResult, EpisodeResult, MonitorSummary, TaskName, TrainResult, BestRecord, RolloutPolicy, FilterResult];',
      'export const used: [unknown[], Names | null] = [[cfg, recipe, data, MLP, ddpmSample, train], null];', '',
    ], 'tsc (Node consumer, nodenext)');
  });

  it('a CommonJS TypeScript project (module commonjs, moduleResolution node10) type-checks every entry and require()s it', async () => {
    ready();
    // node10 resolution ignores "exports": the subpaths' types come from "typesVersions". The compiled require()
    // of this ESM package works from Node 20.19 and 22.12 on (package.json's engines).
    mkdirSync(join(app, 'cjs'), { recursive: true });
    writeFileSync(join(app, 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }));
    await typecheckConsumer('cjs', { target: 'ES2022', module: 'CommonJS', moduleResolution: 'Node10', lib: ['ES2022'], typeRoots: [join(root, 'node_modules', '@types')], types: ['node'], skipLibCheck: false, strict: true, outDir: 'cjs' }, 'cjs-app.ts', [
      "import { tensor } from 'fisor-ts';",
      "import { MLP } from 'fisor-ts/nn';",
      "import { ddpmSample } from 'fisor-ts/diffusion';",
      "import { resolveConfig, type FisorConfig } from 'fisor-ts/rl';",
      "import { train, type TrainResult } from 'fisor-ts/rl/node';",
      "const cfg: FisorConfig = resolveConfig({ preset: 'cpu', task: 'PointRobot' });",
      'const result: TrainResult | null = null;',
      'console.log(JSON.stringify([typeof tensor, typeof MLP, typeof ddpmSample, typeof train, cfg.steps > 0, result]));', '',
    ], 'tsc (CommonJS consumer, node10)');
    const out = await ok(sh(process.execPath, [join('cjs', 'cjs-app.js')], app), 'node cjs/cjs-app.js');
    expect(JSON.parse(out.trim())).toEqual(['function', 'function', 'function', 'function', true, null]);
  });

  it('the installed fisor CLI lists tasks, trains and evaluates', async () => {
    ready();
    expect(await ok(sh('npx', ['--no-install', 'fisor', 'tasks'], app), 'fisor tasks')).toMatch(/PointRobot/);
    // The app is a git repository of its own, as a researcher's project would be.
    await ok(sh('git', ['init', '-q'], app), 'git init');
    await ok(sh('git', ['-c', 'user.email=t@example.org', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'app'], app), 'git commit');
    const train = await ok(sh('npx', ['--no-install', 'fisor', 'train', '--task', 'PointRobot', '--steps', '5', '--out', 'run', '--set', 'evalEpisodes=1', '--quiet'], app), 'fisor train');
    expect(train).toMatch(/done: 5 steps/);
    expect(existsSync(join(app, 'run/checkpoint/manifest.json'))).toBe(true);
    // Provenance names the installed package, and no commit: the app around node_modules is not this package's checkout.
    const { provenance } = JSON.parse(readFileSync(join(app, 'run/config.json'), 'utf8'));
    expect(provenance.package).toMatch(/^fisor-ts@\d+\.\d+\.\d+/);
    expect(provenance.gitCommit).toBeNull();
    const ev = await ok(sh('npx', ['--no-install', 'fisor', 'eval', '--checkpoint', 'run', '--episodes', '1', '--quiet'], app), 'fisor eval');
    expect(ev).toMatch(/normalized reward/);
    expect(existsSync(join(app, 'run/eval-12345.json'))).toBe(true);
  });
});
