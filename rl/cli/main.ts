/**
 * `fisor <command> [flags]`: CLI dispatcher.
 *
 * To add a command, write `rl/cli/<name>.ts` exporting `command: Command` and add one line to COMMANDS.
 * Exit codes: 0 ok, 1 runtime error (`error: <message>` on stderr), 2 usage error, 130 interrupted (Ctrl-C;
 * train saves a checkpoint first).
 */
import { pathToFileURL } from 'node:url';
import { UsageError, usageText } from './args.js';
import type { CliIO, Command } from './command.js';

/** Dispatch table: command name -> lazy loader of its module (keeps startup fast). */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  collect: async () => (await import('./collect.js')).command,
  tasks: async () => (await import('./tasks.js')).command,
  train: async () => (await import('./train.js')).command,
  eval: async () => (await import('./eval.js')).command,
  plot: async () => (await import('./plot.js')).command,
  filter: async () => (await import('./filter.js')).command,
  quickstart: async () => (await import('./quickstart.js')).command,
  algos: async () => (await import('./algos.js')).command,
};

export async function mainUsage(): Promise<string> {
  const lines = ['usage: fisor <command> [flags]', '', 'commands:'];
  const names = Object.keys(COMMANDS);
  const w = Math.max(...names.map((n) => n.length));
  for (const n of names) lines.push(`  ${n.padEnd(w + 2)}${(await COMMANDS[n]()).summary}`);
  lines.push('', "Run 'fisor <command> --help' for a command's flags; 'fisor --version' for the package (and commit).");
  return lines.join('\n');
}

/** Run the CLI with `argv` (without node/script). Returns the exit code; never calls process.exit. */
export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      const text = await mainUsage();
      (name === undefined ? io.stderr : io.stdout).write(text + '\n');
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === 'version') {
      // The package and, in a source checkout, the commit: what a run's provenance records.
      const { nodeProvenance } = await import('../io/node_provenance.js');
      const p = nodeProvenance();
      io.stdout.write(`${p.package}${p.gitCommit ? ` (git ${p.gitCommit})` : ''}\n`);
      return 0;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load) throw new UsageError(`unknown command '${name}'; known commands: ${Object.keys(COMMANDS).join(', ')}`);
    const cmd = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(usageText(name, cmd.summary, cmd.flagsFor?.(rest) ?? cmd.flags) + '\n');
      return 0;
    }
    const code = await cmd.run(rest, io);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr.write(`error: ${msg}\n`);
    if (e instanceof UsageError) {
      io.stderr.write(name && Object.hasOwn(COMMANDS, name) ? `Run 'fisor ${name} --help' for usage.\n` : "Run 'fisor help' for usage.\n");
      return 2;
    }
    if (process.env.FISOR_DEBUG && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
