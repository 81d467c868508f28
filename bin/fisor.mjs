#!/usr/bin/env node
// `npx fisor ...`. The installed package runs the compiled CLI (dist/, built by `npm run build` before
// packing); a source checkout, which has rl/cli/main.ts and tsx (a devDependency), runs the sources so that
// an edit needs no rebuild.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
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
