#!/usr/bin/env node
// Launcher for `npx fisor ...`: runs rl/cli/main.ts under tsx in a child node process and passes the exit code on.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../rl/cli/main.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const child = spawn(process.execPath, ['--import', tsx, main, ...process.argv.slice(2)], { stdio: 'inherit' });
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
