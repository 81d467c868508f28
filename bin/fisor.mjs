#!/usr/bin/env node
// `npx fisor ...`. The installed package runs the compiled CLI (dist/, built by `npm run build` before
// packing); a source checkout, which has rl/cli/main.ts and tsx (a devDependency), runs the sources so that
// an edit needs no rebuild.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// package.json's engines (^20.19.0 || >=22.12.0), which npm install only warns about. A Node without
// process.getBuiltinModule (before 20.16 and 22.3), through which the library reaches node:fs, would be taken for a
// browser and fail only at the first file it writes (after training), with an error about browsers.
const [major, minor] = process.versions.node.split('.').map(Number);
const supported = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22;
if (!supported || typeof process.getBuiltinModule !== 'function') {
  process.stderr.write(`error: fisor needs Node ^20.19 or >= 22.12 (this is Node ${process.versions.node})\n`);
  process.exit(1);
}

const source = fileURLToPath(new URL('../rl/cli/main.ts', import.meta.url));
const compiled = new URL('../dist/rl/cli/main.js', import.meta.url);

if (existsSync(source)) {
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    process.stderr.write('error: a source checkout runs the CLI with tsx: run `npm install` first (or `npm run build` and `node dist/rl/cli/main.js`)\n');
    process.exit(1);
  }
  const child = spawn(process.execPath, ['--import', tsx, source, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C / kill: the child decides (train saves a checkpoint first). Forwarded, because a signal sent to this
  // launcher alone would otherwise end it and orphan the child; in a terminal both get Ctrl-C, and the child
  // counts the two deliveries as one.
  const forward = (sig) => child.kill(sig);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, forward);
  child.on('exit', (code, signal) => {
    if (signal) {
      // End by the child's signal (shell status 128 + n). The forwarding handler goes first: it would catch the
      // re-raised SIGINT / SIGTERM, and the launcher would then exit 0 as if the command had succeeded.
      for (const sig of ['SIGINT', 'SIGTERM']) process.off(sig, forward);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
  child.on('error', (e) => {
    process.stderr.write(`error: cannot start node: ${e.message}\n`);
    process.exit(1);
  });
} else if (existsSync(fileURLToPath(compiled))) {
  const { main } = await import(compiled.href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  process.stderr.write('error: this fisor-ts package has no dist/ (it was packed without `npm run build`)\n');
  process.exit(1);
}
